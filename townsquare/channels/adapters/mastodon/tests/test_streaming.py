"""Mastodon's streaming API (Server-Sent Events) against a local fake on loopback, and
the SSE parser on its own: the wire format's corners, dropped connections, garbage."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest

from townsquare.channels.adapters.base import (
    AuthExpired,
    ItemKind,
    MalformedResponse,
    NotSupported,
    RateLimited,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.mastodon.client import MastodonAdapter
from townsquare.channels.adapters.mastodon.streaming import NotAHashtag, endpoint
from townsquare.channels.adapters.mastodon.tests.fakes import OWN_ID, TOKEN, fixture
from townsquare.channels.adapters.streaming import (
    SseEvent,
    SseParser,
    StreamReport,
    sse_events,
)
from townsquare.channels.adapters.streaming_testing import (
    CUT,
    HEARTBEATS,
    FakeStreamServer,
    StreamScript,
    sse,
)
from townsquare.channels.adapters.telegram.client import TelegramAdapter

PUBLIC = "/api/v1/streaming/public"


def status(number: int, text: str = "the bus is late") -> dict[str, Any]:
    value = copy.deepcopy(fixture("status"))
    value["id"] = str(110300000000000000 + number)
    value["content"] = f"<p>{text}</p>"
    value["account"] = {**value["account"], "id": "110000000000000001", "acct": "resident"}
    return value


def update(number: int, text: str = "the bus is late") -> bytes:
    return sse("update", json.dumps(status(number, text)))


@pytest.fixture(scope="module")
def server():
    with FakeStreamServer() as fake:
        yield fake


@pytest.fixture
def fake(server):
    server.scripts.clear()
    server.requests.clear()
    return server


def adapter(fake, **config):
    return MastodonAdapter(credentials=_credentials(),
                           config={"api_base_url": fake.url, "account_id": OWN_ID, **config})


def _credentials():
    from townsquare.channels.adapters.base import Credentials
    return Credentials(access_token=TOKEN)


def read(fake, *, topic="", max_items=100, max_seconds=30.0, **config):
    report = StreamReport()
    items = list(adapter(fake, **config).stream(
        topic=topic, max_items=max_items, max_seconds=max_seconds, report=report))
    return items, report


# --- the parser ----------------------------------------------------------------------------


def test_parser_joins_multiline_data_and_reads_every_line_ending():
    parser = SseParser()
    text = ("event: update\r\ndata: {\"a\":\r\ndata:  1}\r\n\r\n"
            ": thump\n"
            "event: delete\rdata: 42\r\r"
            "data:no space\n\n")
    events = parser.feed(text)
    assert events == [
        SseEvent("update", '{"a":\n 1}'),
        SseEvent("delete", "42"),
        SseEvent("message", "no space"),
    ]
    assert parser.comments == 1


def test_parser_handles_any_split_including_crlf_across_chunks():
    text = "event: update\r\ndata: é中\r\n\r\n:thump\r\nid: 7\r\nretry: 1500\r\ndata: x\r\n\r\n"
    for size in (1, 2, 3, 5, 7):
        parser = SseParser()
        events = []
        for start in range(0, len(text), size):
            events += parser.feed(text[start:start + size])
        assert events == [SseEvent("update", "é中"), SseEvent("message", "x", id="7")], size
        assert (parser.comments, parser.retry_ms, parser.partial) == (1, 1500, False)


def test_parser_ignores_unknown_fields_bad_retry_and_events_without_data():
    parser = SseParser()
    events = parser.feed("event: update\n\nfoo: bar\nretry: soon\nid: a\x00b\ndata: y\n\n")
    assert events == [SseEvent("message", "y")]
    assert parser.retry_ms is None and parser.last_event_id == ""


def test_parser_knows_an_event_was_cut_off():
    parser = SseParser()
    assert parser.feed("event: update\ndata: {\"id\"") == []
    assert parser.partial


def test_parser_drops_an_endless_event_instead_of_growing():
    parser = SseParser()
    for _ in range(40):
        parser.feed("data: " + "x" * 50_000 + "\n")
    assert parser.feed("\ndata: ok\n\n") == [SseEvent("message", "ok")]
    assert parser.oversized == 1


# --- the adapter against the fake ----------------------------------------------------------


def test_reads_updates_skips_deletes_heartbeats_and_other_events(fake):
    fake.script(PUBLIC, StreamScript([
        b":)\n",
        update(1),
        b":thump\n",
        sse("delete", "110300000000000009"),
        sse("notification", "{}"),
        update(2, "fares doubling again"),
    ]))
    items, report = read(fake)
    assert [i.text for i in items] == ["the bus is late", "fares doubling again"]
    assert all(i.kind == ItemKind.POST for i in items)
    assert items[0].remote_id == "110300000000000001"
    assert items[0].raw["id"] == "110300000000000001"  # the status as the server sent it
    assert (report.items, report.deletes, report.ignored, report.heartbeats) == (2, 1, 1, 2)
    assert report.ended_early == "closed" and report.skipped == 0
    request = fake.requests[0]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["accept"] == "text/event-stream"


def test_event_split_over_many_small_chunks_and_crlf(fake):
    body = sse("update", json.dumps(status(3, "中文 العربية")), newline="\r\n")
    fake.script(PUBLIC, StreamScript([body[i:i + 3] for i in range(0, len(body), 3)]))
    items, _report = read(fake)
    assert [i.text for i in items] == ["中文 العربية"]


def test_garbage_and_malformed_json_are_skipped_and_counted(fake):
    fake.script(PUBLIC, StreamScript([
        b"\xff\xfe garbage line without colon\n\n",
        sse("update", "{not json"),
        sse("update", "[1, 2]"),
        sse("update", json.dumps({"id": "1", "content": "no account"})),
        b"data: \x00\x01\n\n",
        update(4),
    ]))
    items, report = read(fake)
    assert [i.remote_id for i in items] == ["110300000000000004"]
    assert report.skipped == 3
    assert any("not valid JSON" in p for p in report.problems)


def test_connection_dropped_mid_event_keeps_what_came_before(fake):
    fake.script(PUBLIC, StreamScript([update(5), CUT]))
    items, report = read(fake)
    assert [i.remote_id for i in items] == ["110300000000000005"]
    assert report.ended_early == "dropped"


def test_connection_closed_mid_event_without_chunking(fake):
    fake.script(PUBLIC, StreamScript([update(6), b"event: update\ndata: {\"id\": \"7\""],
                                     chunked=False))
    items, report = read(fake)
    assert [i.remote_id for i in items] == ["110300000000000006"]
    assert report.ended_early == "closed"
    assert "the connection closed in the middle of an event" in report.problems


def test_stops_at_max_items_while_the_server_keeps_going(fake):
    fake.script(PUBLIC, StreamScript([update(n) for n in range(1, 6)] + [HEARTBEATS]))
    items, report = read(fake, max_items=3)
    assert len(items) == 3 and report.ended_early == ""


def test_stops_at_max_seconds_on_a_heartbeat_only_stream(fake):
    fake.script(PUBLIC, StreamScript([HEARTBEATS]))
    ticks = iter(range(0, 10_000, 10))
    report = StreamReport()
    with httpx.Client(timeout=5) as client:
        events = list(sse_events(client, fake.url + PUBLIC, network="mastodon", params={},
                                 headers={}, max_seconds=25, report=report,
                                 monotonic=lambda: float(next(ticks))))
    assert events == [] and report.connected and report.ended_early == ""
    assert report.heartbeats >= 1


def test_local_timeline_and_hashtag_endpoints(fake):
    fake.script(PUBLIC + "/local", StreamScript([update(8)]))
    fake.script("/api/v1/streaming/hashtag", StreamScript([update(9)]))
    assert [i.remote_id for i in read(fake, stream_local=True)[0]] == ["110300000000000008"]
    assert [i.remote_id for i in read(fake, topic="#Buses")[0]] == ["110300000000000009"]
    assert fake.requests[-1].query == {"tag": ["Buses"]}


def test_a_separate_streaming_host_is_used_when_configured(fake):
    fake.script(PUBLIC, StreamScript([update(10)]))
    items = list(MastodonAdapter(
        credentials=_credentials(),
        config={"api_base_url": "http://127.0.0.1:9", "streaming_base_url": fake.url,
                "account_id": OWN_ID},
    ).stream(max_seconds=5, max_items=5))
    assert len(items) == 1


@pytest.mark.parametrize("topic", ["two words", "#", "a/b", "x" * 101])
def test_topic_that_is_not_a_hashtag_is_refused_before_connecting(topic):
    with pytest.raises(NotAHashtag):
        endpoint(topic, local=False)


@pytest.mark.parametrize(("status_code", "error", "headers"), [
    (401, AuthExpired, {}),
    (404, RemoteRejected, {}),
    (429, RateLimited, {"Retry-After": "120"}),
    (502, TransientError, {}),
])
def test_refusals_map_to_adapter_errors(fake, status_code, error, headers):
    fake.script(PUBLIC, StreamScript([b'{"error":"no"}'], status=status_code,
                                     headers={"Content-Type": "application/json", **headers},
                                     chunked=False))
    with pytest.raises(error) as caught:
        read(fake)
    assert TOKEN not in str(caught.value)
    if status_code == 429:
        assert caught.value.retry_after == 120


def test_an_answer_that_is_not_an_event_stream_is_malformed(fake):
    fake.script(PUBLIC, StreamScript([b"<html>maintenance</html>"],
                                     headers={"Content-Type": "text/html"}, chunked=False))
    with pytest.raises(MalformedResponse, match="text/html"):
        read(fake)


def test_unreachable_server_is_transient():
    unreachable = MastodonAdapter(credentials=_credentials(),
                                  config={"api_base_url": "http://127.0.0.1:9",
                                          "account_id": OWN_ID})
    with pytest.raises(TransientError):
        list(unreachable.stream(max_seconds=5, max_items=5))


def test_capability_flag_and_networks_without_streaming():
    assert MastodonAdapter.capabilities.streaming is True
    assert TelegramAdapter.capabilities.streaming is False

    class NoStream(TelegramAdapter):
        def __init__(self) -> None:  # no credentials needed to be refused
            pass

    with pytest.raises(NotSupported, match="telegram has no HTTP streaming"):
        NoStream().stream(max_seconds=1, max_items=1)
