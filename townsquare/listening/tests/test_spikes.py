"""Seasonal spike detection on synthetic series."""

from __future__ import annotations

import random

from townsquare.listening.spikes import baseline, judge

HOURS_PER_WEEK = 168


def usual_week(rng: random.Random) -> list[int]:
    """Quiet nights, a Monday-to-Friday morning rush (Monday busiest), calm weekends."""
    week = []
    for hour in range(HOURS_PER_WEEK):
        day, clock = divmod(hour, 24)
        level = 2
        if day < 5 and 7 <= clock <= 10:
            level = 40 if day == 0 else 25
        elif 11 <= clock <= 20:
            level = 8
        week.append(max(0, level + rng.randint(-level // 4, level // 4)))
    return week


def history_for(weeks: list[list[int]], hour: int) -> list[int]:
    return [week[hour] for week in weeks]


def test_monday_morning_rise_is_not_a_spike():
    rng = random.Random(6)
    weeks = [usual_week(rng) for _ in range(4)]
    monday_9 = 9
    this_week = usual_week(rng)
    verdict = judge(this_week[monday_9], history_for(weeks, monday_9))
    assert this_week[monday_9] >= 30  # a big number by itself …
    assert not verdict.spike  # … but the usual one for Monday 09:00


def test_the_same_volume_at_night_is_a_spike():
    rng = random.Random(7)
    weeks = [usual_week(rng) for _ in range(4)]
    tuesday_3am = 24 + 3
    verdict = judge(40, history_for(weeks, tuesday_3am))
    assert verdict.spike
    assert verdict.expected <= 3


def test_every_usual_hour_of_a_normal_week_passes():
    rng = random.Random(8)
    weeks = [usual_week(rng) for _ in range(4)]
    this_week = usual_week(rng)
    alarms = [h for h in range(HOURS_PER_WEEK)
              if judge(this_week[h], history_for(weeks, h)).spike]
    assert alarms == []


def test_one_past_spike_does_not_hide_the_next():
    history = [3, 2, 60, 3]  # one earlier spike at this hour
    assert judge(45, history).spike


def test_minimum_volume_stops_tiny_spikes():
    assert not judge(6, [0, 0, 0, 0], min_count=10).spike
    assert judge(12, [0, 0, 0, 0], min_count=10).spike


def test_flat_history_does_not_make_every_extra_post_a_spike():
    expected, spread = baseline([20, 20, 20, 20])
    assert expected == 20
    assert spread >= 4  # Poisson floor, not 0
    assert not judge(26, [20, 20, 20, 20]).spike


def test_no_history_uses_the_minimum_volume():
    assert judge(15, []).spike
    assert not judge(5, []).spike
