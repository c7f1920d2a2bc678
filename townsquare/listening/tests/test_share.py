"""Share of voice between topics and between an organisation's queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from townsquare.listening.models import Match
from townsquare.listening.services.queries import saved_query_create
from townsquare.listening.share import query_shares, topic_shares
from townsquare.listening.stats import period_stats

pytestmark = pytest.mark.django_db


def add(query, n, topic="", when=None):
    when = when or timezone.now() - dt.timedelta(hours=1)
    for i in range(n):
        Match.objects.create(query=query, source="inbox", network="mastodon",
                             remote_id=f"{query.pk}-{topic}-{i}-{when:%j}", text="x",
                             topic=topic, matched_at=when)


@pytest.fixture
def fares(alice, government):
    return saved_query_create(actor=alice, organisation=government["transport"],
                              name="Fares", query="fares")


@pytest.fixture
def clinics(carol, government):
    return saved_query_create(actor=carol, organisation=government["health"],
                              name="Clinics", query="clinic")


def test_topic_shares(bus_query):
    add(bus_query, 3, "transport")
    add(bus_query, 1, "safety")
    add(bus_query, 4)  # no topic: not part of the topics' shares
    end = timezone.now() + dt.timedelta(minutes=1)
    stats = period_stats(bus_query, start=end - dt.timedelta(days=7), end=end, time_zone="UTC")
    shares = topic_shares(stats)
    assert [(s.label, s.count, s.percent) for s in shares] == [("transport", 3, 75.0),
                                                               ("safety", 1, 25.0)]


def test_query_shares_count_the_period_only(bus_query, fares):
    add(bus_query, 6)
    add(fares, 2)
    add(fares, 10, when=timezone.now() - dt.timedelta(days=30))  # before the period
    end = timezone.now() + dt.timedelta(minutes=1)
    shares = query_shares(fares, [bus_query], start=end - dt.timedelta(days=7), end=end)
    assert [(s.label, s.count, s.percent, s.current) for s in shares] == [
        ("Late buses", 6, 75.0, False), ("Fares", 2, 25.0, True)]
    assert query_shares(fares, [], start=end, end=end + dt.timedelta(days=1)) == []


def test_detail_page_shows_shares_within_the_agency(client_for, alice, bus_query, fares,
                                                   clinics):
    add(bus_query, 3, "transport")
    add(bus_query, 1, "safety")
    add(fares, 1, "transport")
    add(clinics, 50, "health")
    page = client_for(alice).get(reverse("listening:detail", args=[bus_query.pk]))
    body = page.content.decode()
    assert "Share of voice between topics" in body and "chart-topic-share" in body
    labels = [(s.label, s.count) for s in page.context["query_share"]]
    assert labels == [("Late buses", 4), ("Fares", 1)]  # never Health's query
    assert "Clinics" not in body
    assert "80.0%" in body and "75.0%" in body
