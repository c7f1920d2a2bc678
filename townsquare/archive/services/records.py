"""Writes of the archive: capture, deletion, redaction, restriction.

Every write takes the chain lock first, so captures of the same record by two workers
queue up and the second sees what the first wrote (a repeated capture adds nothing).
Nothing is ever changed or removed: an edit is a new version, a deletion or a redaction
is a new event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.archive.models import (
    EventKind,
    Record,
    RecordEvent,
    RecordType,
    RecordVersion,
    VersionMedia,
)
from townsquare.archive.search import index_add, text_for_search
from townsquare.archive.services.chain import (
    canonical_json,
    chain_append,
    chain_lock,
    version_content_hash,
)
from townsquare.archive.services.media import media_store
from townsquare.core.services import audit_record
from townsquare.organisations.models import Role
from townsquare.organisations.selectors import roles_of

if TYPE_CHECKING:
    from townsquare.archive.models import ChainHead
    from townsquare.organisations.models import Organisation, User

ARCHIVE_ROLES = {Role.ADMINISTRATOR, Role.RECORDS_OFFICER}
MAX_CONTENT_CHARS = 1_000_000


@dataclass(frozen=True)
class CaptureResult:
    record: Record
    version: RecordVersion | None  # None when nothing changed since the last capture
    created: bool  # the record itself is new


def check_can_manage_archive(user: Any, organisation: Organisation) -> None:
    """Records officers and administrators act on their organisations' records."""
    if not roles_of(user, organisation) & ARCHIVE_ROLES:
        raise PermissionDenied


# --- validation -------------------------------------------------------------------


def _clean_text(value: object, *, field: str, max_length: int, required: bool = False) -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise ValidationError(
            {field: _("This text contains a NUL character, which cannot be stored.")}
        )
    if required and not text.strip():
        raise ValidationError({field: _("This is required.")})
    if len(text) > max_length:
        raise ValidationError(
            {field: _("This is longer than %(max)d characters.") % {"max": max_length}}
        )
    return text


def _clean_time(value: dt.datetime | None, *, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        raise ValidationError({field: _("A time with its time zone is required.")})
    return value


def _clean_metadata(metadata: object) -> str:
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise ValidationError({"metadata": _("Metadata must be a JSON object.")})
    try:
        text = canonical_json(metadata).decode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            {"metadata": _("Metadata cannot be stored as JSON: %(problem)s")
             % {"problem": str(exc)[:200]}}
        ) from exc
    if "\\u0000" in text:
        raise ValidationError(
            {"metadata": _("This text contains a NUL character, which cannot be stored.")}
        )
    return text


def _clean_media(media: Sequence[tuple[bytes, str]]) -> list[tuple[bytes, str]]:
    cleaned = []
    for position, item in enumerate(media):
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise ValidationError(
                {"media": _("Media item %(number)d must be a pair of bytes and a media type.")
                 % {"number": position + 1}}
            )
        cleaned.append((item[0], item[1]))
    return cleaned


# --- ordering of versions -----------------------------------------------------------


def version_sort_key(version: RecordVersion) -> tuple[dt.datetime, int]:
    """Versions in the order they existed on the network; capture order breaks ties."""
    return (version.network_time or version.captured_at, version.pk or 0)


def versions_in_order(record: Record) -> list[RecordVersion]:
    return sorted(record.versions.all(), key=version_sort_key)


def _unchanged(
    existing: list[RecordVersion], digest: str, network_time: dt.datetime | None, at: dt.datetime
) -> bool:
    """True when the capture adds nothing: the same version again, or no change at that time."""
    originals = [v for v in existing if v.redacts_id is None]
    if any(v.content_sha256 == digest and v.network_time == network_time for v in originals):
        return True
    moment = network_time or at
    before = [v for v in originals if (v.network_time or v.captured_at) <= moment]
    return bool(before) and max(before, key=version_sort_key).content_sha256 == digest


# --- writes -------------------------------------------------------------------------


def _event(
    *,
    head: ChainHead,
    record: Record,
    kind: str,
    occurred_at: dt.datetime,
    version: RecordVersion | None = None,
    actor: User | None = None,
    reason: str = "",
    media: list[str] | None = None,
    details_json: str = "",
) -> RecordEvent:
    event = RecordEvent.objects.create(
        details_json=details_json,
        record=record,
        kind=kind,
        version=version,
        actor=actor,
        actor_label=actor.get_username()[:200] if actor is not None else "system",
        reason=reason,
        occurred_at=occurred_at,
        recorded_at=timezone.now(),
    )
    chain_append(event=event, head=head, media=media if version is not None else [])
    return event


def _version(
    *,
    record: Record,
    content: str,
    metadata_json: str,
    blobs: list[Any],
    network_time: dt.datetime | None,
    captured_at: dt.datetime,
    redacts: RecordVersion | None = None,
) -> RecordVersion:
    hashes = [blob.pk for blob in blobs]
    indexed = text_for_search(content)
    version = RecordVersion.objects.create(
        record=record,
        content=content,
        metadata_json=metadata_json,
        content_sha256=version_content_hash(
            content=content, metadata_json=metadata_json, media_sha256=hashes
        ),
        network_time=network_time,
        captured_at=captured_at,
        redacts=redacts,
        search_text=indexed,
    )
    index_add(version_id=version.pk, text=indexed)
    if blobs:
        VersionMedia.objects.bulk_create(
            VersionMedia(version=version, blob=blob, position=i) for i, blob in enumerate(blobs)
        )
    return version


def _find_or_make_record(
    *, source: str, source_id: str, organisation: Organisation, record_type: str,
    at: dt.datetime, identity: dict[str, Any],
) -> tuple[Record, bool]:
    record = Record.objects.filter(source=source, source_id=source_id).order_by().first()
    if record is not None:
        if record.organisation_id != organisation.pk:
            raise ValidationError(
                {"source_id": _("This record is already archived for another organisation.")}
            )
        return record, False
    return Record.objects.create(
        source=source, source_id=source_id, organisation=organisation,
        record_type=record_type, first_captured_at=at, **identity,
    ), True


def _clean_identity(
    *, source: str, source_id: str, record_type: str, network: str, account_handle: str,
    author: str, author_id: str, remote_id: str, url: str,
    remote_created_at: dt.datetime | None,
) -> dict[str, Any]:
    _clean_text(source, field="source", max_length=40, required=True)
    _clean_text(source_id, field="source_id", max_length=300, required=True)
    if record_type not in RecordType.values:
        raise ValidationError({"record_type": _("“%(value)s” is not a record type.")
                               % {"value": str(record_type)[:40]}})
    return {
        "network": _clean_text(network, field="network", max_length=20),
        "account_handle": _clean_text(account_handle, field="account_handle", max_length=200),
        "author": _clean_text(author, field="author", max_length=200),
        "author_id": _clean_text(author_id, field="author_id", max_length=200),
        "remote_id": _clean_text(remote_id, field="remote_id", max_length=200),
        "url": _clean_text(url, field="url", max_length=500),
        "remote_created_at": _clean_time(remote_created_at, field="remote_created_at"),
    }


def record_capture(
    *,
    source: str,
    source_id: str,
    organisation: Organisation,
    record_type: str,
    content: str,
    metadata: dict[str, Any] | None = None,
    media: Sequence[tuple[bytes, str]] = (),
    captured_at: dt.datetime | None = None,
    network_time: dt.datetime | None = None,
    network: str = "",
    account_handle: str = "",
    author: str = "",
    author_id: str = "",
    remote_id: str = "",
    url: str = "",
    remote_created_at: dt.datetime | None = None,
) -> CaptureResult:
    """Archive what a record says now; a new version only when something changed.

    ``network_time`` is when this content existed on the network (the edit time); an
    older version arriving late is kept and sorted into place, never overwriting.
    """
    identity = _clean_identity(
        source=source, source_id=source_id, record_type=record_type, network=network,
        account_handle=account_handle, author=author, author_id=author_id,
        remote_id=remote_id, url=url, remote_created_at=remote_created_at,
    )
    text = _clean_text(content, field="content", max_length=MAX_CONTENT_CHARS)
    metadata_json = _clean_metadata(metadata)
    items = _clean_media(media)
    network_time = _clean_time(network_time, field="network_time")
    at = _clean_time(captured_at, field="captured_at") or timezone.now()
    with transaction.atomic():
        head = chain_lock()
        record, created = _find_or_make_record(
            source=source, source_id=source_id, organisation=organisation,
            record_type=record_type, at=at, identity=identity,
        )
        blobs = [media_store(data=data, mime_type=mime) for data, mime in items]
        digest = version_content_hash(
            content=text, metadata_json=metadata_json, media_sha256=[b.pk for b in blobs]
        )
        existing = [] if created else list(record.versions.all())
        if _unchanged(existing, digest, network_time, at):
            return CaptureResult(record=record, version=None, created=False)
        version = _version(
            record=record, content=text, metadata_json=metadata_json, blobs=blobs,
            network_time=network_time, captured_at=at,
        )
        has_original = any(v.redacts_id is None for v in existing)
        _event(
            head=head, record=record, version=version,
            kind=EventKind.EDITED if has_original else EventKind.CREATED,
            occurred_at=network_time or at, media=[b.pk for b in blobs],
        )
    return CaptureResult(record=record, version=version, created=created)


def record_mark_deleted(
    *,
    source: str,
    source_id: str,
    organisation: Organisation,
    record_type: str,
    occurred_at: dt.datetime | None = None,
    actor: User | None = None,
    reason: str = "",
    network: str = "",
    account_handle: str = "",
    remote_id: str = "",
    url: str = "",
) -> RecordEvent:
    """Record that a record was deleted on the network, or by staff when ``actor`` is given.

    A deletion of something never captured leaves a tombstone: a record with no version
    and only this event. Repeating the same deletion adds nothing.
    """
    identity = _clean_identity(
        source=source, source_id=source_id, record_type=record_type, network=network,
        account_handle=account_handle, author="", author_id="", remote_id=remote_id, url=url,
        remote_created_at=None,
    )
    reason = _clean_text(reason, field="reason", max_length=2000, required=actor is not None)
    when = _clean_time(occurred_at, field="occurred_at") or timezone.now()
    kind = EventKind.DELETED_BY_STAFF if actor is not None else EventKind.DELETED_ON_NETWORK
    with transaction.atomic():
        head = chain_lock()
        record, _created = _find_or_make_record(
            source=source, source_id=source_id, organisation=organisation,
            record_type=record_type, at=timezone.now(), identity=identity,
        )
        if actor is not None:
            check_can_manage_archive(actor, record.organisation)
        already: RecordEvent | None = record.events.filter(kind=kind).first()
        if already is not None:
            return already
        event = _event(head=head, record=record, kind=kind, occurred_at=when, actor=actor,
                       reason=reason)
        if actor is not None:
            audit_record(actor=actor, action="archive.record_deleted_by_staff",
                         organisation=record.organisation, target=record,
                         details={"reason": reason})
    return event


def record_redact(
    *,
    actor: User,
    record: Record,
    content: str,
    reason: str,
    version: RecordVersion | None = None,
    keep_media: bool = False,
) -> RecordVersion:
    """Add a redacted copy of ``version`` (by default the current one) and a redaction event.

    The original stays in the archive and in the chain, so the chain still verifies; the
    redacted copy is what is shown and released. The copy keeps the metadata except the
    raw network payload, which repeats the text being redacted.
    """
    check_can_manage_archive(actor, record.organisation)
    if (
        record.events.filter(kind=EventKind.RESTRICTED).exists()
        and Role.RECORDS_OFFICER not in roles_of(actor, record.organisation)
    ):
        raise PermissionDenied  # a restricted record's content is for records officers only
    reason = _clean_text(reason, field="reason", max_length=2000, required=True)
    text = _clean_text(content, field="content", max_length=MAX_CONTENT_CHARS)
    with transaction.atomic():
        head = chain_lock()
        originals = [v for v in versions_in_order(record) if v.redacts_id is None]
        if version is None:
            if not originals:
                raise ValidationError(_("This record has no content to redact."))
            version = originals[-1]
        elif version.record_id != record.pk or version.redacts_id is not None:
            raise ValidationError(_("Only an original version of this record can be redacted."))
        if version.disposed_at is not None:
            raise ValidationError(_("The content of this version was disposed of."))
        if text == version.content and not (version.media.exists() and not keep_media):
            raise ValidationError({"content": _("The redacted text is the same as the original.")})
        metadata = {k: v for k, v in version.metadata.items() if k != "raw"}
        blobs = (
            [link.blob for link in VersionMedia.objects.filter(version=version)
             .select_related("blob").order_by("position")]
            if keep_media else []
        )
        redacted = _version(
            record=record, content=text, metadata_json=_clean_metadata(metadata), blobs=blobs,
            network_time=version.network_time, captured_at=timezone.now(), redacts=version,
        )
        _event(head=head, record=record, kind=EventKind.REDACTED, version=redacted,
               occurred_at=timezone.now(), actor=actor, reason=reason,
               media=[b.pk for b in blobs])
        audit_record(actor=actor, action="archive.record_redacted",
                     organisation=record.organisation, target=record,
                     details={"version": version.pk, "redacted_version": redacted.pk,
                              "reason": reason})
    return redacted


def record_restrict_by_system(*, record: Record, reason: str) -> RecordEvent | None:
    """Restrict a record on the system's own account, once (e.g. internal notes, which
    are restricted as they are captured). Call it in the capture's transaction so the
    content is never readable unrestricted; None when the record is restricted already."""
    reason = _clean_text(reason, field="reason", max_length=2000, required=True)
    with transaction.atomic():
        head = chain_lock()
        if RecordEvent.objects.filter(record=record, kind=EventKind.RESTRICTED).exists():
            return None
        return _event(head=head, record=record, kind=EventKind.RESTRICTED,
                      occurred_at=timezone.now(), reason=reason)


def record_restrict(*, actor: User, record: Record, reason: str) -> RecordEvent:
    """Restrict access to a record (e.g. after an erasure request), with the legal basis."""
    check_can_manage_archive(actor, record.organisation)
    reason = _clean_text(reason, field="reason", max_length=2000, required=True)
    with transaction.atomic():
        head = chain_lock()
        event = _event(head=head, record=record, kind=EventKind.RESTRICTED,
                       occurred_at=timezone.now(), actor=actor, reason=reason)
        audit_record(actor=actor, action="archive.record_restricted",
                     organisation=record.organisation, target=record, details={"reason": reason})
    return event

