"""Reads of the archive, scoped to the organisations where the user keeps records.

Records officers and administrators see their organisations' records (and those below);
a record of another agency is reported as missing (404), never as forbidden.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.safestring import SafeString

from townsquare.archive.models import (
    BatchState,
    DispositionBatch,
    EventKind,
    LegalHold,
    MediaBlob,
    Record,
    RecordEvent,
    RecordVersion,
    RetentionRule,
    SavedSearch,
    VersionMedia,
)
from townsquare.archive.search import (
    ParsedQuery,
    fts5_newest_ids,
    highlight,
    match_versions,
    parse_query,
)
from townsquare.archive.subject_models import SubjectRequest
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


# --- full-text search ----------------------------------------------------------------

SEARCH_PAGE_SIZE = 20


@dataclass(frozen=True)
class SearchHit:
    record: Record
    version: RecordVersion
    snippet: SafeString


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    # Pass as ``before`` for the next page (keyset on version id, newest first).
    next_before: int | None


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def search_versions(
    *, organisation_ids: Iterable[int], parsed: ParsedQuery, filters: dict[str, Any],
    content_visible_in: Iterable[int] | None = None, match: bool = True,
) -> QuerySet[RecordVersion]:
    """Matching versions of records of ``organisation_ids`` that still have content.

    Restricted records match only in ``content_visible_in`` (where the user is a records
    officer); None means everywhere (holds and disposition, which are not shown to anyone).
    ``filters`` are the cleaned fields of the search form (any may be missing or empty).
    """
    versions = RecordVersion.objects.filter(
        record__organisation_id__in=list(organisation_ids), disposed_at__isnull=True
    )
    if content_visible_in is not None:
        restricted = RecordEvent.objects.filter(record=OuterRef("record_id"),
                                                kind=EventKind.RESTRICTED)
        versions = versions.filter(
            ~Exists(restricted) | Q(record__organisation_id__in=list(content_visible_in)))
    organisation = filters.get("organisation")
    if organisation is not None:
        versions = versions.filter(record__organisation__path__startswith=organisation.path)
    for name, column in (("account", "record__account_handle__iexact"),
                         ("network", "record__network"), ("record_type", "record__record_type"),
                         ("author", "record__author__icontains")):
        if filters.get(name):
            versions = versions.filter(**{column: filters[name]})
    if filters.get("date_from") or filters.get("date_to"):
        versions = versions.annotate(
            record_created=Coalesce("record__remote_created_at", "record__first_captured_at"))
        if filters.get("date_from"):
            versions = versions.filter(record_created__gte=_day_start(filters["date_from"]))
        if filters.get("date_to"):
            versions = versions.filter(
                record_created__lt=_day_start(filters["date_to"] + dt.timedelta(days=1)))
    if filters.get("has_media"):
        with_media = Exists(VersionMedia.objects.filter(version__record_id=OuterRef("record_id")))
        versions = versions.filter(with_media if filters["has_media"] == "yes" else ~with_media)
    if filters.get("deleted"):
        deleted = Exists(RecordEvent.objects.filter(record_id=OuterRef("record_id"),
                                                    kind__in=DELETED_KINDS))
        versions = versions.filter(deleted if filters["deleted"] == "yes" else ~deleted)
    return match_versions(versions, parsed) if match else versions


FTS_FIRST_CHUNK = 256
FTS_MAX_CHUNK = 16_384  # under SQLite's limit of variables in one statement


def _newest_matches(
    versions: QuerySet[RecordVersion], parsed: ParsedQuery, *, before: int | None, wanted: int,
) -> list[RecordVersion]:
    """The newest ``wanted`` matching versions among ``versions`` (filters applied).

    On SQLite the ids come from FTS5 in chunks, newest first, and the filters are applied
    to each chunk: a common word then costs one small chunk instead of sorting every
    match. Chunks grow so that a narrow filter still needs only a few round trips.
    """
    if connection.vendor != "sqlite":
        return _newest_matches_by_window(versions, parsed, before=before, wanted=wanted)
    found: list[RecordVersion] = []
    chunk = FTS_FIRST_CHUNK
    while len(found) < wanted:
        ids = fts5_newest_ids(parsed, before=before, limit=chunk)
        if not ids:
            break
        found.extend(versions.filter(pk__in=ids).order_by("-pk")[:wanted - len(found)])
        if len(ids) < chunk:
            break
        before, chunk = ids[-1], min(chunk * 4, FTS_MAX_CHUNK)
    return found


PG_FIRST_WINDOW = 8192


def _newest_matches_by_window(
    versions: QuerySet[RecordVersion], parsed: ParsedQuery, *, before: int | None, wanted: int,
) -> list[RecordVersion]:
    """PostgreSQL: the GIN index finds matches but not in order, and "ORDER BY id LIMIT n"
    tempts the planner to walk the primary key testing every row, which takes seconds
    for a rare word. So the newest ids are searched in windows that grow fourfold, each
    ordered by an expression the primary key cannot serve (the planner then intersects
    the GIN index with the id range)."""
    matched = match_versions(versions, parsed).annotate(newest=F("pk") + 0)
    top = before if before is not None else (
        (RecordVersion.objects.aggregate(top=Max("pk"))["top"] or 0) + 1)
    found: list[RecordVersion] = []
    window = PG_FIRST_WINDOW
    while len(found) < wanted and top > 0:
        low = max(0, top - window)
        found.extend(matched.filter(pk__gte=low, pk__lt=top)
                     .order_by("-newest")[:wanted - len(found)])
        top, window = low, window * 4
    return found


def records_search(
    user: Any, query: str, filters: dict[str, Any] | None = None, *,
    before: int | None = None, page_size: int = SEARCH_PAGE_SIZE,
) -> SearchPage:
    """The user's records matching ``query``, newest first, with highlighted snippets.

    Raises ValidationError (with a message for the user) when the query cannot be read.
    A record matched by several versions is shown once per page, with its newest match.
    """
    parsed = parse_query(query)
    from townsquare.organisations.selectors import organisations_where

    officer_in = organisations_where(user, Role.RECORDS_OFFICER).values_list("pk", flat=True)
    versions = search_versions(
        organisation_ids=archive_organisations(user).values_list("pk", flat=True),
        parsed=parsed, filters=filters or {}, content_visible_in=officer_in, match=False,
    ).select_related("record__organisation")
    # Over-fetch a little so that duplicates of one record rarely shorten a page.
    rows = _newest_matches(versions, parsed, before=before, wanted=page_size * 2)
    hits: list[SearchHit] = []
    seen: set[int] = set()
    last_pk: int | None = None
    for version in rows:
        last_pk = version.pk
        if version.record_id in seen:
            continue
        seen.add(version.record_id)
        hits.append(SearchHit(version.record, version, highlight(version.content, parsed)))
        if len(hits) == page_size:
            break
    more = len(rows) == page_size * 2 or (len(hits) == page_size and last_pk != rows[-1].pk)
    return SearchPage(hits=hits, next_before=last_pk if more else None)


def saved_searches_of(user: Any) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(user=user)


# --- retention, disposition, holds ---------------------------------------------------


def retention_rules_visible_to(user: Any) -> QuerySet[RetentionRule]:
    return RetentionRule.objects.filter(
        organisation__in=archive_organisations(user)).select_related("organisation")


def disposition_batches_visible_to(user: Any) -> QuerySet[DispositionBatch]:
    return DispositionBatch.objects.filter(
        organisation__in=archive_organisations(user)).select_related("organisation")


def disposition_batch_get_for_user(user: Any, batch_id: Any) -> DispositionBatch:
    try:
        return disposition_batches_visible_to(user).get(pk=int(batch_id))
    except (DispositionBatch.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such disposition batch") from exc


def legal_holds_visible_to(user: Any) -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(
        organisation__in=archive_organisations(user)).select_related("organisation")


def legal_hold_get_for_user(user: Any, hold_id: Any) -> LegalHold:
    try:
        return legal_holds_visible_to(user).get(pk=int(hold_id))
    except (LegalHold.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such legal hold") from exc


def open_batches_count(user: Any) -> int:
    return disposition_batches_visible_to(user).filter(state=BatchState.PROPOSED).count()


# --- data-subject requests -----------------------------------------------------------


def subject_requests_visible_to(user: Any) -> QuerySet[SubjectRequest]:
    return SubjectRequest.objects.filter(
        organisation__in=archive_organisations(user)).select_related("organisation", "opened_by")


def subject_request_get_for_user(user: Any, subject_id: Any) -> SubjectRequest:
    try:
        return subject_requests_visible_to(user).get(pk=int(subject_id))
    except (SubjectRequest.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such request") from exc


# --- threads: a post and the replies to it ---------------------------------------------


def record_thread(user: Any, record: Record) -> list[Record]:
    """The post of ``record``'s thread and the replies to it, oldest first, among the
    records the user may see (``record`` itself included). Replies are linked through
    the channels' inbound items (their ``in_reply_to``), which outlive an erasure."""
    from townsquare.archive.services.capture import INBOUND_SOURCE
    from townsquare.channels.models import InboundItem

    if not record.network or not record.remote_id:
        return []
    visible = records_visible_to(user)
    root = record
    if record.source == INBOUND_SOURCE:
        parent_id = (InboundItem.objects.filter(network=record.network,
                                                remote_id=record.remote_id)
                     .values_list("in_reply_to", flat=True).first())
        parent = visible.filter(network=record.network, remote_id=parent_id).exclude(
            source=INBOUND_SOURCE).first() if parent_id else None
        if parent is None:
            return []
        root = parent
    replies = InboundItem.objects.filter(network=root.network, in_reply_to=root.remote_id)
    source_ids = [f"{root.network}:{remote_id}"
                  for remote_id in replies.values_list("remote_id", flat=True)[:200]]
    found = list(visible.filter(source=INBOUND_SOURCE, source_id__in=source_ids)
                 .order_by("first_captured_at", "pk"))
    if not found:
        return []
    for item in [root, *found]:
        versions = [v for v in item.versions.all() if v.disposed_at is None]
        item.current_text = versions[-1].content if versions else ""  # type: ignore[attr-defined]
        item.content_hidden = bool(  # type: ignore[attr-defined]
            getattr(item, "is_restricted", False)
            and not is_records_officer(user, item.organisation))
    return [root, *found]
