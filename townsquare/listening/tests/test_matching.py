"""Matching inbox items and network search results against saved queries."""

from __future__ import annotations

import datetime as dt

import pytest

from townsquare.channels.adapters import registry
from townsquare.channels.adapters.base import FetchResult, Network, TransientError
from townsquare.channels.models import Account
from townsquare.listening.models import ListeningCursor, Match
from townsquare.listening.services.matching import (
    SETTLE,
    inbox_catch_up,
    inbox_items_match,
    query_search_networks,
)
from townsquare.listening.services.queries import saved_query_create
from townsquare.listening.tests.fakes import SearchingAdapter, post

pytestmark = pytest.mark.django_db
FAKES = "townsquare.listening.tests.fakes"


def test_inbox_items_match_in_three_languages(bus_query, transport_account, inbound, later):
    inbound(transport_account, "1", "Bus 12 at the market is late AGAIN 😤")
    inbound(transport_account, "2", "الحافلة رقم ١٢ في السوق متأخرة مرة أخرى")
    inbound(transport_account, "3", "市场的12路公交又晚点了")
    inbound(transport_account, "4", "The new night buses are brilliant")  # no match
    inbound(transport_account, "5", "bus late", is_own=True)  # the agency itself
    inbound(transport_account, "6", "bus late", kind="direct_message")  # private
    assert inbox_catch_up(now=later) == 6
    found = {m.remote_id: m for m in Match.objects.filter(query=bus_query)}
    assert set(found) == {"1", "2", "3"}
    assert found["2"].language == "ar"
    assert found["3"].language == "zh"
    assert found["1"].sentiment in {"negative", "neutral", "positive"}
    assert found["1"].topic == "transport"


def test_scanning_twice_or_rewinding_adds_nothing(bus_query, transport_account, inbound, later):
    inbound(transport_account, "1", "bus late")
    inbox_items_match(now=later)
    inbox_items_match(now=later)
    ListeningCursor.objects.filter(name="inbox").update(position="0")  # a retried batch
    inbox_items_match(now=later)
    assert Match.objects.filter(query=bus_query).count() == 1


def test_items_wait_until_settled(bus_query, transport_account, inbound):
    item = inbound(transport_account, "1", "bus late")
    assert inbox_items_match(now=item.first_seen_at + SETTLE / 2) == 0
    assert inbox_items_match(now=item.first_seen_at + SETTLE * 2) == 1


def test_batches_resume_from_the_cursor(bus_query, transport_account, inbound, later):
    for n in range(5):
        inbound(transport_account, str(n), f"bus late number {n}")
    assert inbox_items_match(now=later, batch_size=2) == 2
    assert inbox_items_match(now=later, batch_size=2) == 2
    assert inbox_items_match(now=later, batch_size=2) == 1
    assert Match.objects.filter(query=bus_query).count() == 5


def test_an_agency_query_does_not_read_another_agencys_inbox(  # noqa: PLR0917 - fixtures
    bus_query, health_account, inbound, later, government, dana
):
    office_query = saved_query_create(
        actor=dana, organisation=government["office"], name="Buses everywhere", query="bus"
    )
    inbound(health_account, "h1", "the bus to the hospital is late")
    inbox_catch_up(now=later)
    assert not Match.objects.filter(query=bus_query).exists()
    assert Match.objects.filter(query=office_query).count() == 1  # the office sees all


def test_language_and_network_filters(government, alice, transport_account, inbound, later):
    arabic_only = saved_query_create(
        actor=alice, organisation=government["transport"], name="Arabic", query="bus OR الحافلة",
        languages=["ar"],
    )
    x_only = saved_query_create(
        actor=alice, organisation=government["transport"], name="X only", query="bus",
        networks=["x"],
    )
    inbound(transport_account, "1", "bus late")
    inbound(transport_account, "2", "الحافلة متأخرة")
    inbox_catch_up(now=later)
    found = Match.objects.filter(query=arabic_only).values_list("remote_id", flat=True)
    assert list(found) == ["2"]
    assert not Match.objects.filter(query=x_only).exists()


def test_inactive_queries_match_nothing(bus_query, transport_account, inbound, later):
    bus_query.active = False
    bus_query.save()
    inbound(transport_account, "1", "bus late")
    inbox_catch_up(now=later)
    assert not Match.objects.exists()


@pytest.mark.parametrize(
    "text",
    ["", "x" * 100_000, "bus \u202elate\u202c", "😤😤😤", "bus \ufffd late", "\t\n\x7f"],
)
def test_bad_texts_are_scanned_without_error(bus_query, transport_account, inbound, later, text):
    inbound(transport_account, "1", text)
    assert inbox_catch_up(now=later) == 1
    assert ListeningCursor.objects.get(name="inbox").position != "0"


def test_a_broken_saved_query_is_skipped_not_fatal(bus_query, transport_account, inbound, later):
    type(bus_query).objects.filter(pk=bus_query.pk).update(query="(bus")
    inbound(transport_account, "1", "bus late")
    assert inbox_catch_up(now=later) == 1


@pytest.fixture
def searching(monkeypatch, transport_account, government, alice):
    monkeypatch.setitem(registry.ADAPTERS, Network.MASTODON, f"{FAKES}.SearchingAdapter")
    monkeypatch.setitem(registry.ADAPTERS, Network.TELEGRAM, f"{FAKES}.NoSearchAdapter")
    SearchingAdapter.pages = {}
    SearchingAdapter.asked = []
    Account.objects.filter(pk=transport_account.pk).update(connection_state="connected")
    return saved_query_create(
        actor=alice, organisation=government["transport"], name="Searched",
        query="(bus OR tram) late -school", search_networks=True,
    )


def test_network_search_stores_what_the_query_matches(searching):
    SearchingAdapter.pages = {
        ("bus", None): FetchResult(
            items=[post("s1", "bus late again"), post("s2", "bus late for school"),
                   post("s3", "bus on time")],
            cursor="2",
        ),
        ("bus", "2"): FetchResult(items=[post("s4", "late bus, late everything")], cursor=None),
        ("tram", None): FetchResult(items=[post("s1", "bus late again")], cursor=None),
    }
    outcome = query_search_networks(saved=searching)
    assert outcome.searched == 3  # bus, tram, late
    assert sorted(Match.objects.values_list("remote_id", flat=True)) == ["s1", "s4"]
    assert Match.objects.get(remote_id="s1").source == "search"
    # The cursor is kept: the next run asks from where this one stopped.
    SearchingAdapter.asked.clear()
    query_search_networks(saved=searching)
    assert ("bus", "2") in SearchingAdapter.asked
    assert Match.objects.count() == 2


def test_hostile_search_results_are_stored_safely(searching):
    SearchingAdapter.pages = {("bus", None): FetchResult(
        items=[post("n1", "bus\x00 late \ud800 \u202e"), post("n2", "x" * 100_000 + " bus late")],
        cursor=None,
    )}
    query_search_networks(saved=searching)
    stored = Match.objects.get(remote_id="n1")
    assert "\x00" not in stored.text
    assert "\ufffd" in stored.text  # the lone surrogate, replaced
    assert "\u202e" in stored.text  # kept as received: templates isolate it with <bdi>
    assert len(Match.objects.get(remote_id="n2").text) > 100_000


def test_search_failure_of_one_term_keeps_the_others(searching):
    SearchingAdapter.pages = {
        ("bus", None): TransientError("503"),
        ("tram", None): FetchResult(items=[post("t1", "tram late")], cursor=None),
    }
    outcome = query_search_networks(saved=searching)
    assert outcome.failures == 1
    assert list(Match.objects.values_list("remote_id", flat=True)) == ["t1"]


def test_networks_without_search_are_skipped(searching, government, alice):
    from townsquare.channels.services.accounts import account_create

    telegram = account_create(actor=alice, organisation=government["transport"],
                              network="telegram", handle="@transport_bot")
    Account.objects.filter(pk=telegram.pk).update(connection_state="connected")
    Account.objects.filter(network="mastodon").update(connection_state="not_connected")
    outcome = query_search_networks(saved=searching)
    assert outcome.skipped_networks == 1
    assert outcome.searched == 0


def test_search_results_and_inbox_items_are_one_match(searching, transport_account, inbound):
    inbound(transport_account, "s1", "bus late again")
    inbox_catch_up(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
    SearchingAdapter.pages = {("bus", None): FetchResult(items=[post("s1", "bus late again")],
                                                          cursor=None)}
    query_search_networks(saved=searching)
    assert Match.objects.filter(query=searching, remote_id="s1").count() == 1


def test_periodic_task_matches_and_checks(bus_query, transport_account, inbound):
    import time_machine

    from townsquare.listening import tasks

    item = inbound(transport_account, "1", "bus late")
    with time_machine.travel(item.first_seen_at + dt.timedelta(minutes=2)):
        tasks.match_inbox_items()
    assert Match.objects.filter(query=bus_query).count() == 1
