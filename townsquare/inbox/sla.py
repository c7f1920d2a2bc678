"""Business-time arithmetic for SLA clocks: pure functions, no database.

A calendar is an agency's time zone, its opening hours per weekday and its public
holidays. Windows are built from local dates and converted to UTC before any arithmetic,
because subtracting two aware datetimes of the same zone compares wall-clock times and
would miscount across a DST change. An overnight window (end at or before start, e.g.
22:00–06:00) belongs to the day it starts on; a holiday removes the windows starting on it.
A calendar without any hours runs around the clock (holidays then don't apply).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

Hours = tuple[dt.time, dt.time] | None
# Far enough for any real target; stops a calendar of only holidays from looping forever.
MAX_DAYS = 3 * 366


class NoBusinessTime(ValueError):
    """The calendar has no business hours left within MAX_DAYS."""


@dataclass(frozen=True)
class Calendar:
    time_zone: str = "UTC"
    # Monday first, like date.weekday().
    hours: tuple[Hours, ...] = (None,) * 7
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    @property
    def around_the_clock(self) -> bool:
        return all(h is None for h in self.hours)


def _windows(calendar: Calendar, start: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Business windows in UTC, in order, from the one that may contain ``start`` on."""
    zone = ZoneInfo(calendar.time_zone)
    day = start.astimezone(zone).date() - dt.timedelta(days=1)  # yesterday's overnight window
    for _ in range(MAX_DAYS):
        hours = calendar.hours[day.weekday()]
        if hours is not None and day not in calendar.holidays:
            opens, closes = hours
            end_day = day + dt.timedelta(days=1) if closes <= opens else day
            begin = dt.datetime.combine(day, opens, zone).astimezone(dt.UTC)
            end = dt.datetime.combine(end_day, closes, zone).astimezone(dt.UTC)
            if end > begin:
                yield begin, end
        day += dt.timedelta(days=1)
    raise NoBusinessTime("no business hours within three years")


def business_seconds_between(start: dt.datetime, end: dt.datetime, calendar: Calendar) -> int:
    """Business seconds from ``start`` to ``end`` (0 when end is not after start)."""
    if end <= start:
        return 0
    if calendar.around_the_clock:
        return round((end - start).total_seconds())
    # Exact timedelta sums (no float drift); rounded, as stored clocks are whole seconds.
    total = dt.timedelta(0)
    try:
        for begin, finish in _windows(calendar, start):
            if begin >= end:
                break
            total += max(min(finish, end) - max(begin, start), dt.timedelta(0))
    except NoBusinessTime:
        pass
    return round(total.total_seconds())


def add_business_seconds(start: dt.datetime, seconds: int, calendar: Calendar) -> dt.datetime:
    """The moment ``seconds`` of business time after ``start`` (UTC).

    Starting outside hours, the clock starts when the next window opens; a deadline
    falling exactly at closing time stays there rather than moving to the next opening.
    """
    start = start.astimezone(dt.UTC)
    if calendar.around_the_clock:
        return start + dt.timedelta(seconds=max(seconds, 0))
    remaining = dt.timedelta(seconds=max(seconds, 0))
    for begin, finish in _windows(calendar, start):
        if finish <= start:
            continue
        counting_from = max(begin, start)
        available = finish - counting_from
        if remaining <= available:
            return counting_from + remaining
        remaining -= available
    raise NoBusinessTime("no business hours within three years")  # pragma: no cover
