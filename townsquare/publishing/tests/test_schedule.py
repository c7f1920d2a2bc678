"""Scheduling in the organisation's time zone, across real daylight-saving changes."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from townsquare.publishing.models import PostState
from townsquare.publishing.schedule import ScheduleError, resolve_local_time
from townsquare.publishing.services.workflow import post_schedule

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def resolve(date, time, zone, fold=None, now=NOW):
    return resolve_local_time(date=date, time=time, time_zone=zone, fold=fold, now=now)


def test_ordinary_time_is_stored_as_utc():
    resolved = resolve(dt.date(2026, 7, 1), dt.time(9, 0), "Europe/London")
    assert resolved.utc == dt.datetime(2026, 7, 1, 8, 0, tzinfo=dt.UTC)  # BST = UTC+1
    winter = resolve(dt.date(2026, 12, 1), dt.time(9, 0), "Europe/London")
    assert winter.utc == dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def test_spring_forward_gap_london_offers_the_real_times_either_side():
    # 2026-03-29: at 01:00 GMT the clocks go to 02:00 BST; 01:30 never happens.
    with pytest.raises(ScheduleError) as caught:
        resolve(dt.date(2026, 3, 29), dt.time(1, 30), "Europe/London")
    error = caught.value
    assert error.code == "gap"
    assert [o.local.strftime("%H:%M %z") for o in error.options] == ["00:30 +0000", "02:30 +0100"]
    assert "does not exist" in str(error) and "00:30" in str(error) and "02:30" in str(error)
    # Choosing an offered time works.
    chosen = error.options[1]
    ok = resolve(chosen.local.date(), chosen.local.time(), "Europe/London", chosen.fold)
    assert ok.utc == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)


def test_spring_forward_gap_new_york():
    with pytest.raises(ScheduleError) as caught:
        resolve(dt.date(2026, 3, 8), dt.time(2, 15), "America/New_York")
    assert caught.value.code == "gap"
    assert [o.local.strftime("%H:%M") for o in caught.value.options] == ["01:15", "03:15"]


def test_fall_back_overlap_needs_a_choice_then_each_fold_is_a_different_instant():
    date, time = dt.date(2026, 10, 25), dt.time(1, 30)  # London: 01:30 happens twice
    with pytest.raises(ScheduleError) as caught:
        resolve(date, time, "Europe/London")
    assert caught.value.code == "ambiguous"
    assert [o.fold for o in caught.value.options] == [0, 1]
    first = resolve(date, time, "Europe/London", fold=0)
    second = resolve(date, time, "Europe/London", fold=1)
    assert first.utc == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)
    assert second.utc == dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)
    ny = resolve(dt.date(2026, 11, 1), dt.time(1, 30), "America/New_York", fold=1)
    assert ny.utc == dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)  # EST, UTC-5


@pytest.mark.parametrize(("zone", "offset"), [("Asia/Dubai", 4), ("Asia/Shanghai", 8)])
def test_zones_without_daylight_saving_have_no_gap_or_overlap(zone, offset):
    for date in (dt.date(2026, 3, 29), dt.date(2026, 10, 25), dt.date(2026, 3, 8)):
        for hour in range(24):
            resolved = resolve(date, dt.time(hour, 30), zone)
            assert resolved.utc.hour == (hour - offset) % 24


def test_past_times_are_refused_but_small_clock_skew_is_allowed():
    now = dt.datetime(2026, 6, 1, 8, 0, 30, tzinfo=dt.UTC)  # 12:00:30 in Dubai
    ok = resolve(dt.date(2026, 6, 1), dt.time(12, 0), "Asia/Dubai", now=now)
    assert ok.utc == dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
    with pytest.raises(ScheduleError) as caught:
        resolve(dt.date(2026, 6, 1), dt.time(11, 58), "Asia/Dubai", now=now)
    assert caught.value.code == "past" and "in the past" in str(caught.value)


def test_unknown_zone_is_a_clear_error():
    with pytest.raises(ScheduleError) as caught:
        resolve(dt.date(2026, 6, 1), dt.time(9, 0), "Mars/Olympus")
    assert caught.value.code == "zone"


@pytest.mark.django_db
def test_schedule_service_uses_the_organisations_zone_across_dst(approved_post, erin, government):
    transport = government["transport"]
    transport.time_zone = "Europe/London"
    transport.save()
    post = approved_post()
    with time_machine.travel(dt.datetime(2026, 3, 28, 12, 0, tzinfo=dt.UTC), tick=False):
        with pytest.raises(ScheduleError):
            post_schedule(actor=erin, post=post, date=dt.date(2026, 3, 29), time=dt.time(1, 30))
        post.refresh_from_db()
        assert post.state == PostState.APPROVED and post.scheduled_at is None
        post_schedule(actor=erin, post=post, date=dt.date(2026, 3, 29), time=dt.time(9, 0))
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED
    assert post.scheduled_at == dt.datetime(2026, 3, 29, 8, 0, tzinfo=dt.UTC)
    assert (post.scheduled_time_zone, post.scheduled_time) == ("Europe/London", dt.time(9, 0))
    with time_machine.travel(dt.datetime(2026, 10, 24, 12, 0, tzinfo=dt.UTC), tick=False):
        post_schedule(
            actor=erin, post=post, date=dt.date(2026, 10, 25), time=dt.time(1, 30), fold=1
        )
    post.refresh_from_db()
    assert post.scheduled_at == dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)
    assert post.scheduled_fold == 1


@pytest.mark.django_db
def test_bob_the_responder_cannot_schedule(approved_post, bob):
    from django.core.exceptions import PermissionDenied

    post = approved_post()
    with pytest.raises(PermissionDenied):
        post_schedule(actor=bob, post=post, date=dt.date(2030, 1, 1), time=dt.time(9, 0))


@pytest.mark.django_db
def test_a_published_post_cannot_be_rescheduled(approved_post, erin):
    post = approved_post()
    post.state = PostState.PUBLISHED
    post.save()
    with pytest.raises(ValidationError):
        post_schedule(actor=erin, post=post, date=dt.date(2030, 1, 1), time=dt.time(9, 0))
