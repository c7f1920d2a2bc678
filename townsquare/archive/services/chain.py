"""The hash chain: canonical hashing, appending an event, signed checkpoints.

entry_hash = SHA-256 of the canonical JSON of
    {seq, prev_hash, event: {...event and record identity...}, content_sha256, media_sha256}
Canonical JSON: sorted keys, no spaces, UTF-8, datetimes as UTC ISO 8601 with microseconds.
Verification recomputes every hash from the rows as they are now, so a row changed by
raw SQL no longer matches the entry that committed to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from townsquare.archive import signing
from townsquare.archive.models import ChainEntry, ChainHead, Checkpoint, RecordEvent, RecordVersion

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def time_text(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def version_content_hash(*, content: str, metadata_json: str, media_sha256: list[str]) -> str:
    return sha256_hex(
        canonical_json(
            {"content": content, "metadata_json": metadata_json, "media": media_sha256}
        )
    )


def version_media_hashes(version: RecordVersion) -> list[str]:
    from townsquare.archive.models import VersionMedia

    return list(
        VersionMedia.objects.filter(version=version)
        .order_by("position")
        .values_list("blob_id", flat=True)
    )


def event_fields(event: RecordEvent) -> dict[str, Any]:
    """What an entry commits to about its event and the record's identity.

    ``details_json`` is left out when empty, so entries written before it existed keep
    their hashes.
    """
    record = event.record
    fields = {
        "id": event.pk,
        "kind": event.kind,
        "version_id": event.version_id,
        "actor_id": None,  # the user row may go; the label recorded at the time stays
        "actor_label": event.actor_label,
        "reason": event.reason,
        "occurred_at": time_text(event.occurred_at),
        "recorded_at": time_text(event.recorded_at),
        "record": {
            "id": record.pk,
            "organisation_id": record.organisation_id,
            "record_type": record.record_type,
            "source": record.source,
            "source_id": record.source_id,
            "network": record.network,
            "account_handle": record.account_handle,
            "author": record.author,
            "author_id": record.author_id,
            "remote_id": record.remote_id,
            "url": record.url,
            "remote_created_at": time_text(record.remote_created_at),
            "first_captured_at": time_text(record.first_captured_at),
        },
    }
    if event.details_json:
        fields["details_json"] = event.details_json
    return fields


def entry_hash(
    *, seq: int, prev_hash: str, event: dict[str, Any], content_sha256: str, media: list[str]
) -> str:
    return sha256_hex(
        canonical_json(
            {
                "seq": seq,
                "prev_hash": prev_hash,
                "event": event,
                "content_sha256": content_sha256,
                "media_sha256": media,
            }
        )
    )


def _head_for_update() -> ChainHead:
    """The head row, locked until the transaction ends (two workers append one at a time).

    On PostgreSQL the row lock queues appenders; SQLite takes its write lock at BEGIN
    (transaction_mode IMMEDIATE), which serialises them the same way.
    """
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            ChainHead.objects.create(pk=1, seq=0, entry_hash=GENESIS_HASH)
    except IntegrityError:
        pass  # another worker created it first
    return ChainHead.objects.select_for_update().get(pk=1)


def chain_lock() -> ChainHead:
    """Take the chain lock for the current transaction (callers must be in one)."""
    return _head_for_update()


def chain_append(
    *, event: RecordEvent, head: ChainHead | None = None, media: list[str] | None = None
) -> ChainEntry:
    """Append ``event`` to the chain. Must run inside the transaction that wrote it.

    ``media`` are the hashes of the event's version media when the caller knows them
    (saves reading them back).
    """
    if head is None:
        head = _head_for_update()
    version = event.version
    content = version.content_sha256 if version is not None else ""
    if media is None:
        media = version_media_hashes(version) if version is not None else []
    seq = head.seq + 1
    digest = entry_hash(
        seq=seq,
        prev_hash=head.entry_hash,
        event=event_fields(event),
        content_sha256=content,
        media=media,
    )
    entry = ChainEntry.objects.create(
        seq=seq,
        prev_hash=head.entry_hash,
        entry_hash=digest,
        event=event,
        content_sha256=content,
        media_sha256=media,
    )
    head.seq, head.entry_hash = seq, digest
    head.entries_since_checkpoint += 1
    head.save(update_fields=["seq", "entry_hash", "entries_since_checkpoint"])
    if head.entries_since_checkpoint >= settings.ARCHIVE_CHECKPOINT_EVERY:
        transaction.on_commit(_enqueue_checkpoint)
    return entry


def _enqueue_checkpoint() -> None:
    from townsquare.archive.tasks import make_checkpoint

    make_checkpoint()


def checkpoint_message(*, seq: int, entry_hash: str, signed_at: dt.datetime) -> bytes:
    return canonical_json(
        {"seq": seq, "entry_hash": entry_hash, "signed_at": time_text(signed_at)}
    )


def checkpoint_create(*, now: dt.datetime | None = None) -> Checkpoint | None:
    """Sign the chain's current head, unless it is already signed (or the chain is empty)."""
    with transaction.atomic():
        head = _head_for_update()
        if head.seq == 0 or Checkpoint.objects.filter(seq=head.seq).exists():
            return None
        signed_at = now or timezone.now()
        checkpoint = Checkpoint.objects.create(
            seq=head.seq,
            entry_hash=head.entry_hash,
            signed_at=signed_at,
            signature=signing.sign(
                checkpoint_message(seq=head.seq, entry_hash=head.entry_hash, signed_at=signed_at)
            ),
            key_id=signing.key_id(),
        )
        head.entries_since_checkpoint = 0
        head.save(update_fields=["entries_since_checkpoint"])
    return checkpoint


def checkpoints_export() -> dict[str, Any]:
    """Checkpoints and the public key, to publish outside the system."""
    return {
        "format": "townsquare-archive-checkpoints/1",
        "algorithm": "Ed25519",
        "public_key": signing.public_key_base64(),
        "key_id": signing.key_id(),
        "signed_message": "canonical JSON of {seq, entry_hash, signed_at}",
        "checkpoints": [
            {
                "seq": c.seq,
                "entry_hash": c.entry_hash,
                "signed_at": time_text(c.signed_at),
                "signature": c.signature,
                "key_id": c.key_id,
            }
            for c in Checkpoint.objects.order_by("seq")
        ],
    }
