"""The pure business-time functions behind SLA clocks."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from townsquare.inbox.sla import (
    Calendar,
    NoBusinessTime,
    add_business_seconds,
    business_seconds_between,
)

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = (dt.time(9), dt.time(17))
WEEKDAYS = Calendar(time_zone="Europe/Berlin", hours=(NINE_TO_FIVE,) * 5 + (None, None))
HOUR = 3600


def local(*args):
    return dt.datetime(*args, tzinfo=BERLIN)


def test_within_one_day():
    due = add_business_seconds(local(2026, 3, 2, 10), 2 * HOUR, WEEKDAYS)  # a Monday
    assert due == local(2026, 3, 2, 12)
    assert due.tzinfo == dt.UTC


def test_carries_overnight_to_next_morning():
    due = add_business_seconds(local(2026, 3, 2, 16), 2 * HOUR, WEEKDAYS)
    assert due == local(2026, 3, 3, 10)


def test_arriving_outside_hours_starts_at_opening():
    assert add_business_seconds(local(2026, 3, 2, 6), HOUR, WEEKDAYS) == local(2026, 3, 2, 10)
    assert add_business_seconds(local(2026, 3, 2, 20), HOUR, WEEKDAYS) == local(2026, 3, 3, 10)


def test_weekend_is_skipped():
    friday_afternoon = local(2026, 3, 6, 16)
    assert add_business_seconds(friday_afternoon, 2 * HOUR, WEEKDAYS) == local(2026, 3, 9, 10)
    saturday = local(2026, 3, 7, 12)
    assert add_business_seconds(saturday, HOUR, WEEKDAYS) == local(2026, 3, 9, 10)


def test_holiday_is_skipped():
    calendar = Calendar(time_zone="Europe/Berlin", hours=WEEKDAYS.hours,
                        holidays=frozenset({dt.date(2026, 3, 3)}))
    due = add_business_seconds(local(2026, 3, 2, 16), 2 * HOUR, calendar)
    assert due == local(2026, 3, 4, 10)


def test_dst_change_counts_real_hours():
    # Berlin moves from +01:00 to +02:00 on 29 March 2026; 9–17 is still 8 real hours.
    calendar = Calendar(time_zone="Europe/Berlin", hours=(NINE_TO_FIVE,) * 7)
    saturday, monday = local(2026, 3, 28, 9), local(2026, 3, 30, 9)
    assert business_seconds_between(saturday, monday, calendar) == 16 * HOUR
    due = add_business_seconds(local(2026, 3, 28, 16), 2 * HOUR, calendar)
    assert due == local(2026, 3, 29, 10)
    assert due.astimezone(dt.UTC).hour == 8  # 10:00 in summer time


def test_around_the_clock_across_dst():
    calendar = Calendar(time_zone="Europe/Berlin")
    start = local(2026, 3, 29, 0)
    due = add_business_seconds(start, 4 * HOUR, calendar)
    assert due == local(2026, 3, 29, 5)  # the 02:00–03:00 hour does not exist
    assert business_seconds_between(start, due, calendar) == 4 * HOUR


def test_overnight_window_and_holiday_on_its_start_day():
    nights = Calendar(time_zone="Europe/Berlin", hours=((dt.time(22), dt.time(6)),) * 7)
    assert add_business_seconds(local(2026, 3, 3, 12), HOUR, nights) == local(2026, 3, 3, 23)
    assert add_business_seconds(local(2026, 3, 3, 5), 2 * HOUR, nights) == local(2026, 3, 3, 23)
    off = Calendar(time_zone="Europe/Berlin", hours=nights.hours,
                   holidays=frozenset({dt.date(2026, 3, 3)}))
    assert add_business_seconds(local(2026, 3, 3, 12), HOUR, off) == local(2026, 3, 4, 23)


def test_between_ignores_closed_time_and_reversed_ranges():
    assert business_seconds_between(local(2026, 3, 6, 16), local(2026, 3, 9, 10),
                                    WEEKDAYS) == 2 * HOUR
    assert business_seconds_between(local(2026, 3, 9, 10), local(2026, 3, 6, 16), WEEKDAYS) == 0


def test_calendar_of_only_holidays_gives_up():
    one_day = (None,) * 6 + (NINE_TO_FIVE,)
    every_sunday = frozenset(dt.date(2026, 3, 1) + dt.timedelta(weeks=w) for w in range(200))
    calendar = Calendar(time_zone="UTC", hours=one_day, holidays=every_sunday)
    with pytest.raises(NoBusinessTime):
        add_business_seconds(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), HOUR, calendar)


@settings(max_examples=60, deadline=None)
@given(
    # Hypothesis takes naive bounds and attaches the time zone itself.
    start=st.datetimes(min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001
                       max_value=dt.datetime(2027, 12, 31),  # noqa: DTZ001
                       timezones=st.just(dt.UTC)),
    seconds=st.integers(min_value=0, max_value=40 * 8 * HOUR),
)
def test_adding_then_measuring_round_trips(start, seconds):
    due = add_business_seconds(start, seconds, WEEKDAYS)
    assert due >= start
    assert business_seconds_between(start, due, WEEKDAYS) == seconds
