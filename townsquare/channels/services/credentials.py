"""Encrypted credentials: store, load, refresh with rotation, and access problems."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from townsquare.channels.adapters.base import AuthExpired, Credentials
from townsquare.channels.crypto import decrypt_credentials, encrypt_credentials, rotate_text
from townsquare.channels.models import Account, ConnectionState, Credential
from townsquare.core.services import audit_record, notification_send
from townsquare.organisations.models import Membership, Role, User

# Refresh a little before the network would refuse the token.
REFRESH_MARGIN = dt.timedelta(minutes=5)


@transaction.atomic
def credentials_store(*, actor: User | None, account: Account, credentials: Credentials) -> None:
    """Save new credentials for ``account`` and mark it connected."""
    row, created = Credential.objects.select_for_update().get_or_create(
        account=account,
        defaults={
            "ciphertext": encrypt_credentials(credentials),
            "expires_at": credentials.expires_at,
        },
    )
    if not created:
        row.ciphertext = encrypt_credentials(credentials)
        row.expires_at = credentials.expires_at
        row.version += 1
        row.save(update_fields=["ciphertext", "expires_at", "version", "updated_at"])
    account.connection_state = ConnectionState.CONNECTED
    account.connection_note = ""
    account.save(update_fields=["connection_state", "connection_note", "updated_at"])
    audit_record(
        actor=actor, action="account.connect", organisation=account.organisation, target=account
    )


def credentials_load(account: Account) -> Credentials:
    row = Credential.objects.filter(account=account).first()
    if row is None:
        return Credentials()
    return decrypt_credentials(row.ciphertext)


def credentials_need_refresh(credentials: Credentials, *, now: dt.datetime | None = None) -> bool:
    if credentials.expires_at is None or not credentials.refresh_token:
        return False
    return credentials.expires_at - REFRESH_MARGIN <= (now or timezone.now())


def credentials_refresh(
    *,
    account: Account,
    refresh: Callable[[Credentials], Credentials],
    now: dt.datetime | None = None,
    force_version: int | None = None,
) -> Credentials:
    """Fresh credentials for ``account``, refreshing them at most once across all workers.

    The row stays locked while the network is asked for new tokens (SELECT … FOR UPDATE on
    PostgreSQL; SQLite's IMMEDIATE transactions serialise writers), so a second worker
    waits, then finds the tokens already fresh and uses them. A rotated refresh token is
    saved in the same transaction as the access token, so it can never be lost.
    """
    with transaction.atomic():
        row = Credential.objects.select_for_update().filter(account=account).first()
        if row is None:
            raise AuthExpired("the account is not connected")
        current = decrypt_credentials(row.ciphertext)
        # ``force_version``: the network refused the token we loaded at that version. If
        # another worker has stored newer tokens since, use theirs instead of refreshing.
        forced = force_version is not None and row.version == force_version
        if force_version is not None and not forced:
            return current
        if not forced and not credentials_need_refresh(current, now=now):
            return current
        if not current.refresh_token:
            raise AuthExpired("the access token expired and there is no refresh token")
        try:
            fresh = refresh(current)
        except AuthExpired:
            transaction.set_rollback(True)
            raise
        if not fresh.refresh_token:
            # Networks that do not rotate keep the refresh token we already have.
            fresh = Credentials(
                access_token=fresh.access_token,
                refresh_token=current.refresh_token,
                expires_at=fresh.expires_at,
                extra=fresh.extra,
            )
        row.ciphertext = encrypt_credentials(fresh)
        row.expires_at = fresh.expires_at
        row.version += 1
        row.save(update_fields=["ciphertext", "expires_at", "version", "updated_at"])
        return fresh


def credentials_version(account: Account) -> int:
    row = Credential.objects.filter(account=account).only("version").first()
    return row.version if row else 0


@transaction.atomic
def credentials_save_rotated(*, account: Account, before: Credentials, after: Credentials) -> None:
    """Keep tokens an adapter renewed by itself during a call (e.g. Bluesky sessions)."""
    if after == before:
        return
    row = Credential.objects.select_for_update().filter(account=account).first()
    if row is None:
        return
    row.ciphertext = encrypt_credentials(after)
    row.expires_at = after.expires_at
    row.version += 1
    row.save(update_fields=["ciphertext", "expires_at", "version", "updated_at"])


@transaction.atomic
def account_mark_access_problem(
    *,
    account: Account,
    state: str = ConnectionState.EXPIRED,
    note: str = "",
) -> None:
    """The network refused our token: flag the account and tell its people, once."""
    if account.connection_state == state:
        return
    account.connection_state = state
    account.connection_note = note[:300]
    account.save(update_fields=["connection_state", "connection_note", "updated_at"])
    audit_record(
        actor=None,
        action="account.access_lost",
        organisation=account.organisation,
        target=account,
        details={"state": state},
    )
    recipients: dict[int, User] = {}
    if account.responsible is not None and account.responsible.is_active:
        recipients[account.responsible.pk] = account.responsible
    for membership in Membership.objects.filter(
        organisation=account.organisation, role=Role.ADMINISTRATOR, user__is_active=True
    ).select_related("user"):
        recipients[membership.user.pk] = membership.user
    for user in recipients.values():
        notification_send(
            recipient=user,
            message_key="account.access_lost",
            params={"handle": account.handle, "network": account.network},
            url=f"/console/channels/{account.pk}/",
        )


def credentials_rotate_all() -> int:
    """Re-encrypt every stored secret with the newest key; returns how many rows."""
    count = 0
    for pk in Credential.objects.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            row = Credential.objects.select_for_update().get(pk=pk)
            row.ciphertext = rotate_text(row.ciphertext)
            row.save(update_fields=["ciphertext"])
            count += 1
    from townsquare.channels.models import OAuthState

    for state in OAuthState.objects.filter(used_at__isnull=True):
        state.code_verifier_ciphertext = rotate_text(state.code_verifier_ciphertext)
        state.save(update_fields=["code_verifier_ciphertext"])
    return count
