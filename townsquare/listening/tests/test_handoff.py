"""An alert becomes an inbox conversation: once, for the agency, audited, in scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from townsquare.core.models import AuditEvent
from townsquare.inbox.models import Conversation, Message
from townsquare.listening.models import AlertEvent, AlertRule, Match
from townsquare.listening.services.handoff import alert_event_to_conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(bus_query):
    window = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    rule = AlertRule.objects.create(query=bus_query, min_count=3, threshold=3)
    for n in range(7):
        Match.objects.create(
            query=bus_query, source="inbox", network="mastodon", remote_id=f"m{n}",
            text=f"The 12 bus is late again ({n})", author_handle=f"resident{n}",
            url=f"https://sandbox.local/@resident{n}/{n}",
            matched_at=window + dt.timedelta(minutes=n + 1),
        )
    Match.objects.create(query=bus_query, source="inbox", network="mastodon",
                         remote_id="old", text="yesterday's post",
                         matched_at=window - dt.timedelta(days=1))
    return AlertEvent.objects.create(rule=rule, window_start=window, count=7, expected=1.5)


def test_alert_becomes_one_conversation_for_the_agency(client_for, alice, event, government):
    client = client_for(alice)
    url = reverse("listening:alert_conversation", args=[event.rule.query_id, event.pk])
    response = client.post(url)
    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox:conversation", args=[conversation.pk])
    assert conversation.organisation == government["transport"]
    assert conversation.channel == "mastodon"
    text = Message.objects.get(conversation=conversation).text
    assert "Late buses" in text and "7 posts" in text and "1.5" in text
    assert text.count("\n- @resident") == 5  # five examples, newest first
    assert "@resident6: The 12 bus is late again (6) https://sandbox.local/@resident6/6" in text
    assert "yesterday" not in text
    event.refresh_from_db()
    assert event.conversation == conversation
    # Again (a double click, another colleague): the same conversation.
    again = client.post(url)
    assert again["Location"] == response["Location"]
    assert Conversation.objects.count() == 1
    audit = AuditEvent.objects.filter(action="listening.alert_to_conversation")
    assert audit.count() == 1 and audit.get().actor == alice
    page = client.get(reverse("listening:detail", args=[event.rule.query_id]))
    assert conversation.tracking_number in page.content.decode()


def test_other_agencies_and_readers_cannot_hand_off(client_for, carol, dana, bob, event):
    url = reverse("listening:alert_conversation", args=[event.rule.query_id, event.pk])
    assert client_for(carol).post(url).status_code == 404
    assert client_for(bob).post(url).status_code == 403  # may read, not manage listening
    with pytest.raises(PermissionDenied):
        # The office's analyst may manage listening but does not work Transport's inbox.
        alert_event_to_conversation(actor=dana, event=event)
    assert not Conversation.objects.exists()
    page = client_for(dana).get(reverse("listening:detail", args=[event.rule.query_id]))
    assert "Open an inbox conversation" not in page.content.decode()


def test_a_deleted_conversation_can_be_opened_again(alice, event):
    first = alert_event_to_conversation(actor=alice, event=event)
    event.refresh_from_db()
    Message.objects.filter(conversation=first).delete()
    first.delete()
    event.refresh_from_db()
    assert event.conversation_id is None
    second = alert_event_to_conversation(actor=alice, event=event)
    assert second.pk != first.pk
