"""Everything that comes in from networks: webhooks and polling, into exactly-once items.

Whatever the order and however often a network tells us about an item, there is one
row per network + remote id (a database unique constraint), and the newest change wins:
an edit that arrives before the item is kept until the item comes; a deletion that
arrives first leaves a tombstone so the item is not brought back; an edit after a
deletion changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from townsquare.channels.adapters.base import (
    AdapterError,
    AuthExpired,
    ChangeKind,
    Credentials,
    FetchResult,
    InboundChange,
    InvalidSignature,
    MalformedResponse,
    Network,
    NotSupported,
    RateLimited,
    StaleEvent,
    TransientError,
)
from townsquare.channels.adapters.base import (
    InboundItem as AdapterItem,
)
from townsquare.channels.adapters.http import backoff_delay
from townsquare.channels.adapters.registry import OAUTH, webhook_handler
from townsquare.channels.models import (
    Account,
    ConnectionState,
    InboundItem,
    ItemState,
    PollCursor,
    WebhookDelivery,
)
from townsquare.channels.runtime import adapter_for, oauth_for
from townsquare.channels.services.credentials import (
    account_mark_access_problem,
    credentials_load,
    credentials_need_refresh,
    credentials_refresh,
    credentials_save_rotated,
    credentials_version,
)
from townsquare.core.services import audit_record, notification_send
from townsquare.core.text import storable

# Headers worth keeping with a raw delivery; everything else (cookies, auth) is dropped.
KEPT_HEADERS = (
    "content-type",
    "user-agent",
    "x-hub-signature-256",
    "x-telegram-bot-api-secret-token",
    "x-townsquare-url",
    "x-twilio-signature",
    "x-request-id",
    "date",
)


def _content_fields(item: AdapterItem) -> dict[str, object]:
    # The raw delivery keeps the exact bytes; these columns get text every database stores.
    fields: dict[str, object] = {
        "kind": item.kind.value,
        "text": item.text,
        "author_id": item.author_id[:200],
        "author_handle": item.author_handle[:200],
        "author_name": item.author_name[:200],
        "url": item.url[:500],
        "in_reply_to": item.in_reply_to[:200],
        "conversation_id": item.conversation_id[:200],
        "is_own": item.is_own,
        "language": item.language[:16],
        "raw": dict(item.raw),
        "remote_created_at": item.created_at,
    }
    return {key: storable(value) for key, value in fields.items()}


def _new_row(account: Account, change: InboundChange, when: dt.datetime, via: str) -> InboundItem:
    row = InboundItem(
        account=account,
        network=account.network,
        remote_id=change.remote_id,
        first_seen_via=via,
        last_change_at=when,
    )
    if change.item is not None and change.kind != ChangeKind.DELETED:
        for field, value in _content_fields(change.item).items():
            setattr(row, field, value)
        if change.kind == ChangeKind.EDITED:
            row.state, row.edited_at = ItemState.EDITED, when
    else:
        row.has_content = False
        row.kind = change.item.kind.value if change.item else "post"
        if change.kind == ChangeKind.DELETED:
            row.state, row.deleted_at = ItemState.DELETED, when
    return row


def _apply_to_existing(row: InboundItem, change: InboundChange, when: dt.datetime) -> bool:
    """Apply ``change`` to ``row``; True when something changed."""
    if change.kind == ChangeKind.DELETED:
        if row.state == ItemState.DELETED:
            return False
        row.state, row.deleted_at = ItemState.DELETED, when
        row.last_change_at = max(when, row.last_change_at or when)
        return True
    if change.item is None:
        return False
    if not row.has_content:
        # The item itself arrives after an edit or a deletion of it: keep what it said.
        for field, value in _content_fields(change.item).items():
            setattr(row, field, value)
        row.has_content = True
        if change.kind == ChangeKind.EDITED and row.state != ItemState.DELETED:
            row.state, row.edited_at = ItemState.EDITED, when
        return True
    if row.state == ItemState.DELETED or change.kind == ChangeKind.CREATED:
        return False  # an edit after deletion, or the same item seen again
    if row.last_change_at is not None and when < row.last_change_at:
        return False  # an older edit delivered late
    row.text = storable(change.item.text)
    row.raw = storable(dict(change.item.raw))
    row.state, row.edited_at, row.last_change_at = ItemState.EDITED, when, when
    return True


def inbound_apply(*, account: Account, change: InboundChange, via: str) -> InboundItem:
    """Record one change exactly once, whatever the order and the number of deliveries."""
    when = change.occurred_at or (change.item.created_at if change.item else None)
    when = when or timezone.now()
    with transaction.atomic():
        row = (
            InboundItem.objects.select_for_update()
            .filter(network=account.network, remote_id=change.remote_id)
            .first()
        )
        if row is None:
            try:
                with transaction.atomic():
                    row = _new_row(account, change, when, via)
                    row.save()
                    return row
            except IntegrityError:
                # Another worker stored it a moment ago: apply our change to theirs.
                row = InboundItem.objects.select_for_update().get(
                    network=account.network, remote_id=change.remote_id
                )
        if _apply_to_existing(row, change, when):
            row.save()
        return row


@dataclass(frozen=True)
class WebhookOutcome:
    status: int
    message: str
    body: str = ""
    changes: int = 0


def webhook_receive(
    *,
    network: str,
    body: bytes,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    secret: str,
    account: Account | None = None,
) -> WebhookOutcome:
    """Store the raw delivery first, then verify, parse and record it."""
    lowered = {k.lower(): v for k, v in headers.items()}
    delivery = WebhookDelivery.objects.create(
        network=network,
        body=body,
        headers={k: v[:500] for k, v in lowered.items() if k in KEPT_HEADERS},
        query={k: str(v)[:500] for k, v in query.items()},
    )
    handler = webhook_handler(network)
    try:
        handler.verify(body=body, headers=lowered, query=query, secret=secret, now=timezone.now())
        changes = handler.parse(body)
    except (InvalidSignature, StaleEvent, MalformedResponse) as exc:
        delivery.error = f"{type(exc).__name__}: {exc}"[:300]
        delivery.save(update_fields=["error"])
        status = 400 if isinstance(exc, MalformedResponse) else 403
        return WebhookOutcome(status, delivery.error)
    recorded = 0
    for change in changes:
        target = account or _account_for(network, change.account_ref)
        if target is None:
            continue
        inbound_apply(account=target, change=change, via="webhook")
        recorded += 1
    delivery.verified = True
    delivery.changes = recorded
    delivery.processed_at = timezone.now()
    delivery.save(update_fields=["verified", "changes", "processed_at"])
    return WebhookOutcome(200, "ok", changes=recorded)


def _account_for(network: str, account_ref: str) -> Account | None:
    if not account_ref:
        return None
    return Account.objects.filter(network=network, remote_id=account_ref).first()


@dataclass(frozen=True)
class PollOutcome:
    fetched: int
    status: str  # "ok", "deferred", "rate_limited", "failed", "access_lost", "push_only"
    gap: bool = False


def account_poll(*, account: Account, now: dt.datetime | None = None) -> PollOutcome:
    """Fetch what arrived since the saved cursor; back off politely when refused."""
    now = now or timezone.now()
    cursor, _ = PollCursor.objects.get_or_create(account=account, stream="inbound")
    if cursor.not_before and cursor.not_before > now:
        return PollOutcome(0, "deferred")
    if account.connection_state != ConnectionState.CONNECTED:
        return PollOutcome(0, "deferred")
    try:
        result = _fetch_with_fresh_credentials(account, cursor.cursor or None)
    except NotSupported:
        return PollOutcome(0, "push_only")
    except AuthExpired as exc:
        account_mark_access_problem(account=account, note=str(exc))
        return PollOutcome(0, "access_lost")
    except (RateLimited, TransientError, MalformedResponse) as exc:
        cursor.failures += 1
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        delay = backoff_delay(cursor.failures, retry_after=retry_after, base=30.0)
        cursor.not_before = now + dt.timedelta(seconds=delay)
        cursor.save(update_fields=["failures", "not_before", "updated_at"])
        return PollOutcome(
            0,
            "rate_limited" if retry_after is not None or isinstance(exc, RateLimited) else "failed",
        )
    except AdapterError:
        cursor.failures += 1
        cursor.not_before = now + dt.timedelta(seconds=backoff_delay(cursor.failures, base=60))
        cursor.save(update_fields=["failures", "not_before", "updated_at"])
        return PollOutcome(0, "failed")
    # Items first, cursor after: a crash in between re-fetches, and dedupe absorbs it.
    for item in result.items:
        inbound_apply(
            account=account,
            change=InboundChange(
                kind=ChangeKind.CREATED,
                remote_id=item.remote_id,
                account_ref=account.remote_id,
                item=item,
            ),
            via="poll",
        )
    if result.cursor:
        cursor.cursor = result.cursor
    cursor.failures = 0
    cursor.not_before = None
    if result.gap:
        cursor.gaps += 1
        cursor.gap_detected_at = now
        _report_gap(account)
    cursor.save()
    return PollOutcome(len(result.items), "ok", gap=result.gap)


def _refresher(account: Account) -> Callable[[Credentials], Credentials] | None:
    """The network's token refresh, for networks connected through OAuth (else None)."""
    if Network(account.network) not in OAUTH:
        return None

    def refresh(credentials: Credentials) -> Credentials:
        try:
            client = oauth_for(account)
        except (ValueError, AdapterError) as exc:
            raise AuthExpired("the OAuth settings of this account are incomplete") from exc
        return client.refresh(credentials)

    return refresh


def _fetch_with_fresh_credentials(account: Account, cursor: str | None) -> FetchResult:
    """Fetch, refreshing an expiring or refused OAuth token once (one refresh per account)."""
    refresher = _refresher(account)
    version = credentials_version(account)
    credentials = credentials_load(account)
    if refresher is not None and credentials_need_refresh(credentials):
        credentials = credentials_refresh(account=account, refresh=refresher)
        version = credentials_version(account)
    adapter = adapter_for(account, credentials)
    try:
        result = adapter.fetch_inbound(cursor)
    except AuthExpired:
        if refresher is None or not credentials.refresh_token:
            raise
        credentials = credentials_refresh(account=account, refresh=refresher, force_version=version)
        adapter = adapter_for(account, credentials)
        result = adapter.fetch_inbound(cursor)
    credentials_save_rotated(account=account, before=credentials, after=adapter.credentials)
    return result


def _report_gap(account: Account) -> None:
    audit_record(
        actor=None, action="account.poll_gap", organisation=account.organisation, target=account
    )
    if account.responsible is not None and account.responsible.is_active:
        notification_send(
            recipient=account.responsible,
            message_key="account.poll_gap",
            params={"handle": account.handle, "network": account.network},
            url=f"/console/channels/{account.pk}/",
        )
