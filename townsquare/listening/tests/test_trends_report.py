"""Trends over Match rows: the seasonal windows, the SQL aggregates over a few thousand
matches, trend alerts through the rules' channels, the Trends panel, plural wording, and
an emerging term found in the demo's own traffic."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from townsquare.core.models import AuditEvent, Notification
from townsquare.core.notifications import render_notification
from townsquare.listening.models import AlertEvent, AlertRule, Match, SavedQuery
from townsquare.listening.services.alerts import SIGNATURE_HEADER, alert_rule_save
from townsquare.listening.services.trends import trend_alerts_check
from townsquare.listening.trend_report import term_windows, trend_report

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 23, 3, 30, tzinfo=dt.UTC)  # Monday 07:30 in Dubai
SECRET = "s3cret-signing-key-0123"
HOUR = dt.timedelta(hours=1)


def _rows(query, start, hours, *, negative_share_recent=0.2):
    """A usual traffic of 2 posts an hour (3 in Dubai's Monday hours) about late buses,
    a fifth of them negative (``negative_share_recent`` in the last 24 hours), and a
    Monday-morning "commute" rush of 30 posts at 06:45 Dubai time every Monday."""
    rows = []
    for h in range(hours):
        when = start + h * HOUR + dt.timedelta(minutes=45)
        local = when.astimezone(dt.timezone(dt.timedelta(hours=4)))
        recent = NOW - when <= dt.timedelta(days=1)
        share = negative_share_recent if recent else 0.2
        for n in range(3 if local.weekday() == 0 else 2):
            rows.append({"keywords": ["bus", "late"], "when": when, "author": f"c{n}",
                             "negative": len(rows) % 10 < share * 10})
        if local.weekday() == 0 and local.hour == 6:
            rows += [{"keywords": ["commute", "crowded"], "when": when, "author": f"m{n}",
                          "negative": False} for n in range(30)]
    Match.objects.bulk_create(
        Match(query=query, source="inbox", network="mastodon", remote_id=f"r{i}",
              text=" ".join(row["keywords"]), author_handle=row["author"],
              keywords=row["keywords"], matched_at=row["when"],
              sentiment="negative" if row["negative"] else "neutral")
        for i, row in enumerate(rows)
    )
    return len(rows)


def _burst(query, count=40, prefix="b"):
    Match.objects.bulk_create(
        Match(query=query, source="inbox", network="mastodon", remote_id=f"{prefix}{n}",
              text="bus fares doubling #fares", author_handle=f"p{n}",
              keywords=["bus", "fares", "doubling"], hashtags=["fares"],
              urls=["https://rumours.example/fares"] if n % 2 else [],
              matched_at=NOW - dt.timedelta(minutes=n % 50 + 1), sentiment="negative")
        for n in range(count)
    )


@pytest.fixture
def old_query(bus_query):
    SavedQuery.objects.filter(pk=bus_query.pk).update(created_at=NOW - dt.timedelta(days=40))
    bus_query.refresh_from_db()
    return bus_query


@pytest.fixture
def busy_query(old_query):
    """A few thousand matches over 5 weeks, with a rumour burst in the last hour."""
    assert _rows(old_query, NOW - dt.timedelta(days=35), 35 * 24) > 1800
    _burst(old_query)
    return old_query


def test_windows_follow_the_season_the_query_has(old_query):
    name, windows = term_windows(NOW - dt.timedelta(days=40), NOW)
    assert name == "weeks"
    assert windows[0] == (NOW - dt.timedelta(weeks=1) - HOUR, NOW - dt.timedelta(weeks=1))
    assert len(windows) == 4
    name, windows = term_windows(NOW - dt.timedelta(days=3), NOW)
    assert (name, len(windows)) == ("days", 2)
    name, windows = term_windows(NOW - dt.timedelta(hours=5), NOW)
    assert (name, len(windows)) == ("hours", 4)
    assert term_windows(NOW - dt.timedelta(minutes=90), NOW) == ("", [])


def test_emerging_terms_over_thousands_of_matches_in_few_queries(
    busy_query, django_assert_max_num_queries
):
    busy_query = SavedQuery.objects.select_related("organisation").get(pk=busy_query.pk)
    with django_assert_max_num_queries(3):  # terms, days, sentiment
        report = trend_report(busy_query, now=NOW)
    found = {(t.kind, t.value): t for t in report.terms}
    assert report.baseline == "weeks"
    assert report.windows == 4
    fares = found["keyword", "fares"]
    assert (fares.count, fares.expected, fares.new) == (40, 0.0, True)
    assert ("hashtag", "fares") in found
    assert found["link", "https://rumours.example/fares"].count == 20
    assert found["keyword", "bus"].count == 43  # 3 usual and the 40 of the burst
    # The Monday-morning rush comes every Monday: it is in the baseline, not emerging.
    assert ("keyword", "commute") not in found
    assert ("keyword", "late") not in found


def test_a_flat_weekly_pattern_is_no_sustained_rise_and_a_climb_is(old_query, bob, government):
    _rows(old_query, NOW - dt.timedelta(days=35), 35 * 24)
    report = trend_report(old_query, now=NOW)
    assert report.rise_possible
    assert report.rise.days == 28
    assert not report.rise.rising
    assert report.rise.slope == 0

    from townsquare.listening.services.queries import saved_query_create

    climbing = saved_query_create(actor=government["transport"].memberships.first().user,
                                  organisation=government["transport"], name="Climbing",
                                  query="fares")
    SavedQuery.objects.filter(pk=climbing.pk).update(created_at=NOW - dt.timedelta(days=40))
    climbing.refresh_from_db()
    Match.objects.bulk_create(
        Match(query=climbing, source="inbox", network="mastodon", remote_id=f"d{d}-{n}",
              matched_at=NOW - dt.timedelta(days=d, hours=-1))
        for d in range(1, 29) for n in range(40 - d)  # 12 a day four weeks ago, 39 now
    )
    report = trend_report(climbing, now=NOW)
    assert report.rise.rising
    assert report.rise.last_week == sum(range(33, 40))
    assert report.rise_last_day == dt.date(2026, 11, 22)
    assert report.rise_first_day == dt.date(2026, 10, 26)
    assert report.rise_percent > 100


def test_a_young_query_needs_two_weeks_for_a_rise(bus_query):
    report = trend_report(bus_query, now=bus_query.created_at + dt.timedelta(days=3))
    assert not report.rise_possible
    assert not report.rise.rising


def test_negative_share_shift_of_the_last_day(old_query):
    _rows(old_query, NOW - dt.timedelta(days=10), 10 * 24, negative_share_recent=0.7)
    shift = trend_report(old_query, now=NOW).shift
    assert shift.shifted
    assert shift.share > 0.4  # 70% of the usual posts; the Monday rush is not negative
    assert 0.15 < shift.baseline_share < 0.25
    assert shift.baseline_total > 300  # the 7 days before the last 24 hours


# --- alerts ----------------------------------------------------------------------------


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def test_trend_alerts_go_through_the_rules_channels_once_per_period(  # noqa: PLR0917
    busy_query, alice, bob, carol, receiver, django_capture_on_commit_callbacks
):
    Match.objects.filter(query=busy_query, matched_at__gte=NOW - dt.timedelta(days=1)).update(
        sentiment="negative")
    spikes_only = alert_rule_save(actor=alice, saved_query=busy_query)
    rule = alert_rule_save(actor=alice, saved_query=busy_query,
                           kinds=["emerging", "rise", "sentiment"],
                           email_to="duty@example.org", webhook_url=receiver,
                           webhook_secret=SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        raised = trend_alerts_check(now=NOW)
    assert {(e.rule_id, e.kind) for e in raised} == {(rule.pk, "emerging"),
                                                     (rule.pk, "sentiment")}
    assert not AlertEvent.objects.filter(rule=spikes_only).exists()
    emerging = AlertEvent.objects.get(kind="emerging")
    assert emerging.window_start == dt.datetime(2026, 11, 23, 3, tzinfo=dt.UTC)
    assert emerging.detail["terms"][0]["count"] >= 40
    sentiment = AlertEvent.objects.get(kind="sentiment")
    # The organisation's local day (Dubai) is the period of a sentiment shift.
    assert sentiment.window_start == dt.datetime(2026, 11, 22, 20, tzinfo=dt.UTC)
    assert sentiment.detail["share"] == 1.0

    told = Notification.objects.filter(message_key="listening.trend")
    assert {n.recipient_id for n in told} == {alice.pk, bob.pk}  # not Health's carol
    texts = {render_notification(n) for n in told}
    assert any("fares: 40, about 0.0 expected" in t for t in texts)
    assert any("Negative sentiment shift" in t and "100%" in t for t in texts)
    assert sorted(m.subject for m in mail.outbox) == [
        "Trend alert on “Late buses”: Emerging terms",
        "Trend alert on “Late buses”: Negative sentiment shift"]
    assert len(Receiver.received) == 2
    headers, body = Receiver.received[0]
    assert headers[SIGNATURE_HEADER] == "sha256=" + hmac.new(
        SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert {json.loads(b)["type"] for _h, b in Receiver.received} == {
        "listening.emerging", "listening.sentiment"}
    assert AuditEvent.objects.filter(action="listening.emerging").count() == 1

    # Checked again in the same hour and day: nothing new, nobody told twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert trend_alerts_check(now=NOW + dt.timedelta(minutes=20)) == []
    assert AlertEvent.objects.count() == 2
    assert len(mail.outbox) == 2


def test_rule_kinds_are_validated(alice, bus_query):
    with pytest.raises(ValidationError) as error:
        alert_rule_save(actor=alice, saved_query=bus_query, kinds=[])
    assert "kinds" in error.value.message_dict
    with pytest.raises(ValidationError):
        alert_rule_save(actor=alice, saved_query=bus_query, kinds=["spike", "gossip"])
    rule = alert_rule_save(actor=alice, saved_query=bus_query, kinds=["sentiment", "spike"])
    assert rule.kinds == ["spike", "sentiment"]
    alert_rule_save(actor=alice, saved_query=bus_query, rule=rule)  # kinds kept
    rule.refresh_from_db()
    assert rule.kinds == ["spike", "sentiment"]


def test_rule_form_sets_kinds_and_refuses_none(client_for, alice, bus_query):
    client = client_for(alice)
    url = reverse("listening:rule_new", args=[bus_query.pk])
    data = {"min_count": "5", "threshold": "4", "baseline_weeks": "4", "active": "on"}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Choose at least one of the kinds of alert." in response.content.decode()
    assert 'value="5"' in response.content.decode()  # nothing typed is lost
    response = client.post(url, {**data, "kinds": ["emerging", "rise"]})
    assert response.status_code == 302
    assert AlertRule.objects.get().kinds == ["emerging", "rise"]


# --- the page --------------------------------------------------------------------------


def test_trends_panel_in_english_and_arabic(client_for, bob, busy_query):
    with time_machine.travel(NOW, tick=False):
        client = client_for(bob)  # signed in at that moment, so the session is fresh
        response = client.get(reverse("listening:detail", args=[busy_query.pk]))
        assert response.status_code == 200, response.get("Location")
        page = response.content.decode()
        assert 'id="trends-heading"' in page
        terms = page.split('id="trend-terms"')[1].split("</table>")[0]
        assert "<bdi>fares</bdi>" in terms and "<bdi>#fares</bdi>" in terms
        assert "commute" not in terms
        assert "Compared with the same hour in each of the previous 4 weeks." in page
        assert "No sustained rise." in page
        bob.language = "ar"
        bob.save(update_fields=["language"])
        page = client_for(bob).get(reverse("listening:detail", args=[busy_query.pk]))
        page = page.content.decode()
        assert 'dir="rtl"' in page
        assert "<bdi>fares</bdi>" in page
        assert 'id="trend-sentiment"' in page


def test_a_new_query_says_it_has_no_history_yet_and_counts_are_plural_aware(
    client_for, bob, bus_query
):
    Match.objects.create(query=bus_query, source="inbox", network="mastodon", remote_id="1",
                         text="bus late", matched_at=bus_query.created_at)
    page = client_for(bob).get(reverse("listening:detail", args=[bus_query.pk])).content
    page = page.decode()
    assert "has not been listening for a whole hour" in page
    assert ": 1 matching post." in page
    Match.objects.create(query=bus_query, source="inbox", network="mastodon", remote_id="2",
                         text="bus late", matched_at=bus_query.created_at)
    page = client_for(bob).get(reverse("listening:detail", args=[bus_query.pk])).content
    assert ": 2 matching posts." in page.decode()


# --- the demo --------------------------------------------------------------------------


def test_the_demo_burst_makes_fares_emerge_from_the_demo_traffic(
    government, alice, transport_account, inbound, django_capture_on_commit_callbacks
):
    """The demo query and rule, fed the sandbox residents' own messages through the
    inbox matching: three usual hours, then the `listening_spike` rumour burst."""
    from townsquare.listening.demo import listening_demo_load
    from townsquare.listening.services.matching import inbox_catch_up
    from townsquare.sandbox.messages import PLACES, TEMPLATES, TIMES

    start = NOW - dt.timedelta(hours=4)
    with time_machine.travel(start - dt.timedelta(minutes=1), tick=False):
        listening_demo_load()
    saved = SavedQuery.objects.get(name="Bus delays and fares")
    complaints = TEMPLATES["transport"]["complaint"]
    languages = ["en", "ar", "zh"]
    serial = 0

    def post(when, templates, count):
        nonlocal serial
        with time_machine.travel(when, tick=False):
            for n in range(count):
                language = languages[n % 3]
                text = templates[language][n % len(templates[language])].format(
                    place=PLACES[language][n % len(PLACES[language])], number=12 + n,
                    time=TIMES[language][0])
                serial += 1
                inbound(transport_account, f"s{serial}", f"@transport {text}")
        with time_machine.travel(when + dt.timedelta(minutes=1), tick=False):
            inbox_catch_up()

    for hour in range(4):
        post(start + hour * HOUR + dt.timedelta(minutes=10), complaints, 12)
    post(NOW - dt.timedelta(minutes=20), TEMPLATES["transport"]["rumour"], 40)
    assert Match.objects.filter(query=saved).count() == 88

    report = trend_report(saved, now=NOW)
    assert report.baseline == "hours"
    terms = {t.value for t in report.terms}
    assert "fares" in terms
    assert "late" not in terms  # the usual complaints
    with django_capture_on_commit_callbacks(execute=True):
        raised = trend_alerts_check(now=NOW)
    assert [e.kind for e in raised] == ["emerging"]
    assert "fares" in {t["value"] for t in raised[0].detail["terms"]}


def test_a_trend_alert_becomes_an_inbox_conversation_with_its_own_words(alice, bus_query):
    from townsquare.inbox.models import Message
    from townsquare.listening.services.handoff import alert_event_to_conversation

    rule = alert_rule_save(actor=alice, saved_query=bus_query, kinds=["emerging"])
    _burst(bus_query, count=6, prefix="h")
    Match.objects.filter(query=bus_query).update(matched_at=timezone.now() - HOUR / 2)
    event = AlertEvent.objects.create(
        rule=rule, kind="emerging", window_start=timezone.now().replace(minute=0), count=6,
        expected=0, detail={"terms": [{"kind": "hashtag", "value": "fares", "count": 6,
                                       "expected": 0.0}]})
    conversation = alert_event_to_conversation(actor=alice, event=event)
    text = Message.objects.get(conversation=conversation).text
    assert text.startswith("Emerging in “Late buses” in the last hour: #fares: 6, about 0.0")
    assert text.count("\n- @p") == 5  # examples from before the alert, not its period
