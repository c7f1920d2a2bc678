"""Reads of listening data, scoped to what the asking user may see.

A query of an organisation the user may not see is reported as missing (404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from townsquare.listening.models import AlertEvent, AlertRule, Feed, Match, SavedQuery
from townsquare.organisations.selectors import organisations_visible_to


def queries_visible_to(user: Any) -> QuerySet[SavedQuery]:
    return SavedQuery.objects.filter(
        organisation__in=organisations_visible_to(user)
    ).select_related("organisation")


def query_get_for_user(user: Any, query_id: Any) -> SavedQuery:
    try:
        return queries_visible_to(user).get(pk=int(query_id))
    except (SavedQuery.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such query") from exc


def matches_of(
    query: SavedQuery, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> QuerySet[Match]:
    """Matches of a query already loaded through ``query_get_for_user``."""
    found = Match.objects.filter(query=query)
    if start is not None:
        found = found.filter(matched_at__gte=start)
    if end is not None:
        found = found.filter(matched_at__lt=end)
    return found


def newest_matches(query: SavedQuery, *, after_id: int = 0, limit: int = 50) -> list[Match]:
    found = matches_of(query).order_by("-id")
    if after_id:
        found = found.filter(pk__gt=after_id)
    return list(found[:limit])


def alert_rules_of(query: SavedQuery) -> QuerySet[AlertRule]:
    return AlertRule.objects.filter(query=query)


def alert_rule_get(query: SavedQuery, rule_id: Any) -> AlertRule:
    try:
        return alert_rules_of(query).get(pk=int(rule_id))
    except (AlertRule.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such alert rule") from exc


def alert_events_of(query: SavedQuery, *, limit: int = 20) -> list[AlertEvent]:
    return list(
        AlertEvent.objects.filter(rule__query=query)
        .select_related("rule", "noted_by", "conversation")[:limit]
    )


def alert_event_get(query: SavedQuery, event_id: Any) -> AlertEvent:
    try:
        return AlertEvent.objects.select_related("rule__query__organisation").get(
            rule__query=query, pk=int(event_id)
        )
    except (AlertEvent.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such alert") from exc


def feeds_visible_to(user: Any) -> QuerySet[Feed]:
    return Feed.objects.filter(
        organisation__in=organisations_visible_to(user)
    ).select_related("organisation")


def feed_get_for_user(user: Any, feed_id: Any) -> Feed:
    try:
        return feeds_visible_to(user).select_related("account").get(pk=int(feed_id))
    except (Feed.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such feed") from exc
