import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from townsquare.channels.adapters.base import (
    AuthExpired,
    ItemKind,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.models import ConnectionState
from townsquare.inbox.models import Message, SendState, Status
from townsquare.inbox.services.ingest import message_ingest
from townsquare.inbox.services.replies import (
    MAX_ATTEMPTS,
    ReplyCollision,
    conversation_reply,
    message_retry,
    message_send,
    messages_due,
)
from townsquare.inbox.services.work import case_create


def test_bob_replies_on_the_same_channel_after_commit(
    conversation, bob, recorder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = conversation_reply(actor=bob, conversation=conversation,
                                    text="Sorry! The 42 is back on time.")
    answer.refresh_from_db()
    assert answer.send_state == SendState.SENT and answer.remote_id == "sent-1"
    assert recorder.sent == [("reply", "4242", "Sorry! The 42 is back on time.")]
    conversation.refresh_from_db()
    assert conversation.status == Status.WAITING and conversation.first_response_at


def test_carol_cannot_reply_to_transport(conversation, carol, recorder):
    with pytest.raises(PermissionDenied):
        conversation_reply(actor=carol, conversation=conversation, text="hi")


@pytest.mark.usefixtures("recorder")
def test_our_reply_echoed_back_is_not_a_citizen_message(
    conversation, bob, transport_account, deliver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = conversation_reply(actor=bob, conversation=conversation, text="On our way")
    answer.refresh_from_db()
    echo = deliver(transport_account, "On our way", remote_id=answer.remote_id, own=True,
                   author="agency", in_reply_to="4242")
    assert message_ingest(inbound_item=echo) is None
    # The citizen answering our reply joins the same conversation.
    follow = message_ingest(inbound_item=deliver(
        transport_account, "thanks", in_reply_to=answer.remote_id, kind=ItemKind.REPLY))
    assert follow.conversation == conversation and follow.in_reply_to == answer


def test_a_private_message_is_answered_privately(transport_account, deliver, bob, recorder,
                                                 django_capture_on_commit_callbacks):
    dm = message_ingest(inbound_item=deliver(transport_account, "my card number is…",
                                             kind=ItemKind.DIRECT_MESSAGE, remote_id="dm1"))
    with django_capture_on_commit_callbacks(execute=True):
        answer = conversation_reply(actor=bob, conversation=dm.conversation, text="Got it")
    assert answer.is_private
    # Adapters keep a private message private when they reply to it.
    assert recorder.sent == [("reply", "dm1", "Got it")]


def test_a_public_comment_can_be_answered_privately(conversation, bob, recorder,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        conversation_reply(actor=bob, conversation=conversation, text="Details by DM",
                           private=True)
    assert recorder.sent == [("private", "4242", "Details by DM")]


def test_transient_failures_are_retried_then_fail_clearly(conversation, bob, recorder):
    recorder.script = [TransientError("502 from the network")] * MAX_ATTEMPTS
    answer = Message.objects.get(pk=conversation_reply(
        actor=bob, conversation=conversation, text="x").pk)
    now = dt.datetime.now(dt.UTC)
    assert message_send(message_id=answer.pk, now=now) == SendState.RETRYING
    assert message_send(message_id=answer.pk, now=now) == SendState.RETRYING  # not due yet
    for _attempt in range(2, MAX_ATTEMPTS + 1):
        now += dt.timedelta(days=1)
        assert answer.pk in messages_due(now=now)
        state = message_send(message_id=answer.pk, now=now)
    assert state == SendState.FAILED
    answer.refresh_from_db()
    assert answer.attempts == MAX_ATTEMPTS and "502" in answer.failure_reason
    assert recorder.sent == []


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (RemoteRejected("text too long (612 > 500)"), "too long"),
        (RemoteRejected("the original was deleted"), "deleted"),
        (RemoteRejected("the user blocked this account"), "blocked"),
    ],
)
def test_a_network_refusing_for_good_fails_with_its_reason(conversation, bob, recorder,
                                                          error, words):
    recorder.script = [error]
    answer = conversation_reply(actor=bob, conversation=conversation, text="x")
    assert message_send(message_id=answer.pk) == SendState.FAILED
    answer.refresh_from_db()
    assert words in answer.failure_reason
    # Staff send it again once the problem is fixed.
    message_retry(actor=bob, message=answer)
    assert message_send(message_id=answer.pk) == SendState.SENT


def test_lost_access_fails_and_flags_the_account(conversation, bob, recorder, transport_account):
    recorder.script = [AuthExpired("token revoked")]
    answer = conversation_reply(actor=bob, conversation=conversation, text="x")
    assert message_send(message_id=answer.pk) == SendState.FAILED
    transport_account.refresh_from_db()
    assert transport_account.connection_state != ConnectionState.CONNECTED
    assert message_send(message_id=answer.pk) == SendState.FAILED  # not claimed again


def test_a_sent_answer_is_never_sent_twice(conversation, bob, recorder):
    answer = conversation_reply(actor=bob, conversation=conversation, text="once")
    assert message_send(message_id=answer.pk) == SendState.SENT
    assert message_send(message_id=answer.pk) == SendState.SENT
    assert len(recorder.sent) == 1


def test_collision_when_a_colleague_answered_meanwhile(conversation, bob, alice, recorder):
    seen = conversation.messages.latest("pk").pk
    conversation_reply(actor=alice, conversation=conversation, text="alice answers",
                       seen_message_id=seen)
    with pytest.raises(ReplyCollision):
        conversation_reply(actor=bob, conversation=conversation, text="bob too",
                           seen_message_id=seen)
    assert conversation.messages.filter(text="bob too").count() == 0


def test_a_reply_to_a_conversation_transferred_meanwhile_is_refused(
    government, conversation, bob, recorder
):
    from townsquare.inbox.services.work import conversation_transfer

    conversation_transfer(actor=bob, conversation=conversation,
                          to_organisation=government["health"], reason="Hospital question")
    with pytest.raises(PermissionDenied):
        conversation_reply(actor=bob, conversation=conversation, text="late answer")


def test_bad_answers_are_refused_with_a_reason(conversation, bob, recorder):
    for text in ("", "   ", "x" * 10_001, "bad\x07bell"):
        with pytest.raises(ValidationError):
            conversation_reply(actor=bob, conversation=conversation, text=text)
    assert not conversation.messages.filter(direction="out").exists()


def test_phone_cases_record_the_answer_without_a_network(government, alice, recorder):
    case = case_create(actor=alice, organisation=government["transport"], channel="phone",
                       citizen_name="Wei", citizen_reference="", text="Lost bag")
    answer = conversation_reply(actor=alice, conversation=case, text="Told them: line 3 office")
    assert answer.send_state == SendState.NONE and answer.sent_at
    assert recorder.sent == []
