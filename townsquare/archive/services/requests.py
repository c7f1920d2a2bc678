"""Records requests: received, searched, reviewed, redacted, released (or withdrawn).

The statutory deadline counts working days, Monday to Friday, after the day the request
was received (ARCHIVE_REQUEST_DEADLINE_DAYS): most records laws count working days, and
public holidays differ per jurisdiction, so an officer moves the deadline of a request
by hand when a holiday falls inside it. Every change is audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.archive.models import Record
from townsquare.archive.request_models import (
    OPEN_STATUSES,
    RecordsRequest,
    RequestNote,
    RequestRecord,
    RequestStatus,
)
from townsquare.archive.search import parse_query
from townsquare.archive.services.records import _clean_text, check_can_manage_archive
from townsquare.core.services import audit_record, notification_send
from townsquare.organisations.models import Organisation, Role
from townsquare.organisations.selectors import roles_of

if TYPE_CHECKING:
    from townsquare.organisations.models import User

MAX_RECORDS_PER_SEARCH = 10_000
# Which status may follow which; "released" and "withdrawn" are final.
NEXT_STATUSES: dict[str, set[str]] = {
    RequestStatus.RECEIVED: {RequestStatus.SEARCHING, RequestStatus.WITHDRAWN},
    RequestStatus.SEARCHING: {RequestStatus.REVIEWING, RequestStatus.WITHDRAWN},
    RequestStatus.REVIEWING: {RequestStatus.SEARCHING, RequestStatus.REDACTING,
                              RequestStatus.RELEASED, RequestStatus.WITHDRAWN},
    RequestStatus.REDACTING: {RequestStatus.REVIEWING, RequestStatus.RELEASED,
                              RequestStatus.WITHDRAWN},
    RequestStatus.RELEASED: set(),
    RequestStatus.WITHDRAWN: set(),
}


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days (Monday to Friday) after ``start``."""
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def default_deadline(received_on: dt.date) -> dt.date:
    return add_working_days(received_on, settings.ARCHIVE_REQUEST_DEADLINE_DAYS)


def _check_officer(officer: User | None, organisation: Organisation) -> None:
    if officer is not None and Role.RECORDS_OFFICER not in roles_of(officer, organisation):
        raise ValidationError({"officer": _("Assign a records officer of this organisation.")})


def _check_open(request: RecordsRequest) -> None:
    if not request.is_open:
        raise ValidationError(_("This request is closed (%(status)s).")
                              % {"status": request.get_status_display()})


def records_request_create(
    *, actor: User, organisation: Organisation, reference: str, requester_name: str,
    requester_contact: str, description: str, received_on: dt.date,
    deadline: dt.date | None = None, officer: User | None = None,
) -> RecordsRequest:
    check_can_manage_archive(actor, organisation)
    reference = _clean_text(reference, field="reference", max_length=60, required=True).strip()
    requester_name = _clean_text(requester_name, field="requester_name", max_length=200,
                                 required=True).strip()
    requester_contact = _clean_text(requester_contact, field="requester_contact",
                                    max_length=300, required=True).strip()
    description = _clean_text(description, field="description", max_length=5000, required=True)
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("A request cannot be received in the future.")})
    deadline = deadline or default_deadline(received_on)
    if deadline < received_on:
        raise ValidationError({"deadline": _("The deadline cannot be before the request was "
                                             "received.")})
    _check_officer(officer, organisation)
    try:
        with transaction.atomic():
            request = RecordsRequest.objects.create(
                organisation=organisation, reference=reference, requester_name=requester_name,
                requester_contact=requester_contact, description=description,
                received_on=received_on, deadline=deadline, officer=officer, created_by=actor,
            )
            audit_record(actor=actor, action="archive.request_created",
                         organisation=organisation, target=request,
                         details={"reference": reference, "deadline": deadline.isoformat(),
                                  "officer": officer.pk if officer else None})
    except IntegrityError as exc:
        raise ValidationError({"reference": _("A request with this reference number already "
                                              "exists.")}) from exc
    return request


def records_request_update(
    *, actor: User, request: RecordsRequest, deadline: dt.date, officer: User | None,
    reason: str = "",
) -> RecordsRequest:
    """Move the deadline (a reason is required) or assign another officer."""
    check_can_manage_archive(actor, request.organisation)
    _check_officer(officer, request.organisation)
    reason = _clean_text(reason, field="reason", max_length=2000).strip()
    if deadline < request.received_on:
        raise ValidationError({"deadline": _("The deadline cannot be before the request was "
                                             "received.")})
    if deadline != request.deadline and not reason:
        raise ValidationError({"reason": _("Say why the deadline moves.")})
    changes: dict[str, Any] = {}
    if deadline != request.deadline:
        changes["deadline"] = [request.deadline.isoformat(), deadline.isoformat()]
    if (officer.pk if officer else None) != request.officer_id:
        changes["officer"] = [request.officer_id, officer.pk if officer else None]
    if not changes:
        return request
    with transaction.atomic():
        request.deadline, request.officer = deadline, officer
        request.save(update_fields=["deadline", "officer"])
        audit_record(actor=actor, action="archive.request_updated",
                     organisation=request.organisation, target=request,
                     details={**changes, "reason": reason})
    return request


def records_request_set_status(
    *, actor: User, request: RecordsRequest, status: str, note: str = "",
) -> RecordsRequest:
    check_can_manage_archive(actor, request.organisation)
    note = _clean_text(note, field="note", max_length=5000).strip()
    with transaction.atomic():
        request = RecordsRequest.objects.select_for_update().get(pk=request.pk)
        if status not in NEXT_STATUSES.get(request.status, set()):
            raise ValidationError({"status": _("A request that is “%(current)s” cannot become "
                                               "“%(new)s”.") % {
                "current": request.get_status_display(),
                "new": dict(RequestStatus.choices).get(status, status)}})
        if status == RequestStatus.WITHDRAWN and not note:
            raise ValidationError({"note": _("Say why the request is withdrawn.")})
        previous = request.status
        request.status = status
        request.closed_at = None if status in OPEN_STATUSES else timezone.now()
        request.save(update_fields=["status", "closed_at"])
        if note:
            RequestNote.objects.create(request=request, author=actor,
                                       author_label=actor.get_username()[:200], text=note)
        audit_record(actor=actor, action="archive.request_status_changed",
                     organisation=request.organisation, target=request,
                     details={"from": previous, "to": status, "note": note})
    return request


def records_request_note_add(*, actor: User, request: RecordsRequest, text: str) -> RequestNote:
    check_can_manage_archive(actor, request.organisation)
    text = _clean_text(text, field="text", max_length=5000, required=True).strip()
    with transaction.atomic():
        note = RequestNote.objects.create(request=request, author=actor,
                                          author_label=actor.get_username()[:200], text=text)
        audit_record(actor=actor, action="archive.request_note_added",
                     organisation=request.organisation, target=request,
                     details={"note": note.pk})
    return note


def _add_links(request: RecordsRequest, actor: User, ids: Iterable[int], label: str) -> int:
    existing = set(RequestRecord.objects.filter(request=request).values_list("record_id",
                                                                             flat=True))
    new = [RequestRecord(request=request, record_id=pk, added_by=actor, from_search=label)
           for pk in ids if pk not in existing]
    RequestRecord.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def records_request_add_search(
    *, actor: User, request: RecordsRequest, query: str, filters: dict[str, Any],
) -> int:
    """Add every record of the request's organisation (and below) matching the search.

    The search runs as the archive's full-text search does for a records officer, so
    what is added is what the officer saw; the search is kept with the request.
    """
    from townsquare.archive.selectors import search_versions
    from townsquare.archive.services.holds import clean_filters

    check_can_manage_archive(actor, request.organisation)
    _check_open(request)
    query = _clean_text(query, field="query", max_length=500, required=True)
    parsed = parse_query(query)
    raw = {k: str(v) for k, v in filters.items() if v not in (None, "")}
    cleaned = clean_filters(request.organisation, raw)
    subtree = Organisation.objects.filter(path__startswith=request.organisation.path)
    ids = list(search_versions(organisation_ids=subtree.values_list("pk", flat=True),
                               parsed=parsed, filters=cleaned)
               .values_list("record_id", flat=True).distinct()
               .order_by("record_id")[:MAX_RECORDS_PER_SEARCH + 1])
    if len(ids) > MAX_RECORDS_PER_SEARCH:
        raise ValidationError({"query": _("This search finds more than %(max)d records. "
                                          "Narrow it down.") % {"max": MAX_RECORDS_PER_SEARCH}})
    with transaction.atomic():
        added = _add_links(request, actor, ids, query)
        request.searches = [*request.searches, {
            "query": query, "filters": raw, "added": added, "found": len(ids),
            "by": actor.get_username(), "at": timezone.now().isoformat()}]
        request.save(update_fields=["searches"])
        audit_record(actor=actor, action="archive.request_records_added",
                     organisation=request.organisation, target=request,
                     details={"query": query, "filters": raw, "found": len(ids),
                              "added": added})
    return added


def records_request_add_records(
    *, actor: User, request: RecordsRequest, records: Iterable[Record],
) -> int:
    check_can_manage_archive(actor, request.organisation)
    _check_open(request)
    records = list(records)
    outside = [r.pk for r in records
               if not r.organisation.path.startswith(request.organisation.path)]
    if outside:
        raise ValidationError({"records": _("Record %(id)d does not belong to this "
                                            "organisation.") % {"id": outside[0]}})
    with transaction.atomic():
        added = _add_links(request, actor, [r.pk for r in records], "")
        audit_record(actor=actor, action="archive.request_records_added",
                     organisation=request.organisation, target=request,
                     details={"records": [r.pk for r in records][:100], "added": added})
    return added


def records_request_remove_record(*, actor: User, request: RecordsRequest, record_id: int) -> None:
    check_can_manage_archive(actor, request.organisation)
    _check_open(request)
    with transaction.atomic():
        deleted, _details = RequestRecord.objects.filter(request=request,
                                                         record_id=record_id).delete()
        if not deleted:
            raise ValidationError(_("This record is not part of the request."))
        audit_record(actor=actor, action="archive.request_record_removed",
                     organisation=request.organisation, target=request,
                     details={"record": record_id})


# --- deadline warnings ---------------------------------------------------------------


def _warn(request: RecordsRequest, key: str, field: str) -> bool:
    """Send one warning to the assigned officer, once per deadline (the row is locked)."""
    with transaction.atomic():
        locked = RecordsRequest.objects.select_for_update().get(pk=request.pk)
        if getattr(locked, field) == locked.deadline or locked.officer is None:
            return False
        setattr(locked, field, locked.deadline)
        locked.save(update_fields=[field])
        notification_send(
            recipient=locked.officer, message_key=key,
            params={"reference": locked.reference, "deadline": locked.deadline.isoformat()},
            url=reverse("archive:request", args=[locked.pk]))
        audit_record(actor=None, action=f"archive.{key.rsplit('.', 1)[-1]}",
                     organisation=locked.organisation, target=locked,
                     details={"officer": locked.officer_id,
                              "deadline": locked.deadline.isoformat()})
    return True


def records_requests_warn(*, today: dt.date | None = None) -> int:
    """Warn assigned officers of open requests due within ARCHIVE_REQUEST_WARN_DAYS, and
    on the first day a deadline has passed; each warning once per deadline."""
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=settings.ARCHIVE_REQUEST_WARN_DAYS)
    sent = 0
    open_requests = RecordsRequest.objects.filter(status__in=OPEN_STATUSES,
                                                  officer__isnull=False)
    for request in open_requests.filter(deadline__lt=today).select_related("officer"):
        sent += _warn(request, "archive.request_overdue", "warned_overdue_for")
    for request in open_requests.filter(deadline__gte=today,
                                        deadline__lte=soon).select_related("officer"):
        sent += _warn(request, "archive.request_due_soon", "warned_soon_for")
    return sent


def deadline_state(request: RecordsRequest, today: dt.date | None = None) -> str:
    """"overdue", "soon" or "" for the list's badges (closed requests have none)."""
    if not request.is_open:
        return ""
    today = today or timezone.localdate()
    if request.deadline < today:
        return "overdue"
    if request.deadline <= today + dt.timedelta(days=settings.ARCHIVE_REQUEST_WARN_DAYS):
        return "soon"
    return ""


def check_can_download_packages(user: Any, organisation: Organisation) -> None:
    """Packages hold whole records, restricted ones too: records officers only."""
    if Role.RECORDS_OFFICER not in roles_of(user, organisation):
        raise PermissionDenied
