"""Spike alerts: checking against the seasonal baseline, console, email and signed
webhook deliveries (to a loopback server), and notes to the communications office."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from townsquare.core.models import AuditEvent, Notification
from townsquare.listening.models import AlertEvent, Match, SavedQuery
from townsquare.listening.services.alerts import (
    SIGNATURE_HEADER,
    alert_event_note,
    alert_rule_save,
    alert_rules_check,
    alert_webhook_send,
)

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 23, 3, 30, tzinfo=dt.UTC)  # a Monday, 03:30
SECRET = "s3cret-signing-key-0123"


def add_matches(query: SavedQuery, when: dt.datetime, count: int, prefix: str) -> None:
    Match.objects.bulk_create(
        Match(query=query, source="inbox", network="mastodon", remote_id=f"{prefix}{n}",
              text="bus late", matched_at=when - dt.timedelta(minutes=n % 50 + 1))
        for n in range(count)
    )


@pytest.fixture
def old_query(bus_query):
    SavedQuery.objects.filter(pk=bus_query.pk).update(created_at=NOW - dt.timedelta(days=60))
    bus_query.refresh_from_db()
    for week in range(1, 5):  # the usual two posts at this hour in each earlier week
        add_matches(bus_query, NOW - dt.timedelta(weeks=week), 2, f"w{week}-")
    return bus_query


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    status = 204

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.received = []
    Receiver.status = 204
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def test_a_spike_raises_one_alert_and_tells_everyone(  # noqa: PLR0917 - fixtures
    old_query, alice, bob, carol, receiver, django_capture_on_commit_callbacks
):
    rule = alert_rule_save(actor=alice, saved_query=old_query, min_count=10,
                           email_to="duty@example.org", webhook_url=receiver,
                           webhook_secret=SECRET)
    add_matches(old_query, NOW, 30, "now-")
    with django_capture_on_commit_callbacks(execute=True):
        raised = alert_rules_check(now=NOW)
    assert len(raised) == 1
    event = AlertEvent.objects.get()
    assert (event.count, event.expected) == (30, 2.0)
    # Console: every member of Transport, nobody of Health.
    told = set(Notification.objects.filter(message_key="listening.spike")
               .values_list("recipient__username", flat=True))
    assert told == {"alice", "bob"}
    assert "carol" not in told
    # Email.
    assert [m.to for m in mail.outbox] == [["duty@example.org"]]
    assert "30" in mail.outbox[0].subject
    # Signed webhook.
    headers, body = Receiver.received[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected
    assert json.loads(body)["count"] == 30
    event.refresh_from_db()
    assert event.webhook_state == "sent"
    # Checking again in the same hour raises nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        assert alert_rules_check(now=NOW + dt.timedelta(minutes=10)) == []
    assert AlertEvent.objects.count() == 1
    assert rule.events.count() == 1


def test_usual_volume_raises_nothing(old_query, alice):
    alert_rule_save(actor=alice, saved_query=old_query, min_count=1)
    add_matches(old_query, NOW, 3, "now-")
    assert alert_rules_check(now=NOW) == []


def test_a_failing_webhook_is_retried_and_blocks_nothing(
    old_query, alice, receiver, django_capture_on_commit_callbacks
):
    Receiver.status = 500
    alert_rule_save(actor=alice, saved_query=old_query, webhook_url=receiver,
                    webhook_secret=SECRET, email_to="duty@example.org")
    add_matches(old_query, NOW, 30, "now-")
    with django_capture_on_commit_callbacks(execute=True):
        alert_rules_check(now=NOW)
    event = AlertEvent.objects.get()
    assert event.webhook_state == "pending"  # left for the task's retry
    assert event.webhook_attempts == 1
    assert event.webhook_error == "HTTP 500"
    assert len(mail.outbox) == 1  # email went out all the same
    # The last retry records the failure for staff instead of raising.
    assert alert_webhook_send(event=event, final_attempt=True) is False
    event.refresh_from_db()
    assert (event.webhook_state, event.webhook_attempts) == ("failed", 2)
    Receiver.status = 204
    event.webhook_state = "pending"
    assert alert_webhook_send(event=event) is True


def test_unreachable_webhook_is_recorded(old_query, alice):
    rule = alert_rule_save(actor=alice, saved_query=old_query,
                           webhook_url="http://127.0.0.1:9/nothing", webhook_secret=SECRET)
    event = AlertEvent.objects.create(rule=rule, window_start=NOW, count=30, expected=2)
    assert alert_webhook_send(event=event, final_attempt=True) is False
    assert event.webhook_error


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"min_count": 0}, "min_count"),
        ({"threshold": 0.2}, "threshold"),
        ({"baseline_weeks": 40}, "baseline_weeks"),
        ({"email_to": "duty@example.org, not-an-address"}, "email_to"),
        ({"webhook_url": "ftp://example.org/x", "webhook_secret": SECRET}, "webhook_url"),
        ({"webhook_url": "https://example.org/x", "webhook_secret": "short"}, "webhook_secret"),
    ],
)
def test_bad_rules_are_refused_with_the_field(old_query, alice, fields, field):
    with pytest.raises(ValidationError) as caught:
        alert_rule_save(actor=alice, saved_query=old_query, **fields)
    assert field in caught.value.message_dict


def test_carol_cannot_set_rules_on_transport_queries(old_query, carol):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        alert_rule_save(actor=carol, saved_query=old_query)


def test_an_alert_becomes_a_note_to_the_communications_office(
    old_query, alice, dana, django_capture_on_commit_callbacks
):
    rule = alert_rule_save(actor=alice, saved_query=old_query)
    event = AlertEvent.objects.create(rule=rule, window_start=NOW, count=30, expected=2)
    with pytest.raises(ValidationError):
        alert_event_note(actor=alice, event=event, note="   ")
    with django_capture_on_commit_callbacks(execute=True):
        alert_event_note(actor=alice, event=event, note="Rumour about fares doubling")
    event.refresh_from_db()
    assert event.note == "Rumour about fares doubling"
    assert Notification.objects.filter(recipient=dana, message_key="listening.alert_note").exists()
    assert AuditEvent.objects.filter(action="listening.alert_noted").exists()


def test_a_young_query_is_compared_with_its_previous_hours(bus_query, alice):
    SavedQuery.objects.filter(pk=bus_query.pk).update(created_at=NOW - dt.timedelta(hours=6))
    bus_query.refresh_from_db()
    for hours in range(1, 6):  # a steady dozen an hour
        add_matches(bus_query, NOW - dt.timedelta(hours=hours), 12, f"h{hours}-")
    alert_rule_save(actor=alice, saved_query=bus_query, min_count=5)
    add_matches(bus_query, NOW, 13, "now-")
    assert alert_rules_check(now=NOW) == []  # usual for this query
    add_matches(bus_query, NOW, 40, "burst-")
    assert len(alert_rules_check(now=NOW)) == 1


def test_notifications_read_in_the_readers_language(old_query, alice):
    from django.utils.translation import override

    from townsquare.core.notifications import render_notification

    rule = alert_rule_save(actor=alice, saved_query=old_query)
    event = AlertEvent.objects.create(rule=rule, window_start=NOW, count=30, expected=2)
    from townsquare.listening.services.alerts import alert_event_deliver

    alert_event_deliver(event=event)
    notification = Notification.objects.get(recipient=alice, message_key="listening.spike")
    with override("en"):
        assert render_notification(notification).startswith("Spike in “Late buses”: 30 posts")
    assert notification.url.endswith(f"#alert-{event.pk}")
