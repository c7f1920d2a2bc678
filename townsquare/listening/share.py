"""Share of voice: how a period's matching posts divide between topics, and how the
posts of an organisation's queries divide between those queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count

from townsquare.listening.models import Match, SavedQuery
from townsquare.listening.stats import PeriodStats

MAX_QUERIES = 10


@dataclass(frozen=True)
class Share:
    label: str
    count: int
    percent: float  # of the counted whole, 0-100
    current: bool = False  # the query being looked at (between queries)


def _shares(pairs: list[tuple[str, int, bool]]) -> list[Share]:
    whole = sum(count for _label, count, _c in pairs)
    if not whole:
        return []
    return [Share(label, count, 100.0 * count / whole, current)
            for label, count, current in pairs if count]


def topic_shares(stats: PeriodStats) -> list[Share]:
    """Share of each topic among the period's posts that have a topic (top topics)."""
    return _shares([(topic, count, False) for topic, count in stats.topics])


def query_shares(
    saved: SavedQuery, others: Iterable[SavedQuery], *, start: dt.datetime, end: dt.datetime
) -> list[Share]:
    """Share of each query's matches in the period among ``saved`` and ``others`` (the
    caller passes only queries the reader may see). A post two queries match counts for
    each: shares of voice overlap the way the conversations do."""
    queries = {q.pk: q for q in [saved, *others]}
    counts = dict(
        Match.objects.filter(query_id__in=list(queries), matched_at__gte=start, matched_at__lt=end)
        .values_list("query_id").annotate(n=Count("id")).values_list("query_id", "n")
    )
    ranked = sorted(queries.values(), key=lambda q: (-counts.get(q.pk, 0), q.name))
    return _shares([(q.name, counts.get(q.pk, 0), q.pk == saved.pk)
                    for q in ranked[:MAX_QUERIES]])
