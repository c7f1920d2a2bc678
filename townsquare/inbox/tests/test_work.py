import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from townsquare.core.models import AuditEvent, Notification
from townsquare.inbox.models import ContactIdentity, Conversation, Status, Transfer
from townsquare.inbox.services.ingest import message_ingest
from townsquare.inbox.services.work import (
    case_create,
    conversation_assign,
    conversation_set_status,
    conversation_transfer,
    identities_link,
    note_add,
)
from townsquare.organisations.services import membership_grant


def test_bob_assigns_within_transport_and_carol_cannot(conversation, bob, carol):
    conversation_assign(actor=bob, conversation=conversation, assignee=bob)
    conversation.refresh_from_db()
    assert conversation.assignee == bob and conversation.status == Status.OPEN
    assert AuditEvent.objects.filter(action="conversation.assign").exists()
    with pytest.raises(PermissionDenied):
        conversation_assign(actor=carol, conversation=conversation, assignee=None)


def test_cannot_assign_someone_outside_the_organisation(conversation, bob, carol):
    with pytest.raises(ValidationError):
        conversation_assign(actor=bob, conversation=conversation, assignee=carol)


def test_analyst_sees_everything_but_acts_on_nothing(conversation, dana):
    with pytest.raises(PermissionDenied):
        conversation_set_status(actor=dana, conversation=conversation, status=Status.RESOLVED)


def test_round_robin_goes_around_the_team(government, conversation, bob, alice):
    from townsquare.organisations.services import staff_user_create

    eve = staff_user_create(actor=None, username="eve", email="eve@example.org",
                            first_name="Eve", password="correct-lantern-harbour-42")
    membership_grant(actor=None, user=eve, organisation=government["transport"],
                     role="responder", team=government["buses"])
    with pytest.raises(ValidationError):  # no team yet
        conversation_assign(actor=alice, conversation=conversation, round_robin=True)
    Conversation.objects.filter(pk=conversation.pk).update(team=government["buses"])
    picked = [
        conversation_assign(actor=alice, conversation=conversation, round_robin=True).assignee
        for _ in range(3)
    ]
    assert [u.username for u in picked] == ["bob", "eve", "bob"]


def test_two_people_resolving_at_once_change_it_once(conversation, alice, bob):
    _, changed = conversation_set_status(actor=alice, conversation=conversation,
                                         status=Status.RESOLVED)
    _, again = conversation_set_status(actor=bob, conversation=conversation,
                                       status=Status.RESOLVED)
    assert changed and not again
    assert AuditEvent.objects.filter(action="conversation.status").count() == 1
    with pytest.raises(ValidationError):
        conversation_set_status(actor=bob, conversation=conversation, status="nonsense")


def test_transfer_to_an_ngo_keeps_history_and_number(government, conversation, bob, nadia, carol):
    number = conversation.tracking_number
    conversation_assign(actor=bob, conversation=conversation, assignee=bob)
    with pytest.raises(ValidationError):
        conversation_transfer(actor=bob, conversation=conversation,
                              to_organisation=government["ngo"], reason="   ")
    with pytest.raises(ValidationError):
        conversation_transfer(actor=bob, conversation=conversation,
                              to_organisation=government["ngo"], to_team=government["buses"],
                              reason="food")
    conversation_transfer(actor=bob, conversation=conversation,
                          to_organisation=government["ngo"], reason="Needs food parcels")
    conversation.refresh_from_db()
    assert conversation.organisation == government["ngo"]
    assert conversation.tracking_number == number and conversation.assignee is None
    assert conversation.messages.count() == 1
    assert Transfer.objects.get().reason == "Needs food parcels"
    assert AuditEvent.objects.filter(action="conversation.transfer",
                                     organisation=government["transport"]).exists()
    # Transport no longer works on it; nadia does.
    with pytest.raises(PermissionDenied):
        note_add(actor=bob, conversation=conversation, text="still mine?")
    note_add(actor=nadia, conversation=conversation, text="We will call them")


def test_transfer_to_the_office_puts_it_in_triage(government, conversation, bob):
    conversation_transfer(actor=bob, conversation=conversation,
                          to_organisation=government["office"], reason="Not ours")
    conversation.refresh_from_db()
    assert conversation.in_triage


@pytest.mark.usefixtures("alice", "carol", "dana")
def test_mentions_notify_colleagues_who_can_see_it(conversation, bob,
                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = note_add(actor=bob, conversation=conversation,
                        text="@Alice can you check? cc @carol @dana @nobody bob@example.org")
    assert {u.username for u in note.mentions.all()} == {"alice", "dana"}
    assert set(Notification.objects.filter(message_key="inbox.mentioned")
               .values_list("recipient__username", flat=True)) == {"alice", "dana"}
    with pytest.raises(ValidationError):
        note_add(actor=bob, conversation=conversation, text="x" * 5001)
    with pytest.raises(ValidationError):
        note_add(actor=bob, conversation=conversation, text="nul\x00byte")


def test_linking_identities_records_who_and_why(transport_account, deliver, bob, alice):
    a = message_ingest(inbound_item=deliver(transport_account, "hi", author="a")).conversation
    b = message_ingest(inbound_item=deliver(transport_account, "hi", author="b")).conversation
    case = case_create(actor=alice, organisation=transport_account.organisation,
                       channel="phone", citizen_name="Layla", citizen_reference="+971 50 1",
                       text="Called about the 42 bus")
    assert identities_link(actor=bob, conversation=a, other=b, reason="Same phone number") == 1
    assert identities_link(actor=bob, conversation=a, other=case, reason="Said so") == 1
    moved = ContactIdentity.objects.get(remote_author_id="b")
    assert moved.contact == a.contact and moved.linked_by == bob
    assert moved.link_reason == "Same phone number"
    assert a.contact.conversations.count() == 3
    assert AuditEvent.objects.filter(action="contact.link").count() == 2
    with pytest.raises(ValidationError):
        identities_link(actor=bob, conversation=a, other=b, reason="again")


def test_phone_case_of_a_returning_caller_joins_their_contact(government, alice):
    first = case_create(actor=alice, organisation=government["transport"], channel="phone",
                        citizen_name="Wei", citizen_reference="12345", text="Lost my bag")
    second = case_create(actor=alice, organisation=government["transport"],
                         channel="service_centre", citizen_name="Wei",
                         citizen_reference="12345", text="Found it?")
    assert first.contact != second.contact  # a phone number and a counter are two channels
    third = case_create(actor=alice, organisation=government["transport"], channel="phone",
                        citizen_name="Wei", citizen_reference="12345", text="Again")
    assert third.contact == first.contact
    with pytest.raises(ValidationError):
        case_create(actor=alice, organisation=government["transport"], channel="mastodon",
                    citizen_name="x", citizen_reference="", text="y")
    with pytest.raises(ValidationError):
        case_create(actor=alice, organisation=government["transport"], channel="phone",
                    citizen_name="\u202eevil", citizen_reference="", text="y")
    with pytest.raises(PermissionDenied):
        case_create(actor=alice, organisation=government["health"], channel="phone",
                    citizen_name="x", citizen_reference="", text="y")


def test_inbox_notifications_have_their_own_texts_in_the_readers_language():
    from django.utils import translation

    from townsquare.core.models import Notification
    from townsquare.core.notifications import render_notification

    note = Notification(message_key="inbox.assigned", params={"tracking_number": "TS-7K3M-Q9X"})
    assert render_notification(note) == "Conversation TS-7K3M-Q9X is assigned to you."
    note = Notification(message_key="inbox.mentioned",
                        params={"tracking_number": "TS-7K3M-Q9X", "by": "bob"})
    assert render_notification(note) == "bob mentioned you in conversation TS-7K3M-Q9X."
    with translation.override("ar"):
        text = render_notification(
            Notification(message_key="inbox.emergency", params={"tracking_number": "TS-7K3M-Q9X"})
        )
    assert "TS-7K3M-Q9X" in text and "Possible emergency" not in text
