"""Capture from the channels module: inbound items into the archive.

New items are read in id order from a cursor kept in the database, so each run starts
where the last one stopped and a crash in the middle repeats at most one batch (captures
are idempotent). Items that were edited or deleted on the network after they were
captured are re-read while they are recent (ARCHIVE_RECAPTURE_DAYS); re-capturing an
unchanged item adds nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from townsquare.archive.models import CaptureCursor, RecordType
from townsquare.archive.services.chain import time_text
from townsquare.archive.services.records import record_capture, record_mark_deleted
from townsquare.channels.models import InboundItem, ItemState

INBOUND_SOURCE = "channels.inbound"
INBOUND_CURSOR = "channels.inbound.id"


def _metadata(item: InboundItem) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "network": item.network,
        "account": item.account.handle,
        "author_id": item.author_id,
        "author_handle": item.author_handle,
        "author_name": item.author_name,
        "url": item.url,
        "in_reply_to": item.in_reply_to,
        "conversation_id": item.conversation_id,
        "is_own": item.is_own,
        "language": item.language,
        "remote_created_at": time_text(item.remote_created_at),
        "raw": item.raw,
    }


def inbound_item_capture(*, item: InboundItem) -> None:
    """Archive one inbound item as it is now (its content, then its deletion if deleted)."""
    common: dict[str, Any] = {
        "source": INBOUND_SOURCE,
        "source_id": f"{item.network}:{item.remote_id}",
        "organisation": item.account.organisation,
        "record_type": RecordType.INBOUND_ITEM,
        "network": item.network,
        "account_handle": item.account.handle[:200],
        "remote_id": item.remote_id,
        "url": item.url,
    }
    if item.has_content:
        record_capture(
            **common,
            content=item.text,
            metadata=_metadata(item),
            network_time=item.edited_at or item.remote_created_at,
            author=item.author_name or item.author_handle,
            author_id=item.author_id,
            remote_created_at=item.remote_created_at,
        )
    if item.state == ItemState.DELETED:
        record_mark_deleted(**common, occurred_at=item.deleted_at)


def inbound_items_capture(*, batch_size: int = 500, now: dt.datetime | None = None) -> int:
    """Capture new inbound items past the cursor, then recent edits and deletions."""
    cursor, _created = CaptureCursor.objects.get_or_create(name=INBOUND_CURSOR)
    captured = 0
    while True:
        items = list(
            InboundItem.objects.filter(pk__gt=cursor.position)
            .select_related("account__organisation")
            .order_by("pk")[:batch_size]
        )
        if not items:
            break
        for item in items:
            inbound_item_capture(item=item)
        captured += len(items)
        with transaction.atomic():
            # Only forward: two workers running at once never move the cursor back.
            CaptureCursor.objects.filter(name=INBOUND_CURSOR, position__lt=items[-1].pk).update(
                position=items[-1].pk
            )
        cursor.refresh_from_db()
    since = (now or timezone.now()) - dt.timedelta(days=settings.ARCHIVE_RECAPTURE_DAYS)
    changed = (
        InboundItem.objects.filter(pk__lte=cursor.position, first_seen_at__gte=since)
        .exclude(state=ItemState.ACTIVE)
        .select_related("account__organisation")
        .order_by("pk")
    )
    for item in changed.iterator(chunk_size=batch_size):
        inbound_item_capture(item=item)
    return captured
