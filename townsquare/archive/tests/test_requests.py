"""Records requests: deadlines, statuses, records from a search, warnings, pages, audit."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from townsquare.archive.models import RecordsRequest, RequestStatus
from townsquare.archive.services.requests import (
    add_working_days,
    deadline_state,
    records_request_add_records,
    records_request_add_search,
    records_request_create,
    records_request_note_add,
    records_request_remove_record,
    records_request_set_status,
    records_request_update,
    records_requests_warn,
)
from townsquare.core.models import AuditEvent, Notification

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 3, 2)


def _create(actor, organisation, **kwargs):
    values = {"reference": "FOI-1", "requester_name": "Sam Citizen",
              "requester_contact": "sam@example.org", "description": "Ferry posts in March",
              "received_on": MONDAY}
    values.update(kwargs)
    return records_request_create(actor=actor, organisation=organisation, **values)


def test_working_days_skip_weekends():
    assert add_working_days(MONDAY, 1) == dt.date(2026, 3, 3)
    assert add_working_days(MONDAY, 5) == dt.date(2026, 3, 9)
    assert add_working_days(dt.date(2026, 3, 6), 1) == dt.date(2026, 3, 9)  # Friday → Monday
    assert add_working_days(dt.date(2026, 3, 7), 1) == dt.date(2026, 3, 9)  # Saturday
    assert add_working_days(MONDAY, 20) == dt.date(2026, 3, 30)


def test_create_uses_the_statutory_deadline_and_is_audited(rita, government, settings):
    settings.ARCHIVE_REQUEST_DEADLINE_DAYS = 10
    request = _create(rita, government["transport"], officer=rita)
    assert request.deadline == dt.date(2026, 3, 16)
    assert request.status == RequestStatus.RECEIVED
    event = AuditEvent.objects.get(action="archive.request_created")
    assert event.actor == rita and event.details["reference"] == "FOI-1"
    custom = _create(rita, government["transport"], reference="FOI-2",
                     deadline=dt.date(2026, 4, 1))
    assert custom.deadline == dt.date(2026, 4, 1)


def test_bad_input_is_refused_with_clear_messages(rita, bob, carol, alice, government):
    transport = government["transport"]
    with pytest.raises(ValidationError) as caught:
        _create(rita, transport, reference="  ")
    assert "reference" in caught.value.message_dict
    with pytest.raises(ValidationError, match="future"):
        _create(rita, transport, received_on=timezone.localdate() + dt.timedelta(days=3))
    with pytest.raises(ValidationError, match="before the request was received"):
        _create(rita, transport, deadline=MONDAY - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as caught:
        _create(rita, transport, officer=bob)  # a responder, not a records officer
    assert "officer" in caught.value.message_dict
    with pytest.raises(ValidationError, match="NUL"):
        _create(rita, transport, description="bad\x00")
    _create(rita, transport)
    with pytest.raises(ValidationError, match="already exists"):
        _create(rita, transport)
    with pytest.raises(PermissionDenied):
        _create(carol, transport, reference="FOI-9")  # another agency
    with pytest.raises(PermissionDenied):
        _create(bob, transport, reference="FOI-9")
    assert RecordsRequest.objects.count() == 1


def test_status_moves_along_its_path(rita, government):
    request = _create(rita, government["transport"])
    with pytest.raises(ValidationError, match="cannot become"):
        records_request_set_status(actor=rita, request=request, status=RequestStatus.RELEASED)
    for status in (RequestStatus.SEARCHING, RequestStatus.REVIEWING, RequestStatus.REDACTING,
                   RequestStatus.RELEASED):
        request = records_request_set_status(actor=rita, request=request, status=status)
    assert request.closed_at is not None and not request.is_open
    with pytest.raises(ValidationError):
        records_request_set_status(actor=rita, request=request, status=RequestStatus.SEARCHING)
    changes = AuditEvent.objects.filter(action="archive.request_status_changed")
    assert [e.details["to"] for e in changes.order_by("pk")] == [
        "searching", "reviewing", "redacting", "released"]


def test_withdrawal_needs_a_reason_kept_as_a_note(rita, government):
    request = _create(rita, government["transport"])
    with pytest.raises(ValidationError, match="withdrawn"):
        records_request_set_status(actor=rita, request=request, status=RequestStatus.WITHDRAWN)
    request = records_request_set_status(actor=rita, request=request,
                                         status=RequestStatus.WITHDRAWN,
                                         note="The requester withdrew by email.")
    assert request.notes.get().text == "The requester withdrew by email."
    with pytest.raises(ValidationError):
        records_request_note_add(actor=rita, request=request, text="   ")


def test_deadline_moves_need_a_reason(rita, government):
    request = _create(rita, government["transport"])
    with pytest.raises(ValidationError, match="Say why"):
        records_request_update(actor=rita, request=request, deadline=dt.date(2026, 4, 30),
                               officer=None)
    records_request_update(actor=rita, request=request, deadline=dt.date(2026, 4, 30),
                           officer=rita, reason="Extension under s.10(3)")
    request.refresh_from_db()
    assert request.deadline == dt.date(2026, 4, 30) and request.officer == rita
    event = AuditEvent.objects.get(action="archive.request_updated")
    assert event.details["reason"] == "Extension under s.10(3)"


def test_records_are_added_from_a_search_within_the_organisation(rita, government, capture):
    hit = capture("a", "Ferry timetable for March").record
    capture("b", "Road works")
    other = capture("c", "Ferry in the Health Agency", organisation=government["health"]).record
    request = _create(rita, government["transport"])
    assert records_request_add_search(actor=rita, request=request, query="ferry",
                                      filters={}) == 1
    assert list(request.records.all()) == [hit]
    assert records_request_add_search(actor=rita, request=request, query="ferry",
                                      filters={}) == 0  # nothing twice
    assert request.searches[0]["query"] == "ferry" and request.searches[1]["added"] == 0
    with pytest.raises(ValidationError):
        records_request_add_search(actor=rita, request=request, query='"open', filters={})
    with pytest.raises(ValidationError):
        records_request_add_search(actor=rita, request=request, query="ferry",
                                   filters={"date_from": "not a date"})
    with pytest.raises(ValidationError, match="does not belong"):
        records_request_add_records(actor=rita, request=request, records=[other])
    records_request_remove_record(actor=rita, request=request, record_id=hit.pk)
    assert not request.records.exists()
    with pytest.raises(ValidationError):
        records_request_remove_record(actor=rita, request=request, record_id=hit.pk)
    assert AuditEvent.objects.filter(action="archive.request_record_removed").count() == 1


def test_closed_requests_take_no_more_records(rita, government, capture):
    record = capture("a", "Ferry").record
    request = _create(rita, government["transport"])
    request = records_request_set_status(actor=rita, request=request,
                                         status=RequestStatus.WITHDRAWN, note="Withdrawn")
    with pytest.raises(ValidationError, match="closed"):
        records_request_add_records(actor=rita, request=request, records=[record])


def test_officer_is_warned_once_before_and_once_after_the_deadline(rita, government, settings):
    settings.ARCHIVE_REQUEST_WARN_DAYS = 3
    request = _create(rita, government["transport"], officer=rita,
                      deadline=dt.date(2026, 3, 20))
    unassigned = _create(rita, government["transport"], reference="FOI-2",
                         deadline=dt.date(2026, 3, 20))
    assert records_requests_warn(today=dt.date(2026, 3, 16)) == 0  # 4 days before
    assert records_requests_warn(today=dt.date(2026, 3, 17)) == 1
    assert records_requests_warn(today=dt.date(2026, 3, 18)) == 0  # once
    assert records_requests_warn(today=dt.date(2026, 3, 20)) == 0  # the day itself
    assert records_requests_warn(today=dt.date(2026, 3, 21)) == 1  # it has passed
    assert records_requests_warn(today=dt.date(2026, 3, 22)) == 0
    keys = list(Notification.objects.filter(recipient=rita, message_key__startswith="archive.")
                .order_by("pk").values_list("message_key", flat=True))
    assert keys == ["archive.request_due_soon", "archive.request_overdue"]
    # A moved deadline is warned about again; a closed request is not.
    records_request_update(actor=rita, request=request, deadline=dt.date(2026, 3, 25),
                           officer=rita, reason="Extension")
    assert records_requests_warn(today=dt.date(2026, 3, 23)) == 1
    records_request_set_status(actor=rita, request=request, status=RequestStatus.WITHDRAWN,
                               note="Withdrawn")
    assert records_requests_warn(today=dt.date(2026, 3, 30)) == 0
    assert not Notification.objects.exclude(recipient=rita).exists()
    assert unassigned.officer is None
    assert AuditEvent.objects.filter(action="archive.request_overdue").count() == 1


def test_warning_text_and_the_daily_task(rita, government):
    from townsquare.archive.request_tasks import warn_request_deadlines_daily
    from townsquare.core.notifications import render_notification

    _create(rita, government["transport"], officer=rita, deadline=dt.date(2026, 3, 20))
    with time_machine.travel(dt.datetime(2026, 3, 21, 8, 0, tzinfo=dt.UTC), tick=False):
        warn_request_deadlines_daily.call_local()
    note = Notification.objects.get(recipient=rita, message_key__startswith="archive.")
    assert render_notification(note) == (
        "Records request FOI-1 is overdue: its deadline was 2026-03-20.")
    assert note.url == reverse("archive:request", args=[RecordsRequest.objects.get().pk])


def test_deadline_badges(rita, government):
    request = _create(rita, government["transport"], deadline=dt.date(2026, 3, 20))
    assert deadline_state(request, dt.date(2026, 3, 10)) == ""
    assert deadline_state(request, dt.date(2026, 3, 18)) == "soon"
    assert deadline_state(request, dt.date(2026, 3, 21)) == "overdue"
    request.status = RequestStatus.RELEASED
    assert deadline_state(request, dt.date(2026, 3, 21)) == ""


def test_console_pages(rita, carol, government, capture, client_for):
    capture("a", "Ferry timetable")
    client = client_for(rita)
    with time_machine.travel(dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC), tick=False):
        response = client.post(reverse("archive:requests"), {
            "organisation": government["transport"].pk, "reference": "FOI-77",
            "requester_name": "Lina", "requester_contact": "lina@example.org",
            "description": "Ferry posts", "received_on": "2026-03-02", "officer": rita.pk})
        request = RecordsRequest.objects.get()
        assert response.status_code == 302
        listing = client.get(reverse("archive:requests"))
    text = listing.content.decode()
    assert "FOI-77" in text, text[text.find("<main"):text.find("</main>")][:3000]
    assert "Due soon" in text
    url = reverse("archive:request", args=[request.pk])
    assert client.get(url).status_code == 200
    bad = client.post(reverse("archive:requests"), {"reference": ""})
    assert bad.status_code == 400
    assert client.post(reverse("archive:request_add_search", args=[request.pk]),
                       {"q": "ferry"}).status_code == 302
    assert request.records.count() == 1
    assert client.post(reverse("archive:request_add_search", args=[request.pk]),
                       {"q": '"open'}).status_code == 400
    assert client.post(reverse("archive:request_status", args=[request.pk]),
                       {"status": "searching"}).status_code == 302
    assert client.post(reverse("archive:request_status", args=[request.pk]),
                       {"status": "released"}).status_code == 400
    assert client.post(reverse("archive:request_note", args=[request.pk]),
                       {"text": "Called the requester."}).status_code == 302
    assert client.post(reverse("archive:request_update", args=[request.pk]),
                       {"deadline": "2026-05-01", "officer": rita.pk}).status_code == 400
    detail = client.get(url)
    assert b"Called the requester." in detail.content
    # Another agency's request is missing, not forbidden.
    other = client_for(carol)
    assert other.get(url).status_code == 404
    assert other.post(reverse("archive:request_note", args=[request.pk]),
                      {"text": "x"}).status_code == 404
    assert b"FOI-77" not in other.get(reverse("archive:requests")).content


def test_pages_render_in_arabic(rita, government, client_for):
    request = _create(rita, government["transport"])
    type(rita).objects.filter(pk=rita.pk).update(language="ar")  # her own preference
    client = client_for(rita)
    page = client.get(reverse("archive:request", args=[request.pk]),
                      HTTP_ACCEPT_LANGUAGE="ar")
    assert page.status_code == 200 and b'dir="rtl"' in page.content
