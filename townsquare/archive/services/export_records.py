"""One archived record as an export package writes it (redactions applied), and the
thread it belongs to."""

from __future__ import annotations

from typing import Any

from townsquare.archive.models import (
    EventKind,
    Record,
    RecordEvent,
    RecordVersion,
    VersionMedia,
)
from townsquare.archive.services.chain import event_fields, time_text

DELETED = {EventKind.DELETED_ON_NETWORK, EventKind.DELETED_BY_STAFF}


def record_lines(ids: list[int]) -> list[dict[str, Any]]:
    """The records ``ids`` as package lines (redactions applied), in id order."""
    records = Record.objects.filter(pk__in=ids).select_related("organisation").order_by("pk")
    versions: dict[int, list[RecordVersion]] = {}
    for version in RecordVersion.objects.filter(record_id__in=ids).order_by("pk"):
        versions.setdefault(version.record_id, []).append(version)
    media: dict[int, list[str]] = {}
    for version_id, blob_id in (VersionMedia.objects.filter(version__record_id__in=ids)
                                .order_by("version", "position")
                                .values_list("version_id", "blob_id")):
        media.setdefault(version_id, []).append(blob_id)
    events: dict[int, list[RecordEvent]] = {}
    for event in (RecordEvent.objects.filter(record_id__in=ids).select_related("chain_entry")
                  .order_by("chain_entry__seq", "pk")):
        events.setdefault(event.record_id, []).append(event)
    lines = []
    for record in records:
        own = versions.get(record.pk, [])
        redacted_ids = {v.redacts_id for v in own if v.redacts_id is not None}
        kinds = {e.kind for e in events.get(record.pk, [])}
        line = dict(event_fields(_identity_event(record))["record"])
        line.update({
            "organisation": str(record.organisation),
            "deleted": bool(kinds & DELETED),
            "redacted": EventKind.REDACTED in kinds,
            "restricted": EventKind.RESTRICTED in kinds,
            "versions": [_version_json(v, media.get(v.pk, []), redacted_ids) for v in own],
            "events": [_event_json(e) for e in events.get(record.pk, [])],
        })
        lines.append(line)
    return lines


def _identity_event(record: Record) -> RecordEvent:
    return RecordEvent(record=record, kind="", occurred_at=record.first_captured_at,
                       recorded_at=record.first_captured_at)


def _version_json(version: RecordVersion, media: list[str], redacted: set[int]) -> dict[str, Any]:
    withheld = ("disposed" if version.disposed_at is not None
                else "redacted" if version.pk in redacted else "")
    return {
        "id": version.pk,
        "redacts": version.redacts_id,
        "content_sha256": version.content_sha256,
        "network_time": time_text(version.network_time),
        "captured_at": time_text(version.captured_at),
        "withheld": withheld,
        # A withheld version is proven by its chain entry; its content is not released.
        "content": None if withheld else version.content,
        "metadata_json": None if withheld else version.metadata_json,
        "media": [] if withheld else media,
    }


def _event_json(event: RecordEvent) -> dict[str, Any]:
    entry = getattr(event, "chain_entry", None)
    return {"id": event.pk, "kind": event.kind, "version_id": event.version_id,
            "actor": event.actor_label, "reason": event.reason,
            "occurred_at": time_text(event.occurred_at),
            "seq": entry.seq if entry is not None else None}


def thread_key(record: Record, metadata: dict[str, Any]) -> str:
    """Replies share their post's thread: conversation id, else the post they answer."""
    network = record.network or record.source
    if metadata.get("conversation_id"):
        return f"{network}:c:{metadata['conversation_id']}"[:300]
    if metadata.get("in_reply_to"):
        return f"{network}:p:{metadata['in_reply_to']}"[:300]
    if record.remote_id:
        return f"{network}:p:{record.remote_id}"[:300]
    return f"record:{record.pk}"
