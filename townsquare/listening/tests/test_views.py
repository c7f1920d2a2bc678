"""Console pages: list, create and edit with inline errors, the stream, figures, and the
agency boundary."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from townsquare.listening.models import AlertEvent, AlertRule, Match, SavedQuery

pytestmark = pytest.mark.django_db


def add_match(query, remote_id, text, **fields):
    return Match.objects.create(query=query, source="inbox", network="mastodon",
                                remote_id=remote_id, text=text, matched_at=timezone.now(),
                                **fields)


def test_create_a_query(client_for, alice, government):
    client = client_for(alice)
    response = client.get(reverse("listening:new"))
    assert response.status_code == 200
    response = client.post(reverse("listening:new"), {
        "organisation": government["transport"].pk, "name": "Fares",
        "query": '"bus fares" OR #fares', "languages": ["en", "ar"], "active": "on",
    })
    saved = SavedQuery.objects.get(name="Fares")
    assert response.status_code == 302
    assert response["Location"] == reverse("listening:detail", args=[saved.pk])
    assert saved.languages == ["ar", "en"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"bus fares', "quotation mark is never closed"),
        ("(bus OR train", "Parentheses do not pair up"),
        ("bus AND", "need a term on each side"),
        ("", "This field is required"),
        ("NOT bus", "at least one term to look for"),
    ],
)
def test_malformed_queries_are_shown_inline_and_the_input_kept(
    client_for, alice, government, query, message
):
    response = client_for(alice).post(reverse("listening:new"), {
        "organisation": government["transport"].pk, "name": "Broken", "query": query,
    })
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "usa-error-message" in page
    assert 'value="Broken"' in page  # nothing typed is lost
    assert not SavedQuery.objects.exists()


def test_error_position_is_shown(client_for, alice, government):
    response = client_for(alice).post(reverse("listening:new"), {
        "organisation": government["transport"].pk, "name": "Broken",
        "query": "bus OR OR train",
    })
    assert "At character 8" in response.content.decode()


def test_duplicate_name_is_an_inline_error(client_for, alice, government, bus_query):
    response = client_for(alice).post(reverse("listening:new"), {
        "organisation": government["transport"].pk, "name": bus_query.name, "query": "bus",
    })
    assert response.status_code == 400
    assert "already has a query with this name" in response.content.decode()


def test_edit_a_query(client_for, alice, bus_query):
    response = client_for(alice).post(reverse("listening:edit", args=[bus_query.pk]), {
        "organisation": bus_query.organisation_id, "name": "Late buses", "query": "bus late",
    })
    assert response.status_code == 302
    bus_query.refresh_from_db()
    assert (bus_query.query, bus_query.active) == ("bus late", False)


def test_responder_sees_but_cannot_edit(client_for, bob, bus_query):
    client = client_for(bob)
    assert client.get(reverse("listening:detail", args=[bus_query.pk])).status_code == 200
    assert client.get(reverse("listening:edit", args=[bus_query.pk])).status_code == 403
    assert client.get(reverse("listening:new")).status_code == 403


def test_carol_cannot_see_transport_queries(client_for, carol, bus_query):
    client = client_for(carol)
    rule = AlertRule.objects.create(query=bus_query)
    event = AlertEvent.objects.create(rule=rule, window_start=timezone.now(), count=3,
                                      expected=1)
    for name, args in [("detail", [bus_query.pk]), ("edit", [bus_query.pk]),
                       ("stream", [bus_query.pk]), ("rule_new", [bus_query.pk]),
                       ("rule_edit", [bus_query.pk, rule.pk])]:
        assert client.get(reverse(f"listening:{name}", args=args)).status_code == 404, name
    response = client.post(reverse("listening:alert_note", args=[bus_query.pk, event.pk]),
                           {"note": "x"})
    assert response.status_code == 404
    assert bus_query.name not in client.get(reverse("listening:list")).content.decode()


def test_the_office_sees_every_agencys_queries(client_for, dana, bus_query):
    page = client_for(dana).get(reverse("listening:list")).content.decode()
    assert bus_query.name in page


def test_stream_shows_the_newest_matches(client_for, bob, bus_query):
    add_match(bus_query, "1", "bus late at the market", sentiment="negative", topic="transport")
    add_match(bus_query, "2", "الحافلة متأخرة", language="ar")
    response = client_for(bob).get(reverse("listening:stream", args=[bus_query.pk]))
    page = response.content.decode()
    assert page.index("الحافلة") < page.index("bus late")  # newest first
    assert "Negative" in page
    assert "<html" not in page  # a fragment for htmx


def test_detail_page_has_figures_and_tables(client_for, alice, bus_query):
    add_match(bus_query, "1", "bus late #buses", sentiment="negative", topic="transport",
              keywords=["bus", "late"], hashtags=["buses"], mentions=["metro"],
              urls=["https://example.org/x"], author_handle="resident")
    page = client_for(alice).get(reverse("listening:detail", args=[bus_query.pk])).content.decode()
    for text in ("Live stream", "Top hashtags", "#buses", "@metro", "https://example.org/x",
                 "Compared with the earlier period", 'hx-trigger="every 15s"'):
        assert text in page, text
    for chart in ("chart-volume", "chart-sentiment", "chart-topics"):
        assert f'id="{chart}"' in page and f'aria-labelledby="{chart}-title' in page


def test_compare_periods_validation(client_for, alice, bus_query):
    url = reverse("listening:detail", args=[bus_query.pk])
    page = client_for(alice).get(url, {"start": "2026-11-10", "end": "2026-11-01"})
    assert "The end must not be before the start" in page.content.decode()
    page = client_for(alice).get(url, {"start": "2026-11-01"})
    assert "Give both dates" in page.content.decode()
    page = client_for(alice).get(url, {"start": "not a date", "end": "2026-11-01"})
    assert page.status_code == 200


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("zh-hans", "ltr")])
def test_pages_follow_the_staff_members_language(
    client_for, alice, bus_query, language, direction
):
    alice.language = language
    alice.save(update_fields=["language"])
    client = client_for(alice)
    add_match(bus_query, "1", "الحافلة متأخرة", sentiment="negative", topic="transport")
    for url in (reverse("listening:list"), reverse("listening:detail", args=[bus_query.pk]),
                reverse("listening:new")):
        page = client.get(url).content.decode()
        assert f'dir="{direction}"' in page and f'lang="{language}"' in page


def test_alert_rule_form_and_note(client_for, alice, dana, bus_query):
    client = client_for(alice)
    response = client.post(reverse("listening:rule_new", args=[bus_query.pk]),
                            {"min_count": "0", "threshold": "4", "baseline_weeks": "4"})
    assert response.status_code == 400
    response = client.post(reverse("listening:rule_new", args=[bus_query.pk]), {
        "min_count": "5", "threshold": "4", "baseline_weeks": "4", "active": "on",
        "webhook_url": "https://hooks.example.org/x", "webhook_secret": "short",
        "kinds": ["spike"],
    })
    assert "at least 16 characters" in response.content.decode()
    response = client.post(reverse("listening:rule_new", args=[bus_query.pk]), {
        "min_count": "5", "threshold": "4", "baseline_weeks": "4", "active": "on",
        "notify_console": "on", "kinds": ["spike"],
    })
    assert response.status_code == 302
    rule = AlertRule.objects.get()
    event = AlertEvent.objects.create(rule=rule, window_start=timezone.now(), count=9,
                                      expected=1)
    response = client.post(reverse("listening:alert_note", args=[bus_query.pk, event.pk]),
                           {"note": "Please check the rumour"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.note == "Please check the rumour"
