"""Ratings after resolution: the question on the channel, the citizen's answer, the web."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from townsquare.inbox.models import Direction, Rating, SendState, Status
from townsquare.inbox.services.ingest import message_ingest
from townsquare.inbox.services.replies import conversation_reply
from townsquare.inbox.services.satisfaction import rating_parse, rating_record
from townsquare.inbox.services.work import conversation_set_status


@pytest.mark.parametrize(("text", "expected"), [
    ("4", (4, "")),
    ("٤", (4, "")),
    ("۵", (5, "")),
    ("5 stars - quick and kind", (5, "quick and kind")),
    ("3/5, the bus is still late", (3, "the bus is still late")),
    ("四分，很好", (4, "很好")),
    ("五星", (5, "")),
    ("٢ من 5، بطيء", (2, "بطيء")),
    ("１", (1, "")),
])
def test_ratings_in_three_languages(text, expected):
    assert rating_parse(text) == expected


@pytest.mark.parametrize("text", ["", "6", "0", "45", "5 buses never came",
                                  "The bus is late again", "4.5"])
def test_not_ratings(text):
    assert rating_parse(text) is None


def test_direct_answers_to_the_question_may_skip_the_separator():
    assert rating_parse("5 thank you", lenient=True) == (5, "thank you")
    assert rating_parse("4 ", lenient=True) == (4, "")
    assert rating_parse("45", lenient=True) is None
    assert rating_parse("5 thank you") is None


@pytest.fixture
def resolved(conversation, bob, recorder,
             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        conversation_reply(actor=bob, conversation=conversation, text="The 42 runs again.")
        conversation_set_status(actor=bob, conversation=conversation, status=Status.RESOLVED)
    conversation.refresh_from_db()
    return conversation


def test_resolution_asks_on_the_same_channel_once(resolved, bob, recorder):
    question = resolved.messages.filter(direction=Direction.OUTBOUND).last()
    assert "How did we do?" in question.text and resolved.tracking_number in question.text
    assert question.send_state == SendState.SENT
    assert [call[1] for call in recorder.sent][-1] == "4242"  # answered the citizen's post
    assert resolved.rating_requested_at is not None
    conversation_set_status(actor=bob, conversation=resolved, status=Status.OPEN)
    conversation_set_status(actor=bob, conversation=resolved, status=Status.RESOLVED)
    assert resolved.messages.filter(direction=Direction.OUTBOUND).count() == 2


def test_citizen_reply_is_recorded_as_rating_not_reopening(resolved, deliver,
                                                           transport_account, bob):
    question = resolved.messages.filter(direction=Direction.OUTBOUND).last()
    message = message_ingest(inbound_item=deliver(
        transport_account, "٥ شكرا جزيلا", in_reply_to=question.remote_id, language="ar"))
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED
    rating = Rating.objects.get(conversation=resolved)
    assert (rating.score, rating.comment, rating.responder, rating.message) == (
        5, "شكرا جزيلا", bob, message)
    assert rating.organisation == resolved.organisation


def test_a_new_question_after_resolution_still_reopens(resolved, deliver, transport_account):
    # In the thread, but answering our earlier answer rather than the rating question.
    answer = resolved.messages.filter(direction=Direction.OUTBOUND).first()
    message_ingest(inbound_item=deliver(transport_account, "5 buses never came today",
                                        in_reply_to=answer.remote_id))
    resolved.refresh_from_db()
    assert resolved.status == Status.OPEN
    assert not Rating.objects.exists()


def test_rating_with_a_control_character_is_kept_as_a_message(resolved, deliver,
                                                              transport_account):
    question = resolved.messages.filter(direction=Direction.OUTBOUND).last()
    message = message_ingest(inbound_item=deliver(transport_account, "4 - ok\x07",
                                                  in_reply_to=question.remote_id))
    assert message.text == "4 - ok\x07"
    assert not Rating.objects.exists()
    resolved.refresh_from_db()
    assert resolved.status == Status.OPEN


def test_bad_ratings_are_refused(resolved):
    with pytest.raises(ValidationError):
        rating_record(conversation=resolved, score=6)
    with pytest.raises(ValidationError):
        rating_record(conversation=resolved, score=4, comment="x" * 1001)
    assert not Rating.objects.exists()


def test_web_citizen_rates_on_the_tracking_page(client, alice, government):
    from townsquare.inbox.services.citizen import contact_form_submit

    conversation = contact_form_submit(name="Mona", reply_to="", text="Bus pass refund?",
                                       organisation=government["transport"])
    found = client.post(reverse("portal:track"), {"number": conversation.tracking_number})
    assert "Rate our answer" not in found.content.decode()
    conversation_reply(actor=alice, conversation=conversation, text="Refund sent.")
    conversation_set_status(actor=alice, conversation=conversation, status=Status.RESOLVED)
    found = client.post(reverse("portal:track"), {"number": conversation.tracking_number})
    body = found.content.decode()
    assert "Rate our answer" in body
    link = body.split('href="/track/rate/')[1].split('"')[0]
    url = f"/track/rate/{link}"
    assert client.post(url, {"score": "9"}).status_code == 400
    assert client.post(url, {"score": "4", "comment": "Fast"}).status_code == 200
    assert Rating.objects.get(conversation=conversation).score == 4
    assert client.get("/track/rate/forged-token/").status_code == 404
