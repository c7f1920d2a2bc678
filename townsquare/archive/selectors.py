"""Reads of the archive, scoped to the organisations where the user keeps records.

Records officers and administrators see their organisations' records (and those below);
a record of another agency is reported as missing (404), never as forbidden.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from townsquare.archive.models import EventKind, MediaBlob, Record, RecordEvent, VersionMedia
from townsquare.organisations.models import Organisation, Role
from townsquare.organisations.selectors import organisations_where, roles_of

DELETED_KINDS = [EventKind.DELETED_ON_NETWORK, EventKind.DELETED_BY_STAFF]


def archive_organisations(user: Any) -> QuerySet[Organisation]:
    ids = set(organisations_where(user, Role.ADMINISTRATOR).values_list("pk", flat=True))
    ids |= set(organisations_where(user, Role.RECORDS_OFFICER).values_list("pk", flat=True))
    return Organisation.objects.filter(pk__in=ids)


def can_use_archive(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and archive_organisations(user).exists()


def is_records_officer(user: Any, organisation: Organisation) -> bool:
    return Role.RECORDS_OFFICER in roles_of(user, organisation)


def records_visible_to(user: Any) -> QuerySet[Record]:
    events = RecordEvent.objects.filter(record=OuterRef("pk"))
    records: QuerySet[Record] = (
        Record.objects.filter(organisation__in=archive_organisations(user))
        .select_related("organisation")
        .annotate(
            is_deleted=Exists(events.filter(kind__in=DELETED_KINDS)),
            is_restricted=Exists(events.filter(kind=EventKind.RESTRICTED)),
            is_redacted=Exists(events.filter(kind=EventKind.REDACTED)),
        )
    )
    return records


def record_get_for_user(user: Any, record_id: Any) -> Record:
    try:
        return records_visible_to(user).get(pk=int(record_id))
    except (Record.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such record") from exc


def media_get_for_user(user: Any, sha256: str) -> MediaBlob:
    """A media file, when the user may see the content of at least one record using it."""
    record_ids = VersionMedia.objects.filter(blob_id=str(sha256)[:64]).values_list(
        "version__record_id", flat=True
    )
    for record in records_visible_to(user).filter(pk__in=record_ids):
        if not record.is_restricted or is_records_officer(user, record.organisation):  # type: ignore[attr-defined]
            blob: MediaBlob | None = MediaBlob.objects.filter(pk=sha256).first()
            if blob is not None:
                return blob
    raise Http404("No such media file")
