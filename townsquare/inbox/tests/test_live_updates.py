"""Live updates by htmx polling: 204 while nothing changed, a small fragment when it did,
and the agency boundary on both endpoints."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from townsquare.inbox.models import Message, Status
from townsquare.inbox.queue_views import conversation_live_query
from townsquare.inbox.services.replies import conversation_mark_replying
from townsquare.inbox.services.work import conversation_set_status

from .test_keyset import make


def _queue_poll(client, since, **params):
    return client.get(reverse("inbox:queue_updates"),
                      {"since": since.isoformat(), "queue": "all", **params})


def test_queue_says_how_many_arrived_then_stays_quiet(client_for, bob, carol, government):
    transport = government["transport"]
    since = timezone.now()
    make(transport, minutes=0)  # T0 is before "since": not new
    c = client_for(bob)
    assert _queue_poll(c, since).status_code == 204
    fresh = make(transport)
    Message.objects.filter(conversation=fresh).delete()
    fresh.last_message_at = since + dt.timedelta(seconds=5)
    fresh.save(update_fields=["last_message_at"])
    response = _queue_poll(c, since)
    body = response.content.decode()
    assert response.status_code == 200
    assert "1 new conversation" in body and "show them" in body
    assert "shown=1" in body and 'hx-trigger="every 15s"' in body
    # The page now says 1: polling again with shown=1 changes nothing.
    assert _queue_poll(c, since, shown="1").status_code == 204
    # Another agency's staff never hear of it.
    assert _queue_poll(client_for(carol), since).status_code == 204


def test_queue_poll_follows_the_filters(client_for, bob, government):
    since = timezone.now()
    fresh = make(government["transport"], channel="telegram")
    fresh.last_message_at = since + dt.timedelta(seconds=1)
    fresh.save(update_fields=["last_message_at"])
    c = client_for(bob)
    assert _queue_poll(c, since, channel="mastodon").status_code == 204
    assert _queue_poll(c, since, channel="telegram").status_code == 200
    assert _queue_poll(c, since, queue="closed").status_code == 204


def test_queue_poll_bad_input(client_for, bob):
    c = client_for(bob)
    response = c.get(reverse("inbox:queue_updates"), {"since": "yesterday"})
    assert response.status_code == 400 and "valid time" in response.content.decode()
    naive = c.get(reverse("inbox:queue_updates"), {"since": "2026-11-01T12:00:00"})
    assert naive.status_code == 400
    # A broken search in the polled filters: nothing to report, no error page.
    assert _queue_poll(c, timezone.now(), q='"open').status_code == 204


def test_queue_page_polls(client_for, bob):
    body = client_for(bob).get(reverse("inbox:queue")).content.decode()
    assert reverse("inbox:queue_updates") + "?" in body
    assert 'aria-live="polite"' in body


def _poll(client, conversation, query):
    return client.get(reverse("inbox:conversation_updates", args=[conversation.pk]) + "?"
                      + query)


def test_conversation_shows_new_messages_status_and_who_answers(
        client_for, bob, alice, conversation):
    c = client_for(bob)
    query = conversation_live_query(conversation, bob)
    page = c.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert query.replace("&", "&amp;") in page and "townsquare/inbox.js" in page
    assert _poll(c, conversation, query).status_code == 204

    Message.objects.create(conversation=conversation, direction="in",
                           text="<b>Any news?</b> \u202eevil")
    response = _poll(c, conversation, query)
    body = response.content.decode()
    assert response.status_code == 200
    assert "1 new message" in body and "&lt;b&gt;Any news?" in body and "\u202e" not in body
    # The fragment carries the state it shows: polling with it is quiet again.
    next_query = response.content.decode().split("?", 1)[1].split('"', 1)[0].replace(
        "&amp;", "&")
    assert _poll(c, conversation, next_query).status_code == 204

    conversation_set_status(actor=alice, conversation=conversation, status=Status.WAITING)
    changed = _poll(c, conversation, next_query).content.decode()
    assert "The status is now: Waiting on the citizen" in changed

    conversation.refresh_from_db()
    conversation_mark_replying(actor=alice, conversation=conversation)
    answering = _poll(c, conversation, next_query).content.decode()
    assert "Alice is answering" in answering


def test_conversation_poll_boundary_and_bad_input(client_for, carol, bob, conversation):
    query = urlencode({"after": 0, "status": "new", "initial_status": "new"})
    assert _poll(client_for(carol), conversation, query).status_code == 404
    bad = _poll(client_for(bob), conversation, "after=abc")
    assert bad.status_code == 400 and "valid message number" in bad.content.decode()


@pytest.mark.parametrize("name", ["queue_updates"])
def test_polling_needs_sign_in(client, name):
    response = client.get(reverse(f"inbox:{name}"), {"since": timezone.now().isoformat()})
    assert response.status_code == 302
