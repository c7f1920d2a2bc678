"""Periodic re-capture of an agency's own recent posts, to notice what changed outside
Townsquare: a post deleted or edited directly on the network.

Every published-post record captured in the last ``ARCHIVE_RECAPTURE_DAYS`` that is not
yet marked deleted is read back through its account's adapter. Gone (404): a "deleted on
the network" event. Edited (the network reports an edit time and the text differs): a
new version. Networks that cannot read one post back are skipped; a failure of one
account never stops the others. Citizens' public replies arrive through the account's
notifications and are captured with the inbound items (services.capture).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from townsquare.archive.models import EventKind, Record, RecordEvent, RecordType
from townsquare.archive.services.records import (
    record_capture,
    record_mark_deleted,
    versions_in_order,
)
from townsquare.channels.adapters.base import AdapterError, ChannelAdapter, NotSupported

logger = logging.getLogger(__name__)

# Posts an agency published on the network itself (not through Townsquare).
OWN_POST_SOURCE = "channels.own_post"
MAX_PER_RUN = 500


@dataclass(frozen=True)
class RecaptureSummary:
    checked: int
    deleted: int
    edited: int
    failures: int
    skipped: int


def _adapter(network: str, handle: str) -> ChannelAdapter | None:
    from townsquare.channels.models import Account
    from townsquare.channels.runtime import adapter_for
    from townsquare.channels.services.credentials import credentials_load

    account = Account.objects.filter(network=network, handle=handle).first()
    if account is None:
        return None
    try:
        return adapter_for(account, credentials_load(account))
    except (AdapterError, ValueError) as exc:
        logger.warning("archive recapture: account %s unusable: %s", account.pk, exc)
        return None


def _edit_time(raw: object) -> dt.datetime | None:
    value = raw.get("edited_at") if isinstance(raw, dict) else None
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else None


def own_posts_recapture(*, now: dt.datetime | None = None) -> RecaptureSummary:
    since = (now or timezone.now()) - dt.timedelta(days=settings.ARCHIVE_RECAPTURE_DAYS)
    deleted_event = RecordEvent.objects.filter(
        record=OuterRef("pk"), kind__in=[EventKind.DELETED_ON_NETWORK, EventKind.DELETED_BY_STAFF])
    records = list(
        Record.objects.filter(record_type=RecordType.PUBLISHED_POST, first_captured_at__gte=since)
        .exclude(remote_id="").exclude(account_handle="")
        .filter(~Exists(deleted_event)).select_related("organisation")
        .order_by("network", "account_handle", "pk")[:MAX_PER_RUN])
    checked = deleted = edited = failures = skipped = 0
    adapters: dict[tuple[str, str], ChannelAdapter | None] = {}
    for record in records:
        key = (record.network, record.account_handle)
        if key not in adapters:
            adapters[key] = _adapter(*key)
        adapter = adapters[key]
        if adapter is None:
            skipped += 1
            continue
        try:
            item = adapter.fetch_post(record.remote_id)
        except NotSupported:
            adapters[key] = None
            skipped += 1
            continue
        except AdapterError as exc:
            logger.warning("archive recapture of record %s failed: %s", record.pk, exc)
            failures += 1
            continue
        checked += 1
        if item is None:
            record_mark_deleted(
                source=record.source, source_id=record.source_id,
                organisation=record.organisation, record_type=record.record_type,
                network=record.network, account_handle=record.account_handle,
                remote_id=record.remote_id, url=record.url)
            deleted += 1
            continue
        when = _edit_time(item.raw)
        originals = [v for v in versions_in_order(record) if v.redacts_id is None]
        current = originals[-1] if originals else None
        # A thread published in several parts is one record; only single posts compare.
        single = current is None or int(current.metadata.get("parts", 1) or 1) <= 1
        if when is not None and single and (current is None or current.content != item.text):
            metadata = {**(current.metadata if current else {}), "edited_on_network": True}
            result = record_capture(
                source=record.source, source_id=record.source_id,
                organisation=record.organisation, record_type=record.record_type,
                content=item.text, metadata=metadata, network_time=when,
                network=record.network, account_handle=record.account_handle,
                remote_id=record.remote_id, url=record.url)
            edited += result.version is not None
    return RecaptureSummary(checked=checked, deleted=deleted, edited=edited,
                            failures=failures, skipped=skipped)
