"""All writes of the sandbox network: accounts, tokens, statuses, media, OAuth codes.

The API views, the simulator and ``sandbox_setup`` all go through these functions, so a
simulated citizen's post produces exactly what a post through the API would.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from townsquare.channels.adapters.mastodon.text import DEFAULT_MAX_CHARACTERS, mastodon_length
from townsquare.sandbox.models import (
    SandboxAccount,
    SandboxAuthorizationCode,
    SandboxMedia,
    SandboxNotification,
    SandboxOAuthApp,
    SandboxStatus,
    SandboxToken,
    Visibility,
)

MAX_CHARACTERS = DEFAULT_MAX_CHARACTERS
MAX_MEDIA = 4
MAX_ALT_TEXT = 1500
MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4")
CODE_LIFETIME = dt.timedelta(minutes=10)
_MENTION = re.compile(r"(?<![\w/@])@(\w{1,30})(?:@[\w.-]+)?", re.UNICODE)


class SandboxInvalid(ValueError):
    """The request cannot be done as asked (the API answers 422 with this message)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def account_ensure(
    *,
    username: str,
    display_name: str,
    is_agency: bool = False,
    agency_slug: str = "",
    language: str = "en",
    bio: str = "",
    followers: int = 0,
) -> SandboxAccount:
    """Create the account, or update the one with that user name (setup is re-runnable)."""
    account, _ = SandboxAccount.objects.update_or_create(
        username=username,
        defaults={
            "display_name": display_name,
            "is_agency": is_agency,
            "agency_slug": agency_slug,
            "language": language,
            "bio": bio,
            "followers": followers,
        },
    )
    return account


def token_issue(
    *, account: SandboxAccount, scopes: str = "read write", app: SandboxOAuthApp | None = None
) -> str:
    """A new bearer token for the account; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    SandboxToken.objects.create(
        token_hash=token_hash(token), account=account, scopes=scopes, app=app
    )
    return token


def status_create(
    *,
    account: SandboxAccount,
    text: str,
    visibility: str = Visibility.PUBLIC,
    in_reply_to: SandboxStatus | None = None,
    media_ids: list[str] | None = None,
    language: str = "",
    idempotency_key: str = "",
    created_at: dt.datetime | None = None,
) -> tuple[SandboxStatus, bool]:
    """Post a status; returns (status, created). A repeated Idempotency-Key returns the
    status first made with it, as Mastodon does."""
    idempotency_key = idempotency_key[:200]
    if idempotency_key:
        earlier = SandboxStatus.objects.filter(
            account=account, idempotency_key=idempotency_key
        ).first()
        if earlier is not None:
            return earlier, False
    media = _own_unattached_media(account, media_ids or [])
    _validate(text, visibility, has_media=bool(media))
    try:
        with transaction.atomic():
            status = SandboxStatus.objects.create(
                account=account,
                text=text,
                visibility=visibility,
                in_reply_to=in_reply_to,
                language=language[:10],
                idempotency_key=idempotency_key,
                created_at=created_at or timezone.now(),
            )
            for item in media:
                item.status = status
                item.save(update_fields=["status"])
            _mention_and_notify(status)
    except IntegrityError:
        # Two requests with one key at the same moment: the other one won.
        earlier = SandboxStatus.objects.filter(
            account=account, idempotency_key=idempotency_key
        ).first()
        if earlier is None:
            raise
        return earlier, False
    return status, True


def status_edit(*, status: SandboxStatus, text: str) -> SandboxStatus:
    _validate(text, status.visibility, has_media=status.media.exists())
    with transaction.atomic():
        status.text = text
        status.edited_at = timezone.now()
        status.save(update_fields=["text", "edited_at"])
        _mention_and_notify(status)
    return status


def status_delete(*, status: SandboxStatus) -> SandboxStatus:
    """Soft delete: the status disappears from every read and its notifications go."""
    with transaction.atomic():
        status.deleted_at = timezone.now()
        status.save(update_fields=["deleted_at"])
        SandboxNotification.objects.filter(status=status).delete()
    return status


def media_create(
    *, account: SandboxAccount, content: bytes, mime_type: str, description: str, filename: str
) -> SandboxMedia:
    if mime_type not in MEDIA_TYPES:
        raise SandboxInvalid(f"Validation failed: File content type {mime_type!r} is not accepted")
    if len(description) > MAX_ALT_TEXT:
        raise SandboxInvalid(
            f"Validation failed: Description is too long (maximum is {MAX_ALT_TEXT} characters)"
        )
    if not content:
        raise SandboxInvalid("Validation failed: File is empty")
    media = SandboxMedia(account=account, mime_type=mime_type, description=description)
    extension = mime_type.rsplit("/", 1)[-1]
    safe_name = re.sub(r"[^A-Za-z0-9_.-]", "_", filename)[:60] or "upload"
    media.file.save(f"{safe_name}.{extension}", ContentFile(content), save=False)
    media.save()
    return media


def status_favourite_add(*, status: SandboxStatus, count: int = 1) -> None:
    SandboxStatus.objects.filter(pk=status.pk).update(
        favourites_count=status.favourites_count + count
    )


# --- OAuth -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisteredApp:
    app: SandboxOAuthApp
    client_secret: str


def oauth_app_register(
    *, name: str, redirect_uris: str, scopes: str = "read write"
) -> RegisteredApp:
    secret = secrets.token_urlsafe(32)
    app = SandboxOAuthApp.objects.create(
        name=name[:100] or "app",
        client_id=secrets.token_urlsafe(24),
        client_secret_hash=token_hash(secret),
        redirect_uris=redirect_uris,
        scopes=scopes,
    )
    return RegisteredApp(app=app, client_secret=secret)


def oauth_code_issue(
    *,
    app: SandboxOAuthApp,
    account: SandboxAccount,
    redirect_uri: str,
    scopes: str,
    code_challenge: str,
    code_challenge_method: str,
) -> str:
    if redirect_uri not in app.redirect_uris.split():
        raise SandboxInvalid("The redirect uri included is not valid.")
    if code_challenge and code_challenge_method != "S256":
        raise SandboxInvalid("Only the S256 code challenge method is supported.")
    code = secrets.token_urlsafe(32)
    SandboxAuthorizationCode.objects.create(
        code_hash=token_hash(code),
        app=app,
        account=account,
        redirect_uri=redirect_uri,
        scopes=scopes or app.scopes,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method if code_challenge else "",
        expires_at=timezone.now() + CODE_LIFETIME,
    )
    return code


def oauth_code_exchange(
    *, client_id: str, client_secret: str, code: str, redirect_uri: str, code_verifier: str
) -> tuple[str, str]:
    """(access token, scopes) for a valid, unused code; SandboxInvalid otherwise."""
    app = SandboxOAuthApp.objects.filter(client_id=client_id).first()
    if app is None or not hmac.compare_digest(app.client_secret_hash, token_hash(client_secret)):
        raise PermissionError("invalid_client")
    with transaction.atomic():
        grant = (
            SandboxAuthorizationCode.objects.select_for_update()
            .filter(code_hash=token_hash(code), app=app, used_at__isnull=True)
            .first()
        )
        if grant is None or grant.expires_at < timezone.now() or grant.redirect_uri != redirect_uri:
            raise SandboxInvalid("invalid_grant")
        if grant.code_challenge and not _pkce_matches(grant.code_challenge, code_verifier):
            raise SandboxInvalid("invalid_grant")
        grant.used_at = timezone.now()
        grant.save(update_fields=["used_at"])
        return token_issue(account=grant.account, scopes=grant.scopes, app=app), grant.scopes


def _pkce_matches(challenge: str, verifier: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(expected, challenge)


# --- helpers ---------------------------------------------------------------------------


def _validate(text: str, visibility: str, *, has_media: bool) -> None:
    if visibility not in Visibility.values:
        raise SandboxInvalid("Validation failed: Visibility is not included in the list")
    if not text.strip() and not has_media:
        raise SandboxInvalid("Validation failed: Text can't be blank")
    if mastodon_length(text) > MAX_CHARACTERS:
        raise SandboxInvalid(
            f"Validation failed: Text character limit of {MAX_CHARACTERS} exceeded"
        )
    if "\x00" in text:
        raise SandboxInvalid("Validation failed: Text contains a null character")


def _own_unattached_media(account: SandboxAccount, media_ids: list[str]) -> list[SandboxMedia]:
    if len(media_ids) > MAX_MEDIA:
        raise SandboxInvalid(f"Validation failed: at most {MAX_MEDIA} media attachments")
    wanted = [int(i) for i in media_ids if str(i).isdigit()]
    media = list(SandboxMedia.objects.filter(account=account, pk__in=wanted, status__isnull=True))
    if len(media) != len(media_ids):
        raise SandboxInvalid("Validation failed: a media attachment was not found")
    return media


def _mention_and_notify(status: SandboxStatus) -> None:
    names = {match.group(1).lower() for match in _MENTION.finditer(status.text)}
    mentioned = list(
        SandboxAccount.objects.filter(username__in=names).exclude(pk=status.account_id)
    )
    status.mentions.set(mentioned)
    for account in mentioned:
        SandboxNotification.objects.get_or_create(
            account=account,
            status=status,
            type="mention",
            defaults={"from_account": status.account, "created_at": status.created_at},
        )


# --- Set-up for the demo ---------------------------------------------------------------

AGENCY_KINDS = ("office", "ministry", "agency", "department")


class AgencyAccess(NamedTuple):
    username: str
    access_token: str


@dataclass(frozen=True)
class SetupSummary:
    agencies: int
    citizens: int
    welcome_posts: int


def sandbox_api_base_url() -> str:
    """What to put in a Mastodon account's config as ``api_base_url``."""
    return f"{settings.SITE_URL}/sandbox"


def sandbox_setup() -> SetupSummary:
    """Create (or refresh) one account per demo agency and the pool of residents.

    Re-runnable: accounts are matched by user name, and each agency gets one welcome
    post in three languages the first time, so residents have something to reply to.
    """
    from townsquare.organisations.demo import demo_organisations
    from townsquare.sandbox.messages import CITIZENS

    agencies = welcome = 0
    with transaction.atomic():
        for spec in demo_organisations():
            if spec["kind"] not in AGENCY_KINDS:
                continue
            name, description = spec["name"], spec["description"]
            account = account_ensure(
                username=agency_username(spec["slug"]),
                display_name=name["en"],
                is_agency=True,
                agency_slug=spec["slug"],
                bio=description["en"],
                followers=1000 + int(hashlib.sha256(spec["slug"].encode()).hexdigest(), 16) % 20000,
            )
            agencies += 1
            if not account.statuses.exists():
                status_create(
                    account=account,
                    text=(
                        f"Official account of the {name['en']}.\n\n"
                        f"الحساب الرسمي لـ{name['ar']}.\n\n{name['zh-hans']}官方账号。"
                    ),
                    language="en",
                )
                welcome += 1
        for number, (username, display_name, language) in enumerate(CITIZENS):
            account_ensure(
                username=username,
                display_name=display_name,
                language=language,
                followers=20 + (number * 37) % 400,
            )
    return SetupSummary(agencies=agencies, citizens=len(CITIZENS), welcome_posts=welcome)


def sandbox_agency_tokens() -> dict[str, AgencyAccess]:
    """{organisation slug: (sandbox user name, access token)} for every demo agency.

    Runs ``sandbox_setup`` first. The tokens are derived from SECRET_KEY, so calling this
    again returns the same tokens (nothing piles up) and they keep working after a
    restart; only their hashes are stored.
    """
    sandbox_setup()
    access: dict[str, AgencyAccess] = {}
    for account in SandboxAccount.objects.filter(is_agency=True).order_by("agency_slug"):
        token = salted_hmac("townsquare.sandbox.agency-token", account.username).hexdigest()
        SandboxToken.objects.get_or_create(
            token_hash=token_hash(token), defaults={"account": account, "scopes": "read write"}
        )
        access[account.agency_slug] = AgencyAccess(account.username, token)
    return access


def agency_username(slug: str) -> str:
    return slug.replace("-", "_")[:30]
