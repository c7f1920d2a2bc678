"""Data-subject requests: access exports, erasure, idempotence, races and the boundary."""

from __future__ import annotations

import io
import json
import threading
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from townsquare.archive.models import EventKind, HoldKind, RecordEvent
from townsquare.archive.services import archive_verify, inbound_items_capture
from townsquare.archive.services.holds import legal_hold_place
from townsquare.archive.services.subjects import (
    ERASED_TEXT,
    subject_erase,
    subject_export_path,
    subject_find,
    subject_request_open,
)
from townsquare.archive.subject_models import SubjectRequest, SubjectRequestStatus
from townsquare.channels.adapters.base import ChangeKind, InboundChange, ItemKind
from townsquare.channels.adapters.base import InboundItem as AdapterItem
from townsquare.core.models import AuditEvent

from .conftest import T0

pytestmark = pytest.mark.django_db

EMAIL = "maya@example.org"


@pytest.fixture(autouse=True)
def _export_root(settings, tmp_path):
    settings.ARCHIVE_SUBJECT_EXPORT_ROOT = tmp_path / "subject-exports"


@pytest.fixture
def account(government, alice):
    from townsquare.channels.services.accounts import account_create

    return account_create(actor=alice, organisation=government["transport"], network="mastodon",
                          handle="@transport@sandbox.local", display_name="Transport",
                          responsible=alice, languages=["en"])


@pytest.fixture
def health_account(government, carol):
    from townsquare.channels.services.accounts import account_create

    return account_create(actor=carol, organisation=government["health"], network="mastodon",
                          handle="@health@sandbox.local", display_name="Health",
                          responsible=carol, languages=["en"])


def deliver(account, remote_id, text, *, author_id="77", handle="@maya@sandbox.local",
            name="Maya Haddad"):
    """An item arrives from the network, reaches the inbox and the archive."""
    from townsquare.channels.services.inbound import inbound_apply
    from townsquare.inbox.services.ingest import message_ingest

    item = inbound_apply(account=account, via="poll", change=InboundChange(
        kind=ChangeKind.CREATED, remote_id=remote_id, account_ref="", occurred_at=T0,
        item=AdapterItem(remote_id=remote_id, kind=ItemKind.MENTION, text=text,
                         author_id=author_id, author_handle=handle, author_name=name,
                         created_at=T0)))
    message = message_ingest(inbound_item=item)
    inbound_items_capture()
    return item, message


@pytest.fixture
def maya(account, government):
    """Maya wrote on the sandbox network, through the contact form, and answered a survey."""
    from townsquare.engagement.identity import keyed_hash
    from townsquare.engagement.models import Response, Survey
    from townsquare.inbox.models import ContactIdentity
    from townsquare.inbox.services.citizen import contact_form_submit

    item, message = deliver(account, "101", "The 7 bus never came, I waited an hour.")
    deliver(account, "102", "الحافلة رقم ٧ لم تأتِ")
    # Staff linked her phone number to the same contact earlier (a second channel).
    ContactIdentity.objects.create(contact=message.author_contact, channel="phone",
                                   remote_author_id="+971501234567", handle="+971 50 123 4567")
    form = contact_form_submit(name="Maya Haddad", reply_to=EMAIL,
                               text="Please call me about the bus.",
                               organisation=government["transport"])
    survey = Survey.objects.create(organisation=government["transport"], slug="buses",
                                   title="Buses", respondent_mode="verified")
    response = Response.objects.create(
        survey=survey, respondent_key=keyed_hash(f"respondent:{survey.pk}", EMAIL),
        resume_hash="r1")
    anonymous = Response.objects.create(survey=survey, resume_hash="r2")
    return {"item": item, "message": message, "form": form, "survey": survey,
            "response": response, "anonymous": anonymous}


def open_request(actor, organisation, kind="access", **identifiers):
    identifiers.setdefault("handles", "@maya@sandbox.local")
    if kind == "erasure":
        identifiers.setdefault("legal_basis", "public_records")
        identifiers.setdefault("legal_basis_note", "Public Records Act s. 12")
    return subject_request_open(actor=actor, organisation=organisation, kind=kind,
                                reference="DSR-1", **identifiers)


def test_identities_on_several_channels_are_found_whole(rita, government, maya):
    request = open_request(rita, government["transport"], kind="erasure", email=EMAIL)
    found = subject_find(request)
    channels = sorted(i.channel for i in found.identities)
    assert channels == ["mastodon", "phone", "web"]
    assert len(found.conversations) == 2
    assert found.counts()["items"] == 2 and found.counts()["records"] == 2
    assert [r.pk for r in found.responses] == [maya["response"].pk]
    # Through the phone number alone: the same contact, and all its identities.
    by_phone = subject_find(open_request(rita, government["transport"], handles="",
                                         phone="+971-50-123-4567"))
    assert sorted(i.channel for i in by_phone.identities) == ["mastodon", "phone"]
    # A handle without its server finds the person on any server.
    by_local = subject_find(open_request(rita, government["transport"], handles="maya"))
    assert by_local.counts()["items"] == 2 and by_local.counts()["contacts"] == 1


def test_access_builds_a_zip_with_json_and_a_readable_page(
        rita, government, maya, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = open_request(rita, government["transport"], email=EMAIL)
    request.refresh_from_db()  # built by the (immediate) background task after commit
    assert request.status == SubjectRequestStatus.COMPLETED
    with zipfile.ZipFile(subject_export_path(request)) as archive:
        data = json.loads(archive.read("subject.json"))
        page = archive.read("subject.html").decode()
    texts = [m["text"] for c in data["conversations"] for m in c["messages"]]
    assert "The 7 bus never came, I waited an hour." in texts
    assert "Please call me about the bus." in texts
    assert {i["id"] for i in data["network_items"]} == {"101", "102"}
    assert len(data["survey_responses"]) == 1
    assert "anonymously" in data["survey_note"]
    assert len(data["archive_records"]) == 2
    assert "الحافلة رقم ٧ لم تأتِ" in page
    response = client_for(rita).get(reverse("archive:subject_download", args=[request.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert zipfile.ZipFile(io.BytesIO(body)).namelist() == ["subject.json", "subject.html"]
    assert AuditEvent.objects.filter(action="archive.subject_export_downloaded").exists()


def test_a_person_with_nothing_held(rita, government, account,
                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = open_request(rita, government["transport"], handles="@nobody@sandbox.local")
    request.refresh_from_db()
    with zipfile.ZipFile(subject_export_path(request)) as archive:
        data = json.loads(archive.read("subject.json"))
    assert data["contacts"] == [] and data["archive_records"] == []
    erasure = subject_erase(actor=rita, request=open_request(
        rita, government["transport"], kind="erasure", handles="@nobody@sandbox.local"))
    assert erasure.status == SubjectRequestStatus.COMPLETED
    assert erasure.summary["restricted"] == [] and not any(erasure.summary["counts"].values())


def test_erasure_removes_the_person_and_restricts_archive_records(rita, government, maya):
    from townsquare.channels.models import InboundItem
    from townsquare.inbox.models import Contact, ContactIdentity, Message

    request = open_request(rita, government["transport"], kind="erasure", email=EMAIL)
    done = subject_erase(actor=rita, request=request)
    contact = Contact.objects.get(pk=maya["message"].author_contact_id)
    assert contact.display_name == ""
    assert not ContactIdentity.objects.filter(handle__icontains="maya").exists()
    assert not ContactIdentity.objects.filter(remote_author_id="77").exists()
    inbound = Message.objects.filter(direction="in")
    assert set(inbound.values_list("text", flat=True)) == {ERASED_TEXT}
    item = InboundItem.objects.get(pk=maya["item"].pk)
    assert (item.text, item.raw, item.author_handle, item.has_content) == ("", {}, "", False)
    maya["response"].refresh_from_db()
    maya["anonymous"].refresh_from_db()
    assert maya["response"].respondent_key == ""
    # The archive keeps both records, restricted, with the legal basis logged in the chain.
    restrictions = RecordEvent.objects.filter(kind=EventKind.RESTRICTED)
    assert restrictions.count() == 2 == len(done.summary["restricted"])
    assert all("Public-records obligation" in e.reason and "s. 12" in e.reason
               for e in restrictions)
    assert archive_verify().ok
    # Re-capture after erasure does not store the emptied text as a new version.
    inbound_items_capture()
    assert archive_verify().ok
    assert AuditEvent.objects.filter(action="archive.subject_erased").count() == 1


def test_repeated_erasure_changes_nothing(rita, government, maya):
    request = open_request(rita, government["transport"], kind="erasure", email=EMAIL)
    subject_erase(actor=rita, request=request)
    events = RecordEvent.objects.count()
    again = subject_erase(actor=rita, request=request)
    assert again.status == SubjectRequestStatus.COMPLETED
    # A second request for the same person (by the tracking number of her conversation)
    # finds only the already restricted records.
    number = maya["message"].conversation.tracking_number
    second = subject_erase(actor=rita, request=open_request(
        rita, government["transport"], kind="erasure", handles="", tracking_numbers=number))
    assert second.summary["restricted"] == []
    assert len(second.summary["already_restricted"]) == 2
    assert RecordEvent.objects.count() == events
    assert archive_verify().ok


def test_held_records_are_listed_and_kept(rita, government, maya):
    legal_hold_place(actor=rita, organisation=government["transport"], name="Bus inquiry",
                     reason="Ombudsman case 4", kind=HoldKind.ACCOUNT,
                     account_handle="@transport@sandbox.local")
    done = subject_erase(actor=rita, request=open_request(
        rita, government["transport"], kind="erasure"))
    assert [h["holds"] for h in done.summary["held"]] == [["Bus inquiry"], ["Bus inquiry"]]
    assert archive_verify().ok


def test_a_message_arriving_after_erasure_is_a_new_contact(rita, government, maya, account):
    from townsquare.inbox.models import Message

    subject_erase(actor=rita, request=open_request(rita, government["transport"],
                                                   kind="erasure"))
    _item, message = deliver(account, "103", "Me again about the bus.")
    assert message.author_contact_id != maya["message"].author_contact_id
    assert Message.objects.get(pk=message.pk).text == "Me again about the bus."


@pytest.mark.django_db(transaction=True)
def test_erasure_racing_an_inbound_message(government, account):
    """Whatever the order, no citizen text stays on the erased contact."""
    from conftest import TEST_PASSWORD
    from townsquare.inbox.models import Message
    from townsquare.organisations.services import membership_grant, staff_user_create

    officer = staff_user_create(actor=None, username="rita2", email="rita2@example.org",
                                first_name="Rita", password=TEST_PASSWORD)
    membership_grant(actor=None, user=officer, organisation=government["transport"],
                     role="records_officer")
    _item, first = deliver(account, "201", "First message.")
    erased_contact = first.author_contact_id
    request = open_request(officer, government["transport"], kind="erasure")
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(action):
        try:
            start.wait()
            action()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in (
        lambda: subject_erase(actor=officer, request=request),
        lambda: deliver(account, "202", "Second message, sent during the erasure."),
    )]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    second = Message.objects.get(remote_id="202")
    if second.author_contact_id == erased_contact:
        assert second.text == ERASED_TEXT  # it was there first, and was erased
    else:
        assert second.text == "Second message, sent during the erasure."
    assert set(Message.objects.filter(author_contact_id=erased_contact)
               .values_list("text", flat=True)) == {ERASED_TEXT}
    assert archive_verify().ok


def test_bad_input_is_refused_with_a_message(rita, government):
    cases = [
        ({"handles": "", "email": ""}, "identify the person"),
        ({"email": "not-an-address"}, "email address"),
        ({"tracking_numbers": "zzz"}, "not a tracking number"),
        ({"phone": "12"}, "six digits"),
    ]
    for identifiers, message in cases:
        with pytest.raises(ValidationError) as info:
            open_request(rita, government["transport"], **identifiers)
        assert message in " ".join(info.value.messages)
    with pytest.raises(ValidationError, match="legal basis"):
        open_request(rita, government["transport"], kind="erasure", legal_basis="")
    assert SubjectRequest.objects.count() == 0


def test_only_records_officers_and_administrators(bob, carol, government):
    with pytest.raises(PermissionDenied):
        open_request(bob, government["transport"])
    with pytest.raises(PermissionDenied):
        open_request(carol, government["transport"])


def test_console_pages_and_the_agency_boundary(  # noqa: PLR0917 - fixtures
        client_for, rita, carol, government, maya, health_account):
    client = client_for(rita)
    response = client.post(reverse("archive:subject_new"), {
        "organisation": government["transport"].pk, "kind": "erasure", "reference": "DSR-9",
        "handles": "@maya@sandbox.local", "legal_basis": "public_records"})
    assert response.status_code == 302, response.content.decode()
    request = SubjectRequest.objects.get(reference="DSR-9")
    assert request.due_at > request.opened_at
    page = client.get(reverse("archive:subject", args=[request.pk])).content.decode()
    assert "What an erasure would touch" in page
    assert "DSR-9" in client.get(reverse("archive:subjects")).content.decode()
    bad = client.post(reverse("archive:subject_new"), {
        "organisation": government["transport"].pk, "kind": "erasure", "reference": "DSR-10"})
    assert bad.status_code == 400 and "identify the person" in bad.content.decode()
    # Another agency's staff: the request does not exist for them.
    other = client_for(carol)
    assert "DSR-9" not in other.get(reverse("archive:subjects")).content.decode()
    for name in ("archive:subject", "archive:subject_download", "archive:subject_status"):
        assert other.get(reverse(name, args=[request.pk])).status_code == 404
    assert other.post(reverse("archive:subject_erase", args=[request.pk])).status_code == 404
    response = client.post(reverse("archive:subject_erase", args=[request.pk]))
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == SubjectRequestStatus.COMPLETED


def test_requests_of_one_agency_do_not_reach_into_another(carol, government, maya,
                                                          health_account):
    deliver(health_account, "301", "Clinic question", author_id="77")
    found = subject_find(open_request(carol, government["health"]))
    # Carol's request sees the Health conversation, not Transport's.
    assert {c.organisation.slug for c in found.conversations} == {"health"}
    assert {r.organisation.slug for r in found.records} == {"health"}


def test_a_failed_export_says_why_and_can_be_built_again(  # noqa: PLR0917 - fixtures
        rita, government, maya, settings, tmp_path, django_capture_on_commit_callbacks):
    from townsquare.archive.services.subjects import subject_access_build, subject_access_retry

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.ARCHIVE_SUBJECT_EXPORT_ROOT = blocker  # a file where the folder should be
    request = open_request(rita, government["transport"], email=EMAIL)
    with pytest.raises(FileExistsError):
        subject_access_build(request=request)
    request.refresh_from_db()
    assert request.status == SubjectRequestStatus.FAILED and request.failure
    settings.ARCHIVE_SUBJECT_EXPORT_ROOT = tmp_path / "exports"
    with django_capture_on_commit_callbacks(execute=True):
        subject_access_retry(actor=rita, request=request)
    request.refresh_from_db()
    assert request.status == SubjectRequestStatus.COMPLETED
    assert subject_export_path(request).is_file()
    with pytest.raises(ValidationError):
        subject_access_retry(actor=rita, request=request)  # only a failed one
