"""Figures of one query over a period: volume, sentiment and topics per day, top terms,
hashtags, accounts and links, and the comparison of two periods.

Counted in Python over the period's rows (at most ``MAX_ROWS``, newest first), because
the list fields are JSON and neither database groups inside JSON the same way.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from townsquare.listening.models import SavedQuery
from townsquare.listening.selectors import matches_of

MAX_ROWS = 50_000
TOP = 10
SENTIMENTS = ("negative", "neutral", "positive")


@dataclass
class DayPoint:
    day: dt.date
    count: int = 0
    sentiment: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SENTIMENTS, 0))
    topics: Counter[str] = field(default_factory=Counter)


@dataclass
class PeriodStats:
    start: dt.datetime
    end: dt.datetime
    total: int
    days: list[DayPoint]
    sentiment: dict[str, int]
    topics: list[tuple[str, int]]
    terms: list[tuple[str, int]]
    hashtags: list[tuple[str, int]]
    accounts: list[tuple[str, int]]
    links: list[tuple[str, int]]
    truncated: bool

    @property
    def mean_per_day(self) -> float:
        return self.total / max(len(self.days), 1)


def period_stats(
    query: SavedQuery, *, start: dt.datetime, end: dt.datetime, time_zone: str
) -> PeriodStats:
    tz = ZoneInfo(time_zone)
    first, last = start.astimezone(tz).date(), (end - dt.timedelta(microseconds=1)).astimezone(
        tz).date()
    days = {first + dt.timedelta(days=i): DayPoint(first + dt.timedelta(days=i))
            for i in range((last - first).days + 1)}
    rows = matches_of(query, start=start, end=end).order_by("-matched_at").values_list(
        "matched_at", "sentiment", "topic", "keywords", "hashtags", "mentions", "urls",
        "author_handle",
    )[: MAX_ROWS + 1]
    terms: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    accounts: Counter[str] = Counter()
    links: Counter[str] = Counter()
    sentiment = dict.fromkeys(SENTIMENTS, 0)
    topics: Counter[str] = Counter()
    total = 0
    rows_list = list(rows)
    truncated = len(rows_list) > MAX_ROWS
    for matched_at, mood, topic, keywords, hashtags, mentions, urls, author in rows_list[
        :MAX_ROWS
    ]:
        total += 1
        point = days.get(matched_at.astimezone(tz).date())
        if point is not None:
            point.count += 1
            if mood in point.sentiment:
                point.sentiment[mood] += 1
            if topic:
                point.topics[topic] += 1
        if mood in sentiment:
            sentiment[mood] += 1
        if topic:
            topics[topic] += 1
        terms.update(keywords or [])
        tags.update(hashtags or [])
        accounts.update([*(mentions or []), *([author.casefold().lstrip("@")] if author else [])])
        links.update(urls or [])
    return PeriodStats(
        start=start, end=end, total=total, days=list(days.values()), sentiment=sentiment,
        topics=topics.most_common(TOP), terms=terms.most_common(TOP),
        hashtags=tags.most_common(TOP), accounts=accounts.most_common(TOP),
        links=links.most_common(TOP), truncated=truncated,
    )


@dataclass(frozen=True)
class Change:
    label: str
    before: int
    after: int

    @property
    def difference(self) -> int:
        return self.after - self.before

    @property
    def percent(self) -> float | None:
        return None if self.before == 0 else 100.0 * (self.after - self.before) / self.before


def compare(first: PeriodStats, second: PeriodStats) -> list[Change]:
    """Volume, sentiment and topics of the second period against the first."""
    rows = [Change("total", first.total, second.total)]
    rows += [Change(f"sentiment:{s}", first.sentiment[s], second.sentiment[s])
             for s in SENTIMENTS]
    topics = dict(first.topics)
    later = dict(second.topics)
    for topic in sorted(set(topics) | set(later)):
        rows.append(Change(f"topic:{topic}", topics.get(topic, 0), later.get(topic, 0)))
    return rows
