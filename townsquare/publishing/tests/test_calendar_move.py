"""Drag to reschedule: the endpoint the calendar script posts to (the drag itself is JS)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from townsquare.publishing.models import PostState

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def scheduled(approved_post, client_for, erin, government):
    government["transport"].time_zone = "Europe/London"
    government["transport"].save()
    post = approved_post("Moving post")
    with time_machine.travel(NOW, tick=False):
        client_for(erin).post(f"/console/publishing/{post.pk}/schedule/",
                              {"date": "2026-03-25", "time": "01:30"})
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED
    return post


def _move(client, post, date):
    with time_machine.travel(NOW, tick=False):
        return client.post(f"/console/publishing/calendar/move/{post.pk}/", {"date": date})


def test_move_keeps_the_local_time_across_a_dst_change(client_for, erin, scheduled):
    response = _move(client_for(erin), scheduled, "2026-04-02")
    assert response.status_code == 200 and "2026-04-02 01:30" in response.json()["message"]
    scheduled.refresh_from_db()
    # 01:30 in London is 01:30 UTC before the change and 00:30 UTC after it.
    assert scheduled.scheduled_date == dt.date(2026, 4, 2)
    assert scheduled.scheduled_at == dt.datetime(2026, 4, 2, 0, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(("date", "expected"), [
    ("2026-03-29", "does not exist in Europe/London"),  # 01:30 is skipped that night
    ("2026-03-01", "in the past"),
    ("not-a-day", "Choose a valid day"),
    ("", "Choose a valid day"),
])
def test_bad_days_are_refused_with_a_message(client_for, erin, scheduled, date, expected):
    before = scheduled.scheduled_at
    response = _move(client_for(erin), scheduled, date)
    assert response.status_code == 400 and expected in response.json()["error"]
    scheduled.refresh_from_db()
    assert scheduled.scheduled_at == before


def test_who_may_move(client_for, bob, carol, scheduled):
    # Bob sees Transport's posts but does not write them; Carol does not even see them.
    assert _move(client_for(bob), scheduled, "2026-03-26").status_code == 403
    assert _move(client_for(carol), scheduled, "2026-03-26").status_code == 404
    assert client_for(carol).get(
        f"/console/publishing/calendar/move/{scheduled.pk}/").status_code in (404, 405)


def test_move_needs_the_csrf_token(erin, scheduled):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(erin)
    assert _move(strict, scheduled, "2026-03-26").status_code == 403


def test_unscheduled_post_cannot_be_dragged(client_for, erin, approved_post):
    post = approved_post("No time yet")
    response = _move(client_for(erin), post, "2026-03-26")
    assert response.status_code == 400 and "no time yet" in response.json()["error"]


def test_month_view_marks_movable_posts_for_the_script(client_for, erin, bob, scheduled):
    with time_machine.travel(NOW, tick=False):
        page = client_for(erin).get(
            "/console/publishing/calendar/?view=month&start=2026-03-01").content.decode()
        seen_by_bob = client_for(bob).get(
            "/console/publishing/calendar/?view=month&start=2026-03-01").content.decode()
    assert f'data-move-url="/console/publishing/calendar/move/{scheduled.pk}/"' in page
    assert 'data-drop-date="2026-03-26"' in page and "townsquare/publishing.js" in page
    assert "Moving post" in seen_by_bob and "data-move-url" not in seen_by_bob
