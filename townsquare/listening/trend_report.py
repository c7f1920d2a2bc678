"""A query's trends now: emerging terms, a sustained rise and a sentiment shift, read
from its Match rows over bounded windows (see ``listening.trends`` for the tests).

- Emerging terms: the last hour against the same hour of the previous weeks (only weeks
  since the query existed, at least two), else of the previous days (at least two), else
  the previous hours (up to a day), like spike alerts. Terms are counted in Python
  because they sit in JSON lists that SQLite and PostgreSQL do not group alike; the rows
  read are only those of these few hours, at most ``MAX_TERM_ROWS``, in one query.
- Sustained rise: posts per local day, counted by the database (grouped by day in the
  organisation's time zone), over the last ``RISE_DAYS`` whole days since the query
  existed (today, still under way, would look like a fall).
- Sentiment shift: negative share of the last 24 hours against the 7 days before them
  (since the query existed), counted by the database in one aggregate.
"""

from __future__ import annotations

import bisect
import datetime as dt
import operator
from collections import Counter
from dataclasses import dataclass
from functools import reduce
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from townsquare.listening import trends
from townsquare.listening.models import SavedQuery
from townsquare.listening.selectors import matches_of

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)
BASELINE_WEEKS = 4
BASELINE_DAYS = 7
RECENT_HOURS = 24
MIN_SEASONAL_WINDOWS = 2
MAX_TERM_ROWS = 50_000
SHIFT_BASELINE_DAYS = 7
TERM_KINDS = ("keyword", "hashtag", "account", "link")


@dataclass(frozen=True)
class TermView:
    kind: str  # keyword / hashtag / account / link
    value: str
    count: int
    expected: float
    new: bool


@dataclass(frozen=True)
class TrendReport:
    now: dt.datetime
    baseline: str  # "weeks", "days", "hours" or "" (no earlier window yet)
    windows: int  # earlier windows in the terms' baseline
    terms: list[TermView]
    terms_truncated: bool
    rise: trends.Rise
    rise_first_day: dt.date | None
    rise_last_day: dt.date | None
    shift: trends.Shift

    @property
    def rise_first_week_end(self) -> dt.date | None:
        return self.rise_first_day + dt.timedelta(days=6) if self.rise_first_day else None

    @property
    def rise_percent(self) -> float | None:
        """Change from the first 7 days to the last 7, in percent (None from 0)."""
        first = self.rise.first_week
        return None if first == 0 else 100.0 * (self.rise.last_week - first) / first

    @property
    def rise_possible(self) -> bool:
        return self.rise.days >= trends.RISE_MIN_DAYS

    @property
    def shift_possible(self) -> bool:
        return min(self.shift.total, self.shift.baseline_total) >= trends.SHIFT_MIN_POSTS


def term_windows(
    created: dt.datetime, now: dt.datetime
) -> tuple[str, list[tuple[dt.datetime, dt.datetime]]]:
    """The earlier one-hour windows whose season matches the last hour's."""
    for name, step, most in (("weeks", WEEK, BASELINE_WEEKS), ("days", DAY, BASELINE_DAYS)):
        windows = []
        for back in range(1, most + 1):
            end = now - back * step
            if end - HOUR < created:
                break
            windows.append((end - HOUR, end))
        if len(windows) >= MIN_SEASONAL_WINDOWS:
            return name, windows
    windows = []
    for back in range(1, RECENT_HOURS + 1):
        end = now - back * HOUR
        if end - HOUR < created:
            break
        windows.append((end - HOUR, end))
    return ("hours" if windows else ""), windows


def _term_keys(row: tuple) -> list[str]:
    keywords, hashtags, mentions, urls, author = row
    keys = [f"keyword:{k}" for k in keywords or []]
    keys += [f"hashtag:{h}" for h in hashtags or []]
    accounts = {*(mentions or []), *([author.casefold().lstrip("@")] if author else [])}
    keys += [f"account:{a}" for a in accounts]
    keys += [f"link:{u}" for u in urls or []]
    # A post repeating a word counts once for it: terms count posts.
    return list(dict.fromkeys(keys))


def term_counts(
    query: SavedQuery, windows: list[tuple[dt.datetime, dt.datetime]]
) -> tuple[list[Counter[str]], bool]:
    """Posts per term in each window (given oldest or newest first, disjoint), in one
    query; also whether the row limit cut the count short."""
    if not windows:
        return [], False
    ordered = sorted(range(len(windows)), key=lambda i: windows[i][0])
    starts = [windows[i][0] for i in ordered]
    span = reduce(operator.or_, (Q(matched_at__gte=s, matched_at__lt=e) for s, e in windows))
    rows = list(
        matches_of(query).filter(span).order_by("-matched_at").values_list(
            "matched_at", "keywords", "hashtags", "mentions", "urls", "author_handle",
        )[: MAX_TERM_ROWS + 1]
    )
    truncated = len(rows) > MAX_TERM_ROWS
    counters: list[Counter[str]] = [Counter() for _ in windows]
    for matched_at, *fields in rows[:MAX_TERM_ROWS]:
        position = bisect.bisect_right(starts, matched_at) - 1
        if position < 0:
            continue
        index = ordered[position]
        if matched_at < windows[index][1]:
            counters[index].update(_term_keys(tuple(fields)))
    return counters, truncated


def daily_counts(
    query: SavedQuery, *, now: dt.datetime, time_zone: str, days: int = trends.RISE_DAYS
) -> tuple[list[int], dt.date | None]:
    """Posts per whole local day before today since the query existed (oldest first),
    and the first of those days."""
    tz = ZoneInfo(time_zone)
    today = now.astimezone(tz).date()
    first = today - dt.timedelta(days=days)
    created_day = query.created_at.astimezone(tz).date()
    if query.created_at.astimezone(tz).time() != dt.time():
        created_day += dt.timedelta(days=1)  # the day it was saved is not whole
    first = max(first, created_day)
    if first >= today:
        return [], None
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(today, dt.time(), tzinfo=tz)
    per_day = dict(
        matches_of(query, start=start, end=end)
        .annotate(day=TruncDate("matched_at", tzinfo=tz)).values("day")
        .annotate(n=Count("id")).values_list("day", "n")
    )
    span = (today - first).days
    return [per_day.get(first + dt.timedelta(days=i), 0) for i in range(span)], first


def negative_shares(query: SavedQuery, *, now: dt.datetime) -> trends.Shift:
    cut = now - DAY
    start = max(cut - dt.timedelta(days=SHIFT_BASELINE_DAYS), query.created_at)
    rated = Q(sentiment__in=["negative", "neutral", "positive"])
    negative = Q(sentiment="negative")
    recent, earlier = Q(matched_at__gte=cut), Q(matched_at__lt=cut)
    figures = matches_of(query, start=min(start, cut), end=now).aggregate(
        negative=Count("id", filter=recent & negative), total=Count("id", filter=recent & rated),
        base_negative=Count("id", filter=earlier & negative),
        base_total=Count("id", filter=earlier & rated),
    )
    return trends.sentiment_shift(figures["negative"], figures["total"],
                                  figures["base_negative"], figures["base_total"])


def trend_report(
    query: SavedQuery, *, now: dt.datetime, parts: frozenset[str] = frozenset(
        {"emerging", "rise", "sentiment"}),
) -> TrendReport:
    """The parts asked for (the others are empty verdicts), as of ``now``."""
    baseline, windows = "", list[tuple[dt.datetime, dt.datetime]]()
    terms: list[TermView] = []
    truncated = False
    if "emerging" in parts:
        baseline, windows = term_windows(query.created_at, now)
        if windows:
            counters, truncated = term_counts(query, [(now - HOUR, now), *windows])
            for found in trends.emerging_terms(counters[0], counters[1:]):
                kind, _sep, value = found.term.partition(":")
                terms.append(TermView(kind=kind, value=value, count=found.count,
                                      expected=found.expected, new=found.new))
    rise, first_day, last_day = trends.sustained_rise([]), None, None
    if "rise" in parts:
        daily, first_day = daily_counts(query, now=now,
                                        time_zone=query.organisation.time_zone)
        rise = trends.sustained_rise(daily)
        last_day = first_day + dt.timedelta(days=len(daily) - 1) if first_day else None
    shift = trends.sentiment_shift(0, 0, 0, 0)
    if "sentiment" in parts:
        shift = negative_shares(query, now=now)
    return TrendReport(now=now, baseline=baseline, windows=len(windows), terms=terms,
                       terms_truncated=truncated, rise=rise, rise_first_day=first_day,
                       rise_last_day=last_day, shift=shift)
