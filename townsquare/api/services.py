"""All writes to API tokens: create (the plaintext is returned once), revoke, use."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import string

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.api.models import TOKEN_PREFIX, ApiScope, ApiToken
from townsquare.api.selectors import api_tokens_expiring
from townsquare.core.services import audit_record, notification_send
from townsquare.core.text import normalise_name, validate_name
from townsquare.organisations.models import User

NAME_MAX_LENGTH = 100
PREFIX_LENGTH = 10
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
# Touching last_used_at on every request would make every API call a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def split_token(raw: str) -> tuple[str, str] | None:
    """``tsq_<prefix>_<secret>`` → (prefix, secret), or None when malformed."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    prefix, secret = parts[1], parts[2]
    if len(prefix) != PREFIX_LENGTH or not secret or len(secret) > 200:
        return None
    if any(ch not in _PREFIX_ALPHABET for ch in prefix):
        return None
    return prefix, secret


def api_token_find(raw: str) -> ApiToken | None:
    """The token whose secret matches ``raw`` (usable or not), compared in constant time."""
    parts = split_token(raw)
    if parts is None:
        return None
    prefix, secret = parts
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    candidate = hash_secret(secret)
    stored = token.secret_hash if token is not None else "0" * 64
    if not hmac.compare_digest(candidate, stored) or token is None:
        return None
    return token


def _clean_scopes(scopes: list[str]) -> list[str]:
    unknown = set(scopes) - set(ApiScope.values)
    if unknown:
        raise ValidationError({"scopes": _("Unknown scope.")})
    if not scopes:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    return [scope for scope in ApiScope.values if scope in scopes]


def _clean_expiry(expires_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    if timezone.is_naive(expires_at):
        raise ValidationError({"expires_at": _("The expiry needs a time zone.")})
    if expires_at <= now:
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    if expires_at > now + dt.timedelta(days=settings.API_TOKEN_MAX_DAYS):
        raise ValidationError(
            {"expires_at": _("A token can last at most %(days)d days.")
             % {"days": settings.API_TOKEN_MAX_DAYS}}
        )
    return expires_at


def _clean_token_name(name: str) -> str:
    name = normalise_name(name)
    if not name:
        raise ValidationError({"name": _("This field is required.")})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": _("At most %(n)d characters.") % {"n": NAME_MAX_LENGTH}})
    try:
        validate_name(name)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from exc
    return name


@transaction.atomic
def api_token_create(
    *, user: User, name: str, scopes: list[str], expires_at: dt.datetime
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns it with its plaintext, which is never stored."""
    if not user.is_active:
        raise PermissionDenied
    now = timezone.now()
    token = ApiToken(
        user=user,
        name=_clean_token_name(name),
        scopes=_clean_scopes(scopes),
        expires_at=_clean_expiry(expires_at, now),
    )
    secret = secrets.token_urlsafe(32)
    token.prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _i in range(PREFIX_LENGTH))
    token.secret_hash = hash_secret(secret)
    token.save()
    audit_record(
        actor=user,
        action="api_token.create",
        target=token,
        details={"name": token.name, "prefix": token.prefix, "scopes": token.scopes,
                 "expires_at": token.expires_at.isoformat()},
    )
    return token, f"{TOKEN_PREFIX}_{token.prefix}_{secret}"


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    if token.user_id != actor.pk:
        raise PermissionDenied
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="api_token.revoke", target=token,
                 details={"name": token.name, "prefix": token.prefix})
    return token


def api_token_touch(*, token: ApiToken, now: dt.datetime | None = None) -> None:
    """Record use, at most once per LAST_USED_RESOLUTION (one UPDATE, no read)."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def api_tokens_notify_expiring(*, now: dt.datetime | None = None) -> int:
    """Tell owners about tokens that expire within seven days, once per token."""
    now = now or timezone.now()
    sent = 0
    for token in api_tokens_expiring(now=now):
        with transaction.atomic():
            claimed = ApiToken.objects.filter(
                pk=token.pk, expiry_notified_at__isnull=True
            ).update(expiry_notified_at=now)
            if not claimed:
                continue
            notification_send(recipient=token.user, message_key="api_token.expiring",
                              params={"name": token.name}, url=reverse("api_tokens"))
            sent += 1
    return sent
