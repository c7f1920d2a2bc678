"""Verification of the whole archive: the chain, the checkpoints and every media file.

Hashes are recomputed from the rows as they are now. What is detected:
- a changed version, event or record (its entry's hash no longer matches);
- an entry removed, inserted or moved (sequence gap, or a broken link to the previous hash);
- entries cut from the end (the chain head or a signed checkpoint names a later entry);
- a version or event written without a chain entry;
- a checkpoint whose signature does not verify or whose entry hash differs;
- a media file missing, or changed on disk;
- an emptied version that no "disposed" event in the chain names with the same hashes
  (disposition empties versions on purpose and commits to what it removed).
Someone able to rewrite the whole chain and its head could hide a change made after the
last checkpoint published outside the system; that is why checkpoints are exported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from townsquare.archive import signing
from townsquare.archive.models import (
    ChainEntry,
    ChainHead,
    Checkpoint,
    EventKind,
    MediaBlob,
    RecordEvent,
    RecordVersion,
    VersionMedia,
)
from townsquare.archive.services.chain import (
    GENESIS_HASH,
    checkpoint_message,
    entry_hash,
    event_fields,
    version_content_hash,
)
from townsquare.archive.services.media import file_sha256, media_path

BATCH = 1000
MAX_PROBLEMS = 100


@dataclass(frozen=True)
class Problem:
    message: str
    seq: int | None = None
    record_id: int | None = None
    media_sha256: str = ""


@dataclass
class VerificationReport:
    entries: int = 0
    head_seq: int = 0
    checkpoints: int = 0
    last_checkpoint: Checkpoint | None = None
    media_files: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_broken_entry(self) -> Problem | None:
        """The problem with the lowest chain position (a media problem when none has one)."""
        in_chain = [p for p in self.problems if p.seq is not None]
        if in_chain:
            return min(in_chain, key=lambda p: p.seq or 0)
        return self.problems[0] if self.problems else None

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


def _media_by_version(version_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {v: [] for v in version_ids}
    links = VersionMedia.objects.filter(version_id__in=version_ids).order_by("version", "position")
    for version_id, blob_id in links.values_list("version_id", "blob_id"):
        found[version_id].append(blob_id)
    return found


def _disposals(record_ids: set[int]) -> dict[int, dict[str, Any]]:
    """Version id → what the disposed event that emptied it committed to about it."""
    found: dict[int, dict[str, Any]] = {}
    events = RecordEvent.objects.filter(record_id__in=record_ids, kind=EventKind.DISPOSED,
                                        chain_entry__isnull=False)
    for details_json in events.values_list("details_json", flat=True):
        try:
            details = json.loads(details_json or "{}")
            for item in details.get("versions", []):
                found[int(item["id"])] = item
        except (ValueError, TypeError, KeyError, AttributeError):
            continue  # a changed event is reported by its own entry's hash
    return found


def _disposed_version_ok(
    version: RecordVersion, entry: ChainEntry, disposals: dict[int, dict[str, Any]]
) -> bool:
    """An emptied version is fine when a disposed event in the chain names its hashes."""
    item = disposals.get(version.pk)
    return (
        item is not None
        and version.content == "" and version.metadata_json == "{}"
        and version.search_text == ""
        and item.get("content_sha256") == version.content_sha256 == entry.content_sha256
        and item.get("media") == list(entry.media_sha256 or [])
    )


def _check_entry(
    report: VerificationReport, entry: ChainEntry, media: list[str], prev_hash: str,
    disposals: dict[int, dict[str, Any]] | None = None,
) -> None:
    event = entry.event
    record_id = event.record_id
    if entry.prev_hash != prev_hash:
        report.add(Problem(_("Entry %(seq)d does not link to the entry before it.")
                           % {"seq": entry.seq}, entry.seq, record_id))
    version = event.version
    if version is not None and version.disposed_at is not None:
        if not _disposed_version_ok(version, entry, disposals or {}):
            report.add(Problem(
                _("Version %(version)d of record %(record)d is empty but no disposition in "
                  "the chain accounts for it.") % {"version": version.pk, "record": record_id},
                entry.seq, record_id))
            return
        media = list(entry.media_sha256 or [])  # its media links went with the content
    elif version is not None:
        recomputed = version_content_hash(
            content=version.content, metadata_json=version.metadata_json, media_sha256=media
        )
        if recomputed != version.content_sha256 or recomputed != entry.content_sha256:
            report.add(Problem(
                _("The content of version %(version)d of record %(record)d has changed.")
                % {"version": version.pk, "record": record_id}, entry.seq, record_id))
            return
    elif entry.content_sha256 or entry.media_sha256:
        report.add(Problem(_("Entry %(seq)d lost the version it committed to.")
                           % {"seq": entry.seq}, entry.seq, record_id))
        return
    recomputed_entry = entry_hash(
        seq=entry.seq, prev_hash=entry.prev_hash, event=event_fields(event),
        content_sha256=entry.content_sha256, media=media,
    )
    if media != list(entry.media_sha256 or []) or recomputed_entry != entry.entry_hash:
        report.add(Problem(
            _("Entry %(seq)d does not match its event or record any more (event %(event)d).")
            % {"seq": entry.seq, "event": event.pk}, entry.seq, record_id))


def _walk_chain(report: VerificationReport, checkpoint_hashes: dict[int, str]) -> tuple[int, str]:
    expected_seq, prev_hash, last_seq = 1, GENESIS_HASH, 0
    after = 0
    while True:
        batch = list(
            ChainEntry.objects.filter(seq__gt=after)
            .select_related("event__record", "event__version")
            .order_by("seq")[:BATCH]
        )
        if not batch:
            break
        media = _media_by_version([e.event.version_id for e in batch if e.event.version_id])
        disposals = _disposals({e.event.record_id for e in batch
                                if e.event.version is not None and e.event.version.disposed_at})
        for entry in batch:
            report.entries += 1
            if entry.seq != expected_seq:
                report.add(Problem(
                    _("Entry %(expected)d is missing or out of order (found %(found)d).")
                    % {"expected": expected_seq, "found": entry.seq},
                    expected_seq, entry.event.record_id))
            _check_entry(report, entry, media.get(entry.event.version_id or 0, []), prev_hash,
                         disposals)
            signed = checkpoint_hashes.pop(entry.seq, None)
            if signed is not None and signed != entry.entry_hash:
                report.add(Problem(
                    _("Entry %(seq)d differs from the signed checkpoint at that position.")
                    % {"seq": entry.seq}, entry.seq, entry.event.record_id))
            expected_seq, prev_hash, last_seq = entry.seq + 1, entry.entry_hash, entry.seq
        after = batch[-1].seq
    return last_seq, prev_hash


def _check_checkpoints(report: VerificationReport) -> dict[int, str]:
    """Signatures of every checkpoint; returns seq → signed hash for the chain walk."""
    public = signing.public_key_bytes()
    own_key = signing.key_id(public)
    hashes: dict[int, str] = {}
    for checkpoint in Checkpoint.objects.order_by("seq"):
        report.checkpoints += 1
        report.last_checkpoint = checkpoint
        message = checkpoint_message(
            seq=checkpoint.seq, entry_hash=checkpoint.entry_hash, signed_at=checkpoint.signed_at
        )
        if checkpoint.key_id != own_key:
            report.add(Problem(
                _("Checkpoint %(seq)d was signed with another key (%(key)s).")
                % {"seq": checkpoint.seq, "key": checkpoint.key_id}, checkpoint.seq))
        elif not signing.signature_valid(message, checkpoint.signature, public):
            report.add(Problem(_("The signature of checkpoint %(seq)d does not verify.")
                               % {"seq": checkpoint.seq}, checkpoint.seq))
        hashes[checkpoint.seq] = checkpoint.entry_hash
    return hashes


def _check_unchained_rows(report: VerificationReport) -> None:
    for event_id, record_id in RecordEvent.objects.filter(
        chain_entry__isnull=True
    ).values_list("pk", "record_id")[:MAX_PROBLEMS]:
        report.add(Problem(_("Event %(event)d of record %(record)d is not in the chain.")
                           % {"event": event_id, "record": record_id}, None, record_id))
    for version_id, record_id in RecordVersion.objects.filter(
        events__isnull=True
    ).values_list("pk", "record_id")[:MAX_PROBLEMS]:
        report.add(Problem(_("Version %(version)d of record %(record)d is not in the chain.")
                           % {"version": version_id, "record": record_id}, None, record_id))


def _check_media(report: VerificationReport) -> None:
    for blob in MediaBlob.objects.order_by("sha256").iterator(chunk_size=BATCH):
        report.media_files += 1
        path = media_path(blob.sha256)
        problem = ""
        if not path.is_file():
            problem = _("Media file %(sha)s is missing.") % {"sha": blob.sha256}
        elif path.stat().st_size != blob.size or file_sha256(path) != blob.sha256:
            problem = _("Media file %(sha)s has changed on disk.") % {"sha": blob.sha256}
        if problem:
            link = VersionMedia.objects.filter(blob=blob).select_related("version").first()
            report.add(Problem(problem, None, link.version.record_id if link else None,
                               blob.sha256))


def archive_verify(*, check_media: bool = True) -> VerificationReport:
    """Check the whole chain, every checkpoint and (unless told not to) every media file."""
    report = VerificationReport()
    checkpoint_hashes = _check_checkpoints(report)
    last_seq, last_hash = _walk_chain(report, checkpoint_hashes)
    for seq in sorted(checkpoint_hashes):  # signed positions the chain no longer reaches
        report.add(Problem(
            _("The chain ends at entry %(last)d but a signed checkpoint names entry %(seq)d: "
              "entries were removed.") % {"last": last_seq, "seq": seq}, last_seq + 1))
    head = ChainHead.objects.filter(pk=1).first()
    report.head_seq = head.seq if head else 0
    if (head.seq if head else 0) != last_seq or (head.entry_hash if head else GENESIS_HASH) != (
        last_hash
    ):
        report.add(Problem(
            _("The chain ends at entry %(last)d but its head names entry %(head)d: "
              "entries were removed or added.") % {"last": last_seq, "head": report.head_seq},
            last_seq + 1))
    _check_unchained_rows(report)
    if check_media:
        _check_media(report)
    return report
