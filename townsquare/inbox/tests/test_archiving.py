"""Staff answers and internal notes go to the records archive, on the hash chain; notes
are restricted records."""

import json

from townsquare.archive.models import ChainEntry, EventKind, Record, RecordEvent, RecordType
from townsquare.archive.selectors import records_visible_to
from townsquare.archive.services import archive_verify
from townsquare.channels.adapters.base import RemoteRejected
from townsquare.inbox.models import SendState
from townsquare.inbox.services.archiving import (
    ANSWER_SOURCE,
    NOTE_SOURCE,
    answer_archive,
    note_archive,
)
from townsquare.inbox.services.replies import conversation_reply
from townsquare.inbox.services.work import case_create, note_add


def _chained(record):
    events = list(RecordEvent.objects.filter(record=record).order_by("id"))
    assert events, "the record has no event"
    for event in events:
        assert ChainEntry.objects.filter(event=event).exists()
    return events


def test_an_answer_sent_through_the_network_is_archived_once_sent(
        conversation, bob, recorder, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = conversation_reply(actor=bob, conversation=conversation,
                                    text="Sorry! The 42 is back on time.")
    answer.refresh_from_db()
    assert answer.send_state == SendState.SENT
    record = Record.objects.get(source=ANSWER_SOURCE, source_id=str(answer.pk))
    assert record.record_type == RecordType.REPLY
    assert record.organisation == conversation.organisation
    assert record.remote_id == "sent-1" and record.author == "bob"
    assert record.network == "mastodon" and record.account_handle
    version = record.versions.get()
    assert version.content == "Sorry! The 42 is back on time."
    metadata = json.loads(version.metadata_json)
    assert metadata["tracking_number"] == conversation.tracking_number
    assert metadata["sent_through_network"] is True
    assert [e.kind for e in _chained(record)] == [EventKind.CREATED]
    # A retried task adds nothing.
    assert answer_archive(message_id=answer.pk) == "unchanged"
    assert record.versions.count() == 1
    report = archive_verify(check_media=False)
    assert report.ok, report.problems


def test_an_answer_the_network_refused_is_not_a_record(
        conversation, bob, recorder, django_capture_on_commit_callbacks):
    recorder.script = [RemoteRejected("too long")]
    with django_capture_on_commit_callbacks(execute=True):
        answer = conversation_reply(actor=bob, conversation=conversation, text="A long answer")
    answer.refresh_from_db()
    assert answer.send_state == SendState.FAILED
    assert not Record.objects.filter(source=ANSWER_SOURCE).exists()
    assert answer_archive(message_id=answer.pk) == "skipped"


def test_an_answer_recorded_for_a_phone_case_is_archived_at_once(
        government, bob, django_capture_on_commit_callbacks):
    case = case_create(actor=bob, organisation=government["transport"], channel="phone",
                       citizen_name="Sam", citizen_reference="+971 50 000 0000",
                       text="My bus pass does not work")
    with django_capture_on_commit_callbacks(execute=True):
        answer = conversation_reply(actor=bob, conversation=case, text="We reset it by phone.")
    record = Record.objects.get(source=ANSWER_SOURCE, source_id=str(answer.pk))
    assert record.network == "phone" and record.versions.get().content == "We reset it by phone."
    _chained(record)


def test_an_internal_note_is_a_restricted_record_on_the_chain(
        conversation, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = note_add(actor=bob, conversation=conversation,
                        text="Caller sounded distressed, @alice please call back")
    record = Record.objects.get(source=NOTE_SOURCE, source_id=str(note.pk))
    assert record.record_type == RecordType.NOTE and record.author == "bob"
    kinds = [e.kind for e in _chained(record)]
    assert kinds == [EventKind.CREATED, EventKind.RESTRICTED]
    restriction = RecordEvent.objects.get(record=record, kind=EventKind.RESTRICTED)
    assert restriction.actor_label == "system" and "staff only" in restriction.reason
    # Capturing again (a retried task) adds neither a version nor a second restriction.
    assert note_archive(note_id=note.pk) == "unchanged"
    assert RecordEvent.objects.filter(record=record).count() == 2
    assert archive_verify(check_media=False).ok


def test_archive_users_see_the_note_as_restricted(
        conversation, bob, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = note_add(actor=bob, conversation=conversation, text="internal only")
    seen = records_visible_to(alice).get(source=NOTE_SOURCE, source_id=str(note.pk))
    assert seen.is_restricted


def test_missing_items_are_skipped(db):
    assert answer_archive(message_id=987654) == "skipped"
    assert note_archive(note_id=987654) == "skipped"
