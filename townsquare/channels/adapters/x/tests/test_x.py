"""XAdapter against a local fake of the X API v2 (real HTTP through tweepy's requests stack)."""

from __future__ import annotations

import copy
import datetime as dt
import email.utils
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from townsquare.channels.adapters.base import (
    Attachment,
    AuthExpired,
    Credentials,
    ItemKind,
    MalformedResponse,
    NotSupported,
    PostRequest,
    RateLimited,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.testing import FakeNetwork, FakeRequest, FakeResponse
from townsquare.channels.adapters.x.client import XAdapter, XConfig

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ME = "1500000000000000001"
TOKEN = "x-access-SECRET-token"
NOW = dt.datetime(2025, 3, 4, 12, 0, tzinfo=dt.UTC)
MENTIONS = f"/2/users/{ME}/mentions"


def load(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))



def make_adapter(
    fake: FakeNetwork, *, scope: str = "tweet.read users.read", **config: Any
) -> XAdapter:
    extra = {"user_id": ME, "username": "TransportGov", "scope": scope}
    adapter = XAdapter(
        credentials=Credentials(access_token=TOKEN, refresh_token="r-SECRET", extra=extra),
        config={"api_host": fake.url, "timeout_seconds": 2, **config},
    )
    adapter.clock = lambda: NOW
    return adapter


def calls(fake: FakeNetwork, method: str, path: str) -> list[FakeRequest]:
    return [r for r in fake.requests if r.method == method and r.path == path]


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        assert "SECRET" not in text


# --- configuration ---------------------------------------------------------------------


def test_bad_config_gives_a_clear_error_without_values() -> None:
    with pytest.raises(ValueError, match="page_size") as caught:
        XConfig.from_mapping({"page_size": 5000, "api_key": "SECRET-key"})
    assert "api_key" in str(caught.value)
    assert_no_secrets(str(caught.value))


def test_repr_hides_the_token(fake: FakeNetwork) -> None:
    adapter = make_adapter(fake)
    assert_no_secrets(repr(adapter), repr(adapter.credentials), repr(adapter.api))


def test_no_token_reaches_the_logs_even_at_debug(
    fake: FakeNetwork, caplog: pytest.LogCaptureFixture
) -> None:
    fake.route("GET", "/2/users/me", FakeResponse(200, load("users_me")))
    with caplog.at_level(logging.DEBUG):
        make_adapter(fake).fetch_profile()
    assert caplog.records  # something was logged
    assert_no_secrets(caplog.text)


# --- reading ---------------------------------------------------------------------------


def test_fetch_profile(fake: FakeNetwork) -> None:
    fake.route("GET", "/2/users/me", FakeResponse(200, load("users_me")))
    profile = make_adapter(fake).fetch_profile()
    assert profile.followers == 152340
    assert profile.handle == "TransportGov"
    request = calls(fake, "GET", "/2/users/me")[0]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert "public_metrics" in request.query["user.fields"][0]


def test_fetch_inbound_mentions_oldest_first_with_our_own_marked(fake: FakeNetwork) -> None:
    fake.route("GET", MENTIONS, FakeResponse(200, load("mentions")))
    result = make_adapter(fake).fetch_inbound(None)

    own, reply, mention = result.items
    assert own.is_own is True
    assert reply.kind is ItemKind.REPLY and reply.is_own is False
    assert reply.in_reply_to == "1897000000000000100"
    assert reply.conversation_id == "1897000000000000100"
    assert reply.text == "@TransportGov 地铁什么时候恢复运行？👨‍👩‍👧‍👦"
    assert mention.kind is ItemKind.MENTION
    assert mention.text == "@TransportGov الحافلة رقم ٤٢ متأخرة مرة أخرى 🚌😞"
    assert mention.author_handle == "layla_s" and mention.author_name == "ليلى"
    assert mention.url == "https://x.com/layla_s/status/1897000000000000300"
    assert mention.created_at == dt.datetime(2025, 3, 4, 10, 20, 41, tzinfo=dt.UTC)
    assert json.loads(result.cursor or "") == {"mentions": 1897000000000000300}
    request = calls(fake, "GET", MENTIONS)[0]
    assert "since_id" not in request.query
    assert request.query["expansions"] == ["author_id"]
    # No dm.read scope: no DM request.
    assert calls(fake, "GET", "/2/dm_events") == []


def test_the_next_poll_sends_since_id(fake: FakeNetwork) -> None:
    fake.route("GET", MENTIONS, FakeResponse(200, {"meta": {"result_count": 0}}))
    result = make_adapter(fake).fetch_inbound(json.dumps({"mentions": 1897000000000000300}))
    assert result.items == []
    assert calls(fake, "GET", MENTIONS)[0].query["since_id"] == ["1897000000000000300"]
    assert json.loads(result.cursor or "") == {"mentions": 1897000000000000300}


def test_the_user_id_is_looked_up_once_when_missing(fake: FakeNetwork) -> None:
    fake.route("GET", "/2/users/me", FakeResponse(200, load("users_me")))
    fake.route("GET", MENTIONS, FakeResponse(200, load("mentions")))
    adapter = XAdapter(credentials=Credentials(access_token=TOKEN), config={"api_host": fake.url})
    adapter.fetch_inbound(None)
    adapter.fetch_inbound(None)
    assert len(calls(fake, "GET", "/2/users/me")) == 1


def test_direct_messages_are_read_with_the_dm_scope(fake: FakeNetwork) -> None:
    fake.route("GET", MENTIONS, FakeResponse(200, {"meta": {"result_count": 0}}))
    fake.route("GET", "/2/dm_events", FakeResponse(200, load("dm_events")))
    adapter = make_adapter(fake, scope="tweet.read users.read dm.read offline.access")

    result = adapter.fetch_inbound(None)

    citizen, ours = result.items
    assert citizen.kind is ItemKind.DIRECT_MESSAGE and citizen.is_own is False
    assert citizen.conversation_id == "1500000000000000001-2244994945"
    assert ours.is_own is True
    assert json.loads(result.cursor or "")["dm"] == 1897000000000000900
    assert calls(fake, "GET", "/2/dm_events")[0].query["event_types"] == ["MessageCreate"]

    # Next poll: the DM endpoint has no since_id, older events are dropped here.
    again = adapter.fetch_inbound(result.cursor)
    assert again.items == []


def test_running_out_of_pages_before_the_cursor_is_a_gap(fake: FakeNetwork) -> None:
    counter = iter(range(1000))

    def endless(request: FakeRequest) -> FakeResponse:
        n = next(counter)
        row = copy.deepcopy(load("mentions")["data"][0])
        row["id"] = str(1897000000000000300 - n)
        return FakeResponse(
            200, {"data": [row], "meta": {"next_token": f"t{n}", "result_count": 1}}
        )

    fake.route("GET", MENTIONS, endless)
    result = make_adapter(fake, max_pages=3).fetch_inbound(json.dumps({"mentions": 1}))
    assert result.gap is True
    assert len(result.items) == 3
    assert len(fake.requests) == 3
    assert calls(fake, "GET", MENTIONS)[1].query["pagination_token"] == ["t0"]


def test_an_unreadable_cursor_is_reported_as_a_gap(fake: FakeNetwork) -> None:
    fake.route("GET", MENTIONS, FakeResponse(200, load("mentions")))
    assert make_adapter(fake).fetch_inbound("garbage").gap is True


def test_a_10000_character_mention_is_kept_exactly(fake: FakeNetwork) -> None:
    text = ("مرحبا 你好 👩‍👩‍👧 " * 1000)[:10_000]
    body = load("mentions")
    body["data"][0]["text"] = text
    fake.route("GET", MENTIONS, FakeResponse(200, body))
    assert make_adapter(fake).fetch_inbound(None).items[-1].text == text


def test_invalid_utf8_is_replaced_not_fatal(fake: FakeNetwork) -> None:
    body = json.dumps(load("mentions"), ensure_ascii=False).encode("utf-8")
    body = body.replace("الحافلة".encode(), b"\xff\xfe")
    fake.route("GET", MENTIONS, FakeResponse(200, body, {"Content-Type": "application/json"}))
    items = make_adapter(fake).fetch_inbound(None).items
    assert items[-1].text.startswith("@TransportGov \ufffd\ufffd رقم ٤٢")


def test_search_recent(fake: FakeNetwork) -> None:
    fake.route("GET", "/2/tweets/search/recent", FakeResponse(200, load("search_recent")))
    adapter = make_adapter(fake)
    result = adapter.search("bus lanes -is:retweet")
    assert [item.kind for item in result.items] == [ItemKind.POST]
    assert result.items[0].text.endswith("👍🏽")
    adapter.search("bus lanes -is:retweet", result.cursor)
    second = calls(fake, "GET", "/2/tweets/search/recent")[1]
    assert second.query["query"] == ["bus lanes -is:retweet"]
    assert second.query["since_id"] == ["1897000000000000500"]


def test_fetch_metrics(fake: FakeNetwork) -> None:
    fake.route("GET", "/2/tweets", FakeResponse(200, load("tweets_metrics")))
    (metrics,) = make_adapter(fake).fetch_metrics(["1897000000000001000"])
    assert (metrics.likes, metrics.shares, metrics.replies, metrics.impressions) == (
        141,
        34,
        12,
        20311,
    )
    request = calls(fake, "GET", "/2/tweets")[0]
    assert request.query["ids"] == ["1897000000000001000"]
    assert request.query["tweet.fields"] == ["public_metrics"]


# --- writing ---------------------------------------------------------------------------


def test_publish_posts_the_text(fake: FakeNetwork) -> None:
    fake.route("POST", "/2/tweets", FakeResponse(201, load("create_tweet")))
    text = "تحديث 🚇 地铁 👩‍👩‍👧 https://transport.gov.example/خط-٢"
    published = make_adapter(fake).publish(PostRequest(text=text))
    assert published.remote_id == "1897000000000001000"
    assert published.url == "https://x.com/TransportGov/status/1897000000000001000"
    assert calls(fake, "POST", "/2/tweets")[0].json() == {"text": text}


def test_reply_and_thread_name_the_tweet_replied_to(fake: FakeNetwork) -> None:
    counter = iter(range(100))

    def create(request: FakeRequest) -> FakeResponse:
        return FakeResponse(201, {"data": {"id": str(1000 + next(counter)), "text": "x"}})

    fake.route("POST", "/2/tweets", create)
    adapter = make_adapter(fake)
    adapter.reply("999", PostRequest(text="Thanks"))
    adapter.publish_thread([PostRequest(text="1/2"), PostRequest(text="2/2")])
    bodies = [r.json() for r in calls(fake, "POST", "/2/tweets")]
    assert bodies[0]["reply"] == {"in_reply_to_tweet_id": "999"}
    assert "reply" not in bodies[1]
    assert bodies[2]["reply"] == {"in_reply_to_tweet_id": "1001"}


def test_publish_uploads_media_with_alt_text(fake: FakeNetwork) -> None:
    fake.route("POST", "/2/media/upload", FakeResponse(200, load("media_upload")))
    fake.route("POST", "/2/media/metadata", FakeResponse(200, load("media_metadata")))
    fake.route("POST", "/2/tweets", FakeResponse(201, load("create_tweet")))
    image = Attachment(content=b"\x89PNG", mime_type="image/png", alt_text="خريطة الخط ٢ 🗺️")

    make_adapter(fake).publish(PostRequest(text="Map", attachments=(image,)))

    upload = calls(fake, "POST", "/2/media/upload")[0]
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert b"\x89PNG" in upload.body and b"tweet_image" in upload.body
    assert calls(fake, "POST", "/2/media/metadata")[0].json() == {
        "id": "1880028106020515840",
        "metadata": {"alt_text": {"text": "خريطة الخط ٢ 🗺️"}},
    }
    tweet = calls(fake, "POST", "/2/tweets")[0].json()
    assert tweet["media"] == {"media_ids": ["1880028106020515840"]}


def test_401_mid_publish_after_the_upload_is_auth_expired(fake: FakeNetwork) -> None:
    fake.route("POST", "/2/media/upload", FakeResponse(200, load("media_upload")))
    fake.route("POST", "/2/tweets", FakeResponse(401, load("error_unauthorized")))
    with pytest.raises(AuthExpired) as caught:
        make_adapter(fake).publish(
            PostRequest(text="x", attachments=(Attachment(b"i", "image/png"),))
        )
    assert len(calls(fake, "POST", "/2/media/upload")) == 1
    assert_no_secrets(str(caught.value), repr(caught.value))


@pytest.mark.parametrize(
    "post",
    [
        PostRequest(text="你" * 141),
        PostRequest(text="a" * 281),
        PostRequest(text="x", attachments=(Attachment(b"1", "image/png"),) * 5),
        PostRequest(text="x", attachments=(Attachment(b"1" * (5 * 1024 * 1024 + 1), "image/png"),)),
        PostRequest(text="x", attachments=(Attachment(b"1", "application/pdf"),)),
    ],
)
def test_posts_over_the_limits_are_rejected_before_any_request(
    fake: FakeNetwork, post: PostRequest
) -> None:
    with pytest.raises(RemoteRejected):
        make_adapter(fake).publish(post)
    assert fake.requests == []


def test_a_refused_tweet_is_remote_rejected_with_the_reason(fake: FakeNetwork) -> None:
    fake.route("POST", "/2/tweets", FakeResponse(403, load("error_duplicate")))
    with pytest.raises(RemoteRejected, match="duplicate content"):
        make_adapter(fake).publish(PostRequest(text="same again"))


def test_edit_is_not_supported(fake: FakeNetwork) -> None:
    with pytest.raises(NotSupported):
        make_adapter(fake).edit("1", "new text")


def test_delete(fake: FakeNetwork) -> None:
    fake.route("DELETE", "/2/tweets/*", FakeResponse(200, load("delete_tweet")))
    make_adapter(fake).delete("1897000000000001000")
    assert calls(fake, "DELETE", "/2/tweets/1897000000000001000")
    fake.route("DELETE", "/2/tweets/*", FakeResponse(200, {"data": {"deleted": False}}))
    with pytest.raises(RemoteRejected):
        make_adapter(fake).delete("1897000000000001000")


# --- failures --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {
                "x-rate-limit-limit": "300",
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(NOW.timestamp()) + 600),
            },
            600.0,
        ),
        ({"Retry-After": "45"}, 45.0),
        (
            {
                "Retry-After": email.utils.format_datetime(
                    NOW + dt.timedelta(seconds=90), usegmt=True
                )
            },
            90.0,
        ),
        ({}, None),
    ],
)
def test_429_maps_to_rate_limited_with_the_delay(
    fake: FakeNetwork, headers: dict[str, str], expected: float | None
) -> None:
    fake.route("GET", "/2/users/me", FakeResponse(429, load("error_too_many_requests"), headers))
    adapter = make_adapter(fake)
    with pytest.raises(RateLimited) as caught:
        adapter.fetch_profile()
    assert caught.value.retry_after == expected


def test_a_timeout_is_transient(fake: FakeNetwork) -> None:
    def slow(request: FakeRequest) -> FakeResponse:
        time.sleep(0.6)
        return FakeResponse(200, load("users_me"))

    fake.route("GET", "/2/users/me", slow)
    with pytest.raises(TransientError):
        make_adapter(fake, timeout_seconds=0.2).fetch_profile()


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(fake: FakeNetwork, status: int) -> None:
    fake.route("GET", "/2/users/me", FakeResponse(status, {"title": "Service Unavailable"}))
    with pytest.raises(TransientError):
        make_adapter(fake).fetch_profile()


@pytest.mark.parametrize("body", [b'{"data": [', b"<html>oops</html>", b"[1, 2]"])
def test_malformed_json_is_malformed_response(fake: FakeNetwork, body: bytes) -> None:
    fake.route("GET", MENTIONS, FakeResponse(200, body, {"Content-Type": "application/json"}))
    with pytest.raises(MalformedResponse):
        make_adapter(fake).fetch_inbound(None)
