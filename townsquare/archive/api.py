"""The archive on /api/v1: search, records with versions and events, legal holds.

Scopes read:archive and write:archive; the same boundary as the console (records officers
and administrators see their organisations' records and those below; anything else is 404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from townsquare.api.auth import TokenAuth
from townsquare.api.endpoints.organisations import BODY_ERRORS, ERRORS, MAX_ID
from townsquare.api.errors import ApiError
from townsquare.api.models import ApiScope
from townsquare.api.pagination import MAX_LIMIT, PageParams, decode_cursor, encode_cursor, paginate
from townsquare.archive.forms import SearchForm
from townsquare.archive.models import LegalHold, Record, RecordEvent, VersionMedia
from townsquare.archive.selectors import (
    archive_organisations,
    is_records_officer,
    legal_hold_get_for_user,
    legal_holds_visible_to,
    record_get_for_user,
    records_search,
    records_visible_to,
)
from townsquare.archive.services import versions_in_order
from townsquare.archive.services.holds import legal_hold_place, legal_hold_release

router = Router(tags=["archive"])

READ = TokenAuth(ApiScope.READ_ARCHIVE)
WRITE = TokenAuth(ApiScope.WRITE_ARCHIVE)


class RecordOut(Schema):
    id: int
    organisation_id: int
    record_type: str
    source: str
    source_id: str
    network: str
    account_handle: str
    author: str
    remote_id: str
    url: str
    remote_created_at: dt.datetime | None
    first_captured_at: dt.datetime
    deleted: bool
    restricted: bool
    redacted: bool


class SearchHitOut(Schema):
    record: RecordOut
    version_id: int
    snippet: str = Field(description="HTML: the escaped text around the first match, "
                                     "matches in <mark>.")


class SearchPageOut(Schema):
    items: list[SearchHitOut]
    next_cursor: str | None


class SearchParams(Schema):
    q: str = Field(..., min_length=1, max_length=500,
                   description='Words, "phrases", OR, -word (as in the console).')
    organisation_id: int | None = Field(None, ge=1, le=MAX_ID)
    account: str | None = Field(None, max_length=200)
    network: str | None = Field(None, max_length=20)
    record_type: str | None = Field(None, max_length=20)
    author: str | None = Field(None, max_length=200)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    has_media: Literal["yes", "no"] | None = None
    deleted: Literal["yes", "no"] | None = None
    cursor: str | None = Field(None, max_length=200, description="From next_cursor of a page.")
    limit: int = Field(20, ge=1, le=MAX_LIMIT)


class VersionOut(Schema):
    id: int
    content: str | None = Field(description="None when access is restricted or disposed of.")
    content_sha256: str
    network_time: dt.datetime | None
    captured_at: dt.datetime
    redacts: int | None
    disposed: bool
    media_sha256: list[str]


class EventOut(Schema):
    id: int
    kind: str
    version_id: int | None
    actor: str
    reason: str
    occurred_at: dt.datetime
    seq: int | None
    prev_hash: str | None
    entry_hash: str | None


class RecordDetailOut(RecordOut):
    versions: list[VersionOut]
    events: list[EventOut]


class HoldOut(Schema):
    id: int
    organisation_id: int
    name: str
    reason: str
    kind: str
    query: str
    filters: dict[str, str]
    account_handle: str
    record_ids: list[int]
    created_at: dt.datetime
    released_at: dt.datetime | None
    release_reason: str


class HoldPage(Schema):
    items: list[HoldOut]
    next_cursor: str | None


class HoldIn(Schema):
    organisation_id: int = Field(..., ge=1, le=MAX_ID)
    name: str = Field(..., min_length=1, max_length=200)
    reason: str = Field(..., min_length=1, max_length=2000)
    kind: Literal["search", "account", "case"]
    query: str = Field("", max_length=500)
    filters: dict[str, str] = Field(default_factory=dict)
    account_handle: str = Field("", max_length=200)
    record_ids: list[int] = Field(default_factory=list, max_length=10_000)


class ReleaseIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)


class HoldFilter(Schema):
    active: bool | None = Field(None, description="Only holds not (true) or already (false) "
                                                  "released.")


def record_out(record: Record) -> dict[str, Any]:
    return {
        "id": record.pk, "organisation_id": record.organisation_id,
        "record_type": record.record_type, "source": record.source,
        "source_id": record.source_id, "network": record.network,
        "account_handle": record.account_handle, "author": record.author,
        "remote_id": record.remote_id, "url": record.url,
        "remote_created_at": record.remote_created_at,
        "first_captured_at": record.first_captured_at,
        "deleted": bool(getattr(record, "is_deleted", False)),
        "restricted": bool(getattr(record, "is_restricted", False)),
        "redacted": bool(getattr(record, "is_redacted", False)),
    }


def hold_out(hold: LegalHold) -> dict[str, Any]:
    return {
        "id": hold.pk, "organisation_id": hold.organisation_id, "name": hold.name,
        "reason": hold.reason, "kind": hold.kind, "query": hold.query,
        "filters": {str(k): str(v) for k, v in (hold.filters or {}).items()},
        "account_handle": hold.account_handle,
        "record_ids": sorted(hold.records.values_list("pk", flat=True)),
        "created_at": hold.created_at, "released_at": hold.released_at,
        "release_reason": hold.release_reason,
    }


def _form_errors(form: Any) -> ApiError:
    details = [{"loc": ["query", name], "message": " ".join(str(e) for e in errors),
                "type": "invalid"} for name, errors in form.errors.items()]
    return ApiError(422, "validation_error", _("The request is not valid."), details)


@router.get("/archive/search", response={200: SearchPageOut, **ERRORS}, auth=READ)
def search_records(request: HttpRequest, params: Query[SearchParams]) -> Any:
    """Full-text search of the archive, newest match first (keyset paging by cursor)."""
    data = {k: v for k, v in params.dict().items()
            if v is not None and k not in ("cursor", "limit", "organisation_id")}
    if params.organisation_id is not None:
        data["organisation"] = str(params.organisation_id)
    form = SearchForm(data, organisations=archive_organisations(request.user))
    if not form.is_valid():
        raise _form_errors(form)
    before = decode_cursor(params.cursor) if params.cursor else None
    try:
        page = records_search(request.user, form.cleaned_data["q"], form.cleaned_data,
                              before=before, page_size=params.limit)
    except ValidationError as exc:
        raise ApiError(422, "validation_error", " ".join(exc.messages),
                       [{"loc": ["query", "q"], "message": " ".join(exc.messages),
                         "type": "invalid_query"}]) from exc
    visible = {r.pk: r for r in records_visible_to(request.user).filter(
        pk__in=[hit.record.pk for hit in page.hits])}
    return {
        "items": [{"record": record_out(visible.get(hit.record.pk, hit.record)),
                   "version_id": hit.version.pk, "snippet": str(hit.snippet)}
                  for hit in page.hits],
        "next_cursor": encode_cursor(page.next_before) if page.next_before else None,
    }


@router.get("/archive/records/{record_id}", response={200: RecordDetailOut, **ERRORS},
            auth=READ)
def get_record(request: HttpRequest, record_id: int) -> Any:
    """One record with all its versions (in network order) and its events with chain proof."""
    if not 0 < record_id <= MAX_ID:
        raise Http404
    record = record_get_for_user(request.user, record_id)
    show = is_records_officer(request.user, record.organisation) or not getattr(
        record, "is_restricted", False)
    versions = versions_in_order(record)
    events = (RecordEvent.objects.filter(record=record).select_related("chain_entry")
              .order_by("chain_entry__seq", "pk"))
    return {
        **record_out(record),
        "versions": [{
            "id": v.pk,
            "content": v.content if show and v.disposed_at is None else None,
            "content_sha256": v.content_sha256, "network_time": v.network_time,
            "captured_at": v.captured_at, "redacts": v.redacts_id,
            "disposed": v.disposed_at is not None,
            "media_sha256": list(VersionMedia.objects.filter(version=v).order_by("position")
                                 .values_list("blob_id", flat=True)) if show else [],
        } for v in versions],
        "events": [{
            "id": e.pk, "kind": e.kind, "version_id": e.version_id, "actor": e.actor_label,
            "reason": e.reason, "occurred_at": e.occurred_at,
            "seq": getattr(getattr(e, "chain_entry", None), "seq", None),
            "prev_hash": getattr(getattr(e, "chain_entry", None), "prev_hash", None),
            "entry_hash": getattr(getattr(e, "chain_entry", None), "entry_hash", None),
        } for e in events],
    }


@router.get("/archive/holds", response={200: HoldPage, **ERRORS}, auth=READ)
def list_holds(request: HttpRequest, filters: Query[HoldFilter],
               page: Query[PageParams]) -> Any:
    """Legal holds of the token's organisations, newest first."""
    holds = legal_holds_visible_to(request.user).prefetch_related("records")
    if filters.active is not None:
        holds = holds.filter(released_at__isnull=filters.active)
    return paginate(holds, page, hold_out, newest_first=True)


@router.post("/archive/holds", response={201: HoldOut, **BODY_ERRORS}, auth=WRITE)
def create_hold(request: HttpRequest, payload: HoldIn) -> Any:
    """Place a legal hold on a search, an account or a list of records (a case)."""
    organisation = archive_organisations(request.user).filter(pk=payload.organisation_id).first()
    if organisation is None:
        raise Http404
    records: list[Record] = []
    if payload.kind == "case":
        wanted = set(payload.record_ids)
        records = list(records_visible_to(request.user).filter(pk__in=wanted))
        missing = sorted(wanted - {r.pk for r in records})
        if missing:  # the same answer for another agency's record and for none at all
            raise ValidationError({"record_ids": _("There is no record %(id)d.")
                                   % {"id": missing[0]}})
    hold = legal_hold_place(
        actor=request.user, organisation=organisation,  # type: ignore[arg-type]
        name=payload.name, reason=payload.reason, kind=payload.kind, query=payload.query,
        filters=payload.filters, account_handle=payload.account_handle, records=records)
    return Status(201, hold_out(hold))


@router.post("/archive/holds/{hold_id}/release", response={200: HoldOut, **BODY_ERRORS},
             auth=WRITE)
def release_hold(request: HttpRequest, hold_id: int, payload: ReleaseIn) -> Any:
    """Release a hold (with the reason); releasing twice is refused."""
    if not 0 < hold_id <= MAX_ID:
        raise Http404
    hold = legal_hold_get_for_user(request.user, hold_id)
    hold = legal_hold_release(actor=request.user, hold=hold,  # type: ignore[arg-type]
                              reason=payload.reason)
    return hold_out(hold)
