"""Connecting an account through the network's own consent screen (OAuth 2 + PKCE)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.channels.adapters.base import AdapterError
from townsquare.channels.crypto import decrypt_text, encrypt_text
from townsquare.channels.models import Account, OAuthState
from townsquare.channels.runtime import oauth_for
from townsquare.channels.services.accounts import check_can_manage_accounts
from townsquare.channels.services.credentials import credentials_store
from townsquare.organisations.models import User

STATE_LIFETIME = dt.timedelta(minutes=10)


def pkce_pair() -> tuple[str, str]:
    """A code verifier (RFC 7636, 43–128 characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


@transaction.atomic
def connection_start(*, actor: User, account: Account, redirect_uri: str) -> str:
    """Remember state and verifier; return the network's authorisation address."""
    check_can_manage_accounts(actor, account.organisation)
    client = oauth_for(account)
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(32)
    OAuthState.objects.create(
        state=state,
        code_verifier_ciphertext=encrypt_text(verifier),
        account=account,
        user=actor,
        redirect_uri=redirect_uri,
    )
    return client.authorization_url(
        state=state, code_challenge=challenge, redirect_uri=redirect_uri
    )


def connection_complete(*, actor: User, state: str, code: str) -> Account:
    """Finish the flow started by ``connection_start`` (single use, same user, in time)."""
    with transaction.atomic():
        pending = (
            OAuthState.objects.select_for_update(of=("self",))
            .select_related("account", "account__organisation")
            .filter(state=state)
            .first()
        )
        if pending is None or pending.used_at is not None:
            raise ValidationError(_("This connection link is unknown or was already used."))
        if pending.user_id != actor.pk:
            raise PermissionDenied
        if timezone.now() - pending.created_at > STATE_LIFETIME:
            raise ValidationError(_("This connection link has expired. Start again."))
        pending.used_at = timezone.now()
        pending.save(update_fields=["used_at"])
    account = pending.account
    check_can_manage_accounts(actor, account.organisation)
    client = oauth_for(account)
    try:
        credentials = client.exchange_code(
            code=code,
            code_verifier=decrypt_text(pending.code_verifier_ciphertext),
            redirect_uri=pending.redirect_uri,
        )
    except AdapterError as exc:
        raise ValidationError(
            _("The network refused the connection: %(problem)s") % {"problem": exc}
        ) from exc
    credentials_store(actor=actor, account=account, credentials=credentials)
    return account
