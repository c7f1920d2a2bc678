"""Networks' live streams as a listening source: the real Mastodon adapter reading a fake
streaming server on loopback; posts go through the ingest pipeline and are matched once,
whichever way they are seen; leases, back-off and the state shown on the query page."""

from __future__ import annotations

import copy
import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from townsquare.channels.adapters.base import Credentials, FetchResult, Network
from townsquare.channels.adapters.mastodon.tests.fakes import fixture
from townsquare.channels.adapters.streaming_testing import (
    CUT,
    FakeStreamServer,
    StreamScript,
    sse,
)
from townsquare.channels.models import Account, InboundItem
from townsquare.channels.services.credentials import credentials_store
from townsquare.ingest.models import ItemEnrichment, Rejection
from townsquare.listening.models import Match, StreamState, StreamStatus
from townsquare.listening.services.matching import inbox_catch_up, query_search_networks
from townsquare.listening.services.queries import saved_query_create
from townsquare.listening.services.streams import (
    account_stream_read,
    streaming_plan,
    streams_read_due,
)

PUBLIC = "/api/v1/streaming/public"
TRANSPORT_ID = "109000000000000001"


def status(number: int, text: str, **extra: Any) -> dict[str, Any]:
    value = copy.deepcopy(fixture("status"))
    value.update({"id": str(110400000000000000 + number), "content": f"<p>{text}</p>",
                  "mentions": [], "in_reply_to_account_id": None, "language": None})
    value["account"] = {**value["account"], "id": "110000000000000777", "acct": "resident"}
    value.update(extra)
    return value


def update(number: int, text: str, **extra: Any) -> bytes:
    return sse("update", json.dumps(status(number, text, **extra)))


def remote(number: int) -> str:
    return str(110400000000000000 + number)


@pytest.fixture(scope="module")
def server():
    with FakeStreamServer() as fake:
        yield fake


@pytest.fixture
def fake(server):
    server.scripts.clear()
    server.requests.clear()
    return server


@pytest.fixture
def streaming(fake, transport_account, government, alice):
    """Transport's Mastodon account connected to the fake; a query that follows streams."""
    Account.objects.filter(pk=transport_account.pk).update(
        connection_state="connected", remote_id=TRANSPORT_ID,
        config={"api_base_url": fake.url, "account_id": TRANSPORT_ID},
    )
    transport_account.refresh_from_db()
    credentials_store(actor=None, account=transport_account,
                      credentials=Credentials(access_token="stream-token"))
    return saved_query_create(
        actor=alice, organisation=government["transport"], name="Streamed",
        query="(bus OR الحافلة) AND (late OR متأخرة)", search_networks=True,
    )


def read(account):
    (entry,) = streaming_plan().values()
    assert entry[0].pk == account.pk
    return account_stream_read(account=entry[0], queries=entry[1], max_seconds=10)


def test_streamed_posts_are_ingested_enriched_and_matched(fake, streaming, transport_account):
    fake.script(PUBLIC, StreamScript([
        update(1, "the bus is late again"),
        b":thump\n",
        update(2, "الحافلة متأخرة جدا"),
        update(3, "lovely weather today"),
        sse("delete", remote(9)),
    ]))
    run = read(transport_account)
    assert (run.read, run.items, run.stored, run.matched, run.error_code) == (True, 3, 3, 2, "")
    items = InboundItem.objects.filter(account=transport_account).order_by("remote_id")
    assert [(i.remote_id, i.kind) for i in items] == [(remote(n), "post") for n in (1, 2, 3)]
    assert ItemEnrichment.objects.filter(item__in=items).count() == 3
    matches = {m.remote_id: m for m in Match.objects.filter(query=streaming)}
    assert set(matches) == {remote(1), remote(2)}
    arabic = matches[remote(2)]
    assert (arabic.source, arabic.language) == ("stream", "ar")
    assert arabic.sentiment in {"negative", "neutral", "positive"}
    assert arabic.sentiment_score is not None
    assert arabic.item_id == items[1].pk
    state = StreamState.objects.get(account=transport_account)
    assert (state.state, state.last_run_items, state.failures) == (StreamStatus.OK, 3, 0)
    assert state.last_connected_at and state.last_item_at and state.lease_until is None
    assert fake.requests[0].headers["authorization"] == "Bearer stream-token"


def test_a_post_seen_by_stream_search_and_inbox_counts_once(
    fake, streaming, transport_account, monkeypatch
):
    from townsquare.channels.adapters import registry
    from townsquare.listening.tests.fakes import SearchingAdapter, post

    fake.script(PUBLIC, StreamScript([update(4, "bus late at the depot")]))
    read(transport_account)
    inbox_catch_up(now=timezone.now() + dt.timedelta(minutes=1))
    monkeypatch.setitem(registry.ADAPTERS, Network.MASTODON,
                        "townsquare.listening.tests.fakes.SearchingAdapter")
    SearchingAdapter.pages = {("bus", None): FetchResult(
        items=[post(remote(4), "bus late at the depot")], cursor=None)}
    query_search_networks(saved=streaming)
    assert Match.objects.filter(query=streaming).count() == 1
    assert InboundItem.objects.filter(remote_id=remote(4)).count() == 1


def test_posts_addressed_to_our_accounts_are_left_to_the_inbox(
    fake, streaming, transport_account, health_account, inbound
):
    Account.objects.filter(pk=health_account.pk).update(remote_id="109000000000000002",
                                                       config={"api_base_url": fake.url})
    fake.script(PUBLIC, StreamScript([
        update(5, "@transport the bus is late", mentions=[
            {"id": TRANSPORT_ID, "acct": "transport", "username": "transport"}]),
        update(6, "bus late, replying", in_reply_to_account_id="109000000000000002"),
        update(7, "bus late says @health", mentions=[
            {"id": "999", "acct": "health@sandbox.local", "username": "health"}]),
        update(8, "bus late, just saying"),
        # A local mention by username only (the registry may not know the account's id).
        update(15, "bus late again @transport", mentions=[
            {"id": "555", "acct": "transport", "username": "transport"}]),
    ]))
    run = read(transport_account)
    assert (run.items, run.addressed, run.stored, run.matched) == (5, 4, 1, 5)
    assert list(InboundItem.objects.values_list("remote_id", flat=True)) == [remote(8)]
    # The notification then brings the mention into the inbox as a mention, as before,
    # and the inbox scan adds no second match of it.
    inbound(transport_account, remote(5), "@transport the bus is late")
    assert InboundItem.objects.get(remote_id=remote(5)).kind == "mention"
    inbox_catch_up(now=timezone.now() + dt.timedelta(minutes=1))
    assert Match.objects.filter(query=streaming, remote_id=remote(5)).count() == 1


def test_own_posts_and_garbage_are_not_stored(fake, streaming, transport_account):
    fake.script(PUBLIC, StreamScript([
        update(10, "our bus is late notice",
               account={**status(0, "")["account"], "id": TRANSPORT_ID}),
        sse("update", "{broken"),
        b"\x00\xff\xfe\n\n",
        update(11, "bus late \x00 and \u202e odd"),
        CUT,
    ]))
    run = read(transport_account)
    assert run.items == 1  # our own post is neither stored nor matched
    assert run.report.skipped == 2  # the broken JSON and the event cut off
    assert run.report.ended_early == "dropped"
    # The NUL makes the pipeline refuse to store the post: it keeps it as a dead letter
    # (nothing is lost), and the match keeps a storable copy of the text.
    assert (run.stored, Rejection.objects.filter(remote_id=remote(11)).count()) == (0, 1)
    match = Match.objects.get()
    assert match.remote_id == remote(11) and "\x00" not in match.text
    state = StreamState.objects.get(account=transport_account)
    assert (state.state, state.last_run_skipped, state.last_run_ended) == ("ok", 2, "dropped")


@pytest.mark.parametrize(("script", "code"), [
    (StreamScript([b"{}"], status=401, headers={"Content-Type": "application/json"},
                  chunked=False), "auth"),
    (StreamScript([b"{}"], status=429, headers={"Content-Type": "application/json",
                                                "Retry-After": "600"}, chunked=False),
     "rate_limited"),
    (StreamScript([b"{}"], status=503, headers={"Content-Type": "application/json"},
                  chunked=False), "unavailable"),
    (StreamScript([b"<html>"], headers={"Content-Type": "text/html"}, chunked=False),
     "malformed"),
])
def test_failures_are_kept_with_a_reason_and_backed_off(
    fake, streaming, transport_account, script, code
):
    fake.script(PUBLIC, script)
    with time_machine.travel(dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC), tick=False):
        run = read(transport_account)
        assert run.error_code == code
        state = StreamState.objects.get(account=transport_account)
        assert (state.state, state.error_code, state.failures) == ("failing", code, 1)
        assert state.lease_until is None and "stream-token" not in state.error_detail
        wait = state.next_attempt_at - timezone.now()
        assert dt.timedelta(seconds=30) <= wait <= dt.timedelta(minutes=61)
        if code == "rate_limited":
            assert wait >= dt.timedelta(seconds=600)
        # Backing off: the next minute's run does not connect.
        asked = len(fake.requests)
        assert read(transport_account).read is False
        assert len(fake.requests) == asked
    fake.script(PUBLIC, StreamScript([update(12, "bus late")]))
    with time_machine.travel(dt.datetime(2026, 11, 22, 11, 0, tzinfo=dt.UTC), tick=False):
        assert read(transport_account).read is True
    state = StreamState.objects.get(account=transport_account)
    assert (state.state, state.error_code, state.failures) == ("ok", "", 0)


def test_a_held_lease_keeps_a_second_worker_off_until_it_runs_out(
    fake, streaming, transport_account
):
    fake.script(PUBLIC, StreamScript([update(13, "bus late")]))
    with time_machine.travel(dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC), tick=False):
        StreamState.objects.create(account=transport_account, lease_token="crashed",
                                   lease_until=timezone.now() + dt.timedelta(seconds=90))
        assert read(transport_account).read is False
        assert fake.requests == []
    with time_machine.travel(dt.datetime(2026, 11, 22, 9, 2, tzinfo=dt.UTC), tick=False):
        assert read(transport_account).read is True  # the crashed worker's lease ran out


def test_an_account_without_a_token_is_a_settings_failure(fake, streaming, transport_account):
    from townsquare.channels.models import Credential

    Credential.objects.filter(account=transport_account).delete()
    assert read(transport_account).error_code == "settings"
    assert fake.requests == []


def test_only_queries_that_listen_beyond_the_inbox_open_streams(
    fake, transport_account, government, alice, bus_query
):
    Account.objects.filter(pk=transport_account.pk).update(connection_state="connected")
    assert streaming_plan() == {}
    saved_query_create(actor=alice, organisation=government["transport"], name="Both",
                       query="tram", search_networks=True)
    Account.objects.filter(pk=transport_account.pk).update(connection_state="expired")
    assert streaming_plan() == {}


def test_the_periodic_run_reads_every_planned_stream(fake, streaming, transport_account):
    from townsquare.listening import tasks

    fake.script(PUBLIC, StreamScript([update(14, "bus late")]))
    tasks.read_live_streams.call_local()
    assert Match.objects.filter(query=streaming, source="stream").count() == 1
    runs = streams_read_due(max_seconds=5)  # the stream has been read; read again
    assert [r.read for r in runs] == [True]


def test_query_page_shows_the_stream_state(fake, streaming, alice, carol, client_for):
    fake.script(PUBLIC, StreamScript([b"{}"], status=401,
                                     headers={"Content-Type": "application/json"},
                                     chunked=False))
    read(Account.objects.get(network="mastodon", organisation=streaming.organisation))
    page = client_for(alice).get(f"/console/listening/{streaming.pk}/")
    html = page.content.decode()
    assert "Network streams" in html
    assert "@transport@sandbox.local" in html
    assert "Reconnect the account in the account registry." in html
    assert "the stream refused the access token (401)" in html
    # Another agency cannot see the query, nor so its streams.
    assert client_for(carol).get(f"/console/listening/{streaming.pk}/").status_code == 404


@pytest.fixture
def site_in_this_thread(db, monkeypatch):
    """httpx clients talk to this Django site through WSGI, in this thread and on this
    test's database connection (so, as the test client does, requests must not close
    the connection at their start and end)."""
    import httpx
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    site = httpx.WSGITransport(app=WSGIHandler())
    real_client = httpx.Client

    def client(**options):
        return real_client(**{**options, "transport": site})

    monkeypatch.setattr(httpx, "Client", client)
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def test_demo_sandbox_stream_feeds_the_bus_query_and_a_spike_raises_the_alert(
    site_in_this_thread, monkeypatch, settings, tmp_path
):
    """The `make run` demo in one thread: the sandbox served through WSGI to the real
    Mastodon adapter, `listening_spike` posting while the stream is open."""
    from django.core.management import call_command

    from townsquare.channels.demo import channels_demo_load
    from townsquare.listening.demo import listening_demo_load
    from townsquare.listening.models import AlertEvent, SavedQuery
    from townsquare.listening.services.alerts import alert_rules_check
    from townsquare.organisations.demo import demo_load
    from townsquare.sandbox import services as sandbox
    from townsquare.sandbox import streaming as sandbox_streaming
    from townsquare.sandbox.tests.test_streaming import FakeTime

    settings.SITE_URL = "http://localhost:8000"
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.MEDIA_ROOT = tmp_path
    settings.SANDBOX_STREAM_SECONDS = 60
    demo_load()
    sandbox.sandbox_setup()
    channels_demo_load()
    listening_demo_load()
    bus = SavedQuery.objects.get(name="Bus delays and fares")
    clock = FakeTime()
    clock.on_sleep.append(lambda: call_command("listening_spike", count=40, stdout=StringIO()))
    monkeypatch.setattr(sandbox_streaming, "_clock", clock.clock)
    monkeypatch.setattr(sandbox_streaming, "_sleep", clock.sleep)
    plan = streaming_plan()
    (account, queries), *others = [
        entry for entry in plan.values() if entry[0].organisation == bus.organisation]
    assert not others and [q.saved for q in queries] == [bus]
    # The adapter learns its own id from verify_credentials (Mastodon.py, not httpx): give it.
    sandbox_id = sandbox.SandboxAccount.objects.get(agency_slug="transport").pk
    account.config = {**account.config, "account_id": str(sandbox_id)}

    run = account_stream_read(account=account, queries=queries, max_items=40,
                               max_seconds=600)  # ends at 40 items; a slow machine is no failure
    assert (run.error_code, run.items, run.matched) == ("", 40, 40), run.report
    # Every burst post mentions @transport: the inbox's, so matched but not stored here.
    assert (run.addressed, run.stored) == (40, 0)
    streamed = Match.objects.filter(query=bus, source="stream")
    assert streamed.count() == 40
    assert not streamed.filter(sentiment="").exists()
    assert streamed.exclude(topic="").exists()
    raised = alert_rules_check()
    assert [e.rule.query for e in raised] == [bus]
    assert AlertEvent.objects.get().count >= 40


def test_an_unexpected_error_frees_the_stream_at_once(
    fake, streaming, transport_account, monkeypatch
):
    from townsquare.listening.services import streams

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(streams, "ingest_stream", broken)
    fake.script(PUBLIC, StreamScript([update(16, "bus late")]))
    with pytest.raises(RuntimeError):
        read(transport_account)
    state = StreamState.objects.get(account=transport_account)
    assert (state.lease_until, state.lease_token) == (None, "")
