"""Trend detection (pure Python): emerging terms, sustained rises, sentiment shifts, and
the edge cases that must never trigger (or crash)."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from townsquare.listening.trends import (
    emerging_terms,
    kendall_tau,
    sentiment_shift,
    sustained_rise,
    theil_sen,
    two_proportion_z,
)

counts = st.integers(min_value=0, max_value=10**9)
terms = st.dictionaries(st.text(min_size=1, max_size=8), counts, max_size=8)


# --- emerging terms --------------------------------------------------------------------


def test_a_new_term_in_a_burst_emerges_and_usual_terms_do_not():
    baseline = [{"bus": 10, "late": 9}, {"bus": 12, "late": 11}, {"bus": 9, "late": 10}]
    current = {"bus": 14, "late": 10, "fares": 40, "doubling": 38, "stray": 3}
    found = emerging_terms(current, baseline)
    assert [rise.term for rise in found] == ["fares", "doubling"]
    fares = found[0]
    assert fares.count == 40
    assert fares.expected == 0
    assert fares.new
    assert fares.score > 10


def test_a_known_term_that_rises_well_above_its_baseline_emerges_but_not_when_bursty():
    steady = [{"fares": 2}, {"fares": 3}, {"fares": 2}, {"fares": 2}]
    assert [r.term for r in emerging_terms({"fares": 30}, steady)] == ["fares"]
    rise = emerging_terms({"fares": 30}, steady)[0]
    assert not rise.new
    assert rise.expected == 2.25
    # The same count against a term that is often that busy is not news.
    bursty = [{"fares": 2}, {"fares": 30}, {"fares": 1}, {"fares": 28}, {"fares": 25}]
    assert emerging_terms({"fares": 30}, bursty) == []


def test_minimum_count_and_ratio_hold_back_small_or_modest_rises():
    assert emerging_terms({"rare": 4}, [{}, {}]) == []  # under the minimum count
    assert emerging_terms({"rare": 5}, [{}, {}])[0].term == "rare"
    # Twice the usual count is a rise, not three times: not emerging.
    assert emerging_terms({"bus": 200}, [{"bus": 100}] * 4) == []


def test_without_baseline_windows_nothing_emerges():
    assert emerging_terms({"fares": 1000}, []) == []


def test_results_are_limited_and_ordered_by_strength():
    current = {f"t{n}": 10 + n for n in range(30)}
    found = emerging_terms(current, [{}], limit=5)
    assert [r.term for r in found] == ["t29", "t28", "t27", "t26", "t25"]


@given(st.lists(terms, max_size=6), st.lists(terms, max_size=6))
def test_emerging_terms_never_fails_on_any_counts(currents, baseline):
    current = currents[0] if currents else {}
    for rise in emerging_terms(current, baseline):
        assert rise.count >= 5
        assert math.isfinite(rise.score)
        assert rise.expected >= 0


@given(terms, st.integers(min_value=1, max_value=8))
def test_a_flat_seasonal_baseline_never_makes_a_term_emerge(current, windows):
    # The same hour of every earlier week looked exactly like this one.
    assert emerging_terms(current, [dict(current)] * windows) == []


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=8))
def test_all_zeros_and_one_post_never_emerge(history_zero, windows):
    assert emerging_terms({"a": 0}, [{"a": 0}] * windows) == []
    assert emerging_terms({"a": 1}, [{}] * windows) == []
    assert emerging_terms({}, [{"a": history_zero}] * windows) == []


def test_huge_counts_are_handled():
    found = emerging_terms({"x": 10**12}, [{"x": 10**9}] * 4)
    assert found[0].term == "x"
    assert math.isfinite(found[0].score)


# --- sustained rise --------------------------------------------------------------------


def test_a_steady_rise_over_weeks_is_sustained():
    daily = [10 + n for n in range(28)]  # 10 a day rising to 37
    rise = sustained_rise(daily)
    assert rise.rising
    assert rise.first_week == sum(range(10, 17))
    assert rise.last_week == sum(range(31, 38))
    assert math.isclose(rise.slope, 7.0)
    assert rise.tau == 1.0


def test_one_day_jump_is_a_spike_not_a_rise():
    daily = [20] * 27 + [400]
    rise = sustained_rise(daily)
    assert not rise.rising
    assert rise.tau < 0.6


def test_short_series_and_small_volumes_never_rise():
    assert not sustained_rise([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).rising  # under two weeks
    assert not sustained_rise([0] * 14 + [1] * 14).rising  # 7 a week: under the minimum
    assert not sustained_rise([]).rising
    assert not sustained_rise([5]).rising


@given(st.lists(st.integers(min_value=0, max_value=10**7), min_size=7, max_size=7),
       st.integers(min_value=2, max_value=5), st.integers(min_value=0, max_value=6))
def test_a_weekly_pattern_repeated_never_rises(week, weeks, offset):
    # A Monday rise that happens every Monday, whatever day the series starts on.
    daily = (week * (weeks + 1))[offset:offset + 7 * weeks]
    rise = sustained_rise(daily)
    assert not rise.rising
    assert rise.slope == 0


@given(st.lists(counts, max_size=40))
def test_sustained_rise_never_fails(daily):
    rise = sustained_rise(daily)
    assert math.isfinite(rise.slope)
    assert -1.0 <= rise.tau <= 1.0


def test_poisson_noise_around_a_flat_weekly_pattern_rarely_rises():
    rng = random.Random(6)
    pattern = [40, 35, 30, 30, 28, 12, 10]  # busy Mondays, quiet weekends
    false_alarms = 0
    for _series in range(200):
        daily = [_poisson(rng, pattern[d % 7]) for d in range(28)]
        false_alarms += sustained_rise(daily).rising
    assert false_alarms <= 2


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small means here.
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def test_theil_sen_ignores_one_outlier_and_tau_orders():
    slope, intercept = theil_sen([1, 2, 3, 100, 5, 6])
    assert slope == 1.0
    assert intercept == 1.0
    assert kendall_tau([1, 2, 3]) == 1.0
    assert kendall_tau([3, 2, 1]) == -1.0
    assert kendall_tau([2, 2, 2]) == 0.0
    assert theil_sen([]) == (0.0, 0.0)


# --- sentiment shift -------------------------------------------------------------------


def test_a_clear_rise_of_negative_posts_is_a_shift():
    shift = sentiment_shift(60, 100, 200, 1000)
    assert shift.shifted
    assert shift.share == 0.6
    assert shift.baseline_share == 0.2
    assert shift.score > 3


def test_small_samples_and_small_differences_are_not_shifts():
    assert not sentiment_shift(4, 4, 10, 100).shifted  # only 4 posts now
    assert not sentiment_shift(30, 40, 5, 10).shifted  # baseline too small
    assert not sentiment_shift(2500, 10000, 2300, 10000).shifted  # 2 points: not enough
    assert not sentiment_shift(20, 100, 200, 1000).shifted  # the same share


@given(counts, counts, counts, counts)
def test_sentiment_shift_never_fails(negative, total, base_negative, base_total):
    shift = sentiment_shift(negative, total, base_negative, base_total)
    assert math.isfinite(shift.score)
    assert 0.0 <= shift.share <= 1.0
    assert 0.0 <= shift.baseline_share <= 1.0


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=10**6))
@settings(max_examples=50)
def test_the_same_share_never_shifts(negative, total):
    negative = min(negative, total)
    assert not sentiment_shift(negative, total, negative * 3, total * 3).shifted


def test_two_proportion_z_edge_cases():
    assert two_proportion_z(0, 0, 0, 0) == 0.0
    assert two_proportion_z(10, 10, 10, 10) == 0.0  # all negative both times
    assert two_proportion_z(0, 10, 0, 10) == 0.0
    assert two_proportion_z(10, 10, 0, 10) > 4
