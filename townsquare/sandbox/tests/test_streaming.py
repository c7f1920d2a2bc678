"""The sandbox's streaming endpoints (SSE): what they send, that they end, and the real
Mastodon adapter reading them over HTTP."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from townsquare.channels.adapters.base import AuthExpired, Credentials
from townsquare.channels.adapters.mastodon.client import MastodonAdapter
from townsquare.channels.adapters.streaming import SseParser, StreamReport
from townsquare.sandbox import services, streaming
from townsquare.sandbox.models import SandboxAccount, SandboxStatus, Visibility


class FakeTime:
    """A stream's clock: sleeping moves it on at once, and may run a step in between."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.on_sleep: list = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.on_sleep:
            self.on_sleep.pop(0)()


@pytest.fixture
def fake_time(monkeypatch, settings):
    settings.SANDBOX_STREAM_SECONDS = 5
    fake = FakeTime()
    monkeypatch.setattr(streaming, "_clock", fake.clock)
    monkeypatch.setattr(streaming, "_sleep", fake.sleep)
    return fake


@pytest.fixture
def world(db):
    transport = services.account_ensure(username="transport", display_name="Transport",
                                        is_agency=True, agency_slug="transport")
    layla = services.account_ensure(username="layla", display_name="ليلى", language="ar")
    return {"transport": transport, "layla": layla,
            "token": services.token_issue(account=transport)}


def say(account: SandboxAccount, text: str, **extra) -> SandboxStatus:
    status, _ = services.status_create(account=account, text=text, **extra)
    return status


def events(response) -> list:
    parser = SseParser()
    found = []
    for chunk in response.streaming_content:
        found += parser.feed(chunk.decode("utf-8"))
    assert not parser.partial
    return found


def get(world, path: str):
    return Client(HTTP_AUTHORIZATION=f"Bearer {world['token']}").get(path)


def test_public_stream_sends_statuses_created_after_it_opened(world, fake_time):
    say(world["layla"], "before the connection: not sent")
    response = get(world, "/sandbox/api/v1/streaming/public")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    first = say(world["layla"], "@transport the 5 bus is late again")
    say(world["layla"], "private word", visibility=Visibility.DIRECT)
    later: list[SandboxStatus] = []
    fake_time.on_sleep.append(lambda: later.append(say(world["layla"], "a moment later")))
    fake_time.on_sleep.append(lambda: SandboxStatus.objects.filter(pk=first.pk).update(
        deleted_at=first.created_at.replace(year=2100)))
    found = events(response)
    updates = [json.loads(e.data) for e in found if e.event == "update"]
    assert [u["id"] for u in updates] == [str(first.pk), str(later[0].pk)]
    assert "the 5 bus is late again" in updates[0]["content"]
    assert {"id", "account", "content", "created_at", "visibility"} <= set(updates[0])
    assert [e.data for e in found if e.event == "delete"] == [str(first.pk)]


def test_stream_closes_after_the_configured_seconds_with_heartbeats(world, fake_time, settings):
    settings.SANDBOX_STREAM_SECONDS = 25
    response = get(world, "/sandbox/api/v1/streaming/public/local")
    chunks = list(response.streaming_content)
    assert chunks.count(b":thump\n") == 2  # every 10 seconds of the 25
    assert fake_time.now - 1000.0 <= 26


def test_hashtag_stream_sends_only_that_tag(world, fake_time):
    response = get(world, "/sandbox/api/v1/streaming/hashtag?tag=%23Buses")
    say(world["layla"], "nothing tagged about buses")
    tagged = say(world["layla"], "the fares #buses #فاتورة")
    say(world["layla"], "#BusesLate is a different tag")
    updates = [json.loads(e.data) for e in events(response) if e.event == "update"]
    assert [u["id"] for u in updates] == [str(tagged.pk)]


@pytest.mark.parametrize("query", ["", "?tag=", "?tag=two%20words"])
def test_hashtag_stream_needs_a_valid_tag(world, query):
    response = get(world, f"/sandbox/api/v1/streaming/hashtag{query}")
    assert response.status_code == 422
    assert "hashtag" in response.json()["error"]


def test_streams_need_a_token(db):
    response = Client().get("/sandbox/api/v1/streaming/public")
    assert response.status_code == 401
    response = Client(HTTP_AUTHORIZATION="Bearer nope").get("/sandbox/api/v1/streaming/public")
    assert response.status_code == 401


@pytest.mark.django_db(transaction=True)
def test_the_mastodon_adapter_reads_the_sandbox_stream_over_http(live_server, settings):
    # Short, so the server side ends soon after the reader hangs up (it notices a gone
    # client only when it next writes).
    settings.SANDBOX_STREAM_SECONDS = 3
    tokens = services.sandbox_agency_tokens()
    citizen = SandboxAccount.objects.filter(is_agency=False).order_by("pk").first()
    adapter = MastodonAdapter(
        credentials=Credentials(access_token=tokens["transport"].access_token),
        config={"api_base_url": f"{live_server.url}/sandbox"},
    )
    report = StreamReport()
    items = []
    posted = threading.Event()

    def post_when_connected():
        # The stream sends statuses created after it opened: post once it is open.
        try:
            for _ in range(100):
                if report.connected:
                    break
                posted.wait(0.05)
            say(citizen, "الحافلة متأخرة مرة أخرى #buses")
            posted.set()
        finally:
            connection.close()  # this thread's own connection

    writer = threading.Thread(target=post_when_connected)
    writer.start()
    try:
        for item in adapter.stream(max_seconds=20, max_items=1, report=report):
            items.append(item)
    finally:
        writer.join()
    assert [i.text for i in items] == ["الحافلة متأخرة مرة أخرى #buses"]
    assert items[0].author_handle.startswith(f"@{citizen.username}@")
    assert report.connected and report.skipped == 0


@pytest.mark.django_db(transaction=True)
def test_the_adapter_is_refused_with_a_bad_token(live_server):
    adapter = MastodonAdapter(credentials=Credentials(access_token="wrong"),
                              config={"api_base_url": f"{live_server.url}/sandbox",
                                      "account_id": "1"})
    with pytest.raises(AuthExpired):
        list(adapter.stream(max_seconds=5, max_items=1))
