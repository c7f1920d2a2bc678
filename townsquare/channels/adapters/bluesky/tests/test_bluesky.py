"""BlueskyAdapter against a local fake of the XRPC API (real HTTP, the atproto library's stack)."""

from __future__ import annotations

import copy
import datetime as dt
import email.utils
import json
import time

import pytest

from townsquare.channels.adapters.base import (
    Attachment,
    AuthExpired,
    ItemKind,
    MalformedResponse,
    NotSupported,
    PostRequest,
    RateLimited,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.bluesky.client import BlueskyAdapter
from townsquare.channels.adapters.bluesky.tests.support import (
    ACCESS,
    DID,
    NOW,
    X,
    assert_no_secrets,
    calls,
    load,
    make_adapter,
    plain,
)
from townsquare.channels.adapters.testing import FakeNetwork, FakeRequest, FakeResponse

# --- reading ---------------------------------------------------------------------------


def test_fetch_inbound_returns_mentions_replies_and_quotes_oldest_first(fake: FakeNetwork) -> None:
    fake.route(
        "GET",
        X + "app.bsky.notification.listNotifications",
        FakeResponse(200, load("list_notifications")),
    )
    adapter = make_adapter(fake)

    result = adapter.fetch_inbound(None)

    assert [item.kind for item in result.items] == [
        ItemKind.MENTION,
        ItemKind.REPLY,
        ItemKind.MENTION,
    ]
    own, reply, mention = result.items
    assert own.is_own is True and own.author_id == DID
    assert mention.is_own is False
    assert mention.text == "@transport.gov.example الحافلة رقم ٤٢ متأخرة مرة أخرى 🚌😞"
    assert mention.language == "ar"
    assert mention.author_name == "ليلى"
    assert mention.url == "https://bsky.app/profile/layla.bsky.social/post/3lk7q2zqd2c2a"
    assert reply.text == "地铁什么时候恢复运行？👨‍👩‍👧‍👦"
    assert (
        reply.in_reply_to
        == "at://did:plc:transport0000000000000000/app.bsky.feed.post/3lk7oaaaaaa2c"
    )
    assert reply.conversation_id == reply.in_reply_to
    assert result.gap is False
    request = calls(fake, "app.bsky.notification.listNotifications")[0]
    assert request.query["reasons"] == ["mention", "reply", "quote"]
    assert request.headers["authorization"] == f"Bearer {ACCESS}"
    # The first poll reads one page only: the past is not the inbox.
    assert len(calls(fake, "app.bsky.notification.listNotifications")) == 1
    assert json.loads(result.cursor or "")["t"].startswith("2025-03-04T10:20:42.101")


def test_polling_again_with_the_cursor_returns_nothing_old(fake: FakeNetwork) -> None:
    page = load("list_notifications")
    fake.route("GET", X + "app.bsky.notification.listNotifications", FakeResponse(200, page))
    adapter = make_adapter(fake)
    first = adapter.fetch_inbound(None)

    newer = copy.deepcopy(page["notifications"][0])
    newer["uri"] = newer["uri"].replace("3lk7q2zqd2c2a", "3lk7z9zzzzz2z")
    newer["indexedAt"] = "2025-03-04T10:30:00.000Z"
    page2 = {"cursor": "x", "notifications": [newer, *page["notifications"]]}
    fake.route("GET", X + "app.bsky.notification.listNotifications", FakeResponse(200, page2))

    second = adapter.fetch_inbound(first.cursor)
    assert [item.remote_id for item in second.items] == [newer["uri"]]
    assert second.gap is False

    third = adapter.fetch_inbound(second.cursor)
    assert third.items == []
    assert third.cursor == second.cursor


def test_a_cursor_beyond_the_page_budget_reports_a_gap(fake: FakeNetwork) -> None:
    counter = iter(range(10_000))

    def endless(request: FakeRequest) -> FakeResponse:
        n = next(counter)
        row = copy.deepcopy(load("list_notifications")["notifications"][0])
        row["uri"] = row["uri"] + str(n)
        row["indexedAt"] = (NOW - dt.timedelta(minutes=n)).isoformat()
        return FakeResponse(200, {"cursor": f"page{n}", "notifications": [row]})

    fake.route("GET", X + "app.bsky.notification.listNotifications", endless)
    adapter = make_adapter(fake, max_pages=3)
    old_cursor = json.dumps({"t": "2025-01-01T00:00:00+00:00", "seen": []})

    result = adapter.fetch_inbound(old_cursor)

    assert result.gap is True
    assert len(result.items) == 3
    assert len(fake.requests) == 3
    assert json.loads(result.cursor or "")["t"] == NOW.isoformat()


def test_an_unreadable_cursor_restarts_with_a_gap(fake: FakeNetwork) -> None:
    fake.route(
        "GET",
        X + "app.bsky.notification.listNotifications",
        FakeResponse(200, load("list_notifications")),
    )
    result = make_adapter(fake).fetch_inbound("{not json")
    assert result.gap is True
    assert len(result.items) == 3


def test_a_10000_character_post_is_kept_exactly(fake: FakeNetwork) -> None:
    long_text = ("مرحبا 你好 👩‍👩‍👧 " * 1000)[:10_000]
    page = load("list_notifications")
    page["notifications"][0]["record"]["text"] = long_text
    fake.route("GET", X + "app.bsky.notification.listNotifications", FakeResponse(200, page))
    items = make_adapter(fake).fetch_inbound(None).items
    assert items[-1].text == long_text


def test_fetch_profile_reads_followers(fake: FakeNetwork) -> None:
    fake.route("GET", X + "app.bsky.actor.getProfile", FakeResponse(200, load("get_profile")))
    profile = make_adapter(fake).fetch_profile()
    assert profile.followers == 48211
    assert profile.handle == "transport.gov.example"
    assert profile.display_name == "Ministry of Transport"
    assert calls(fake, "app.bsky.actor.getProfile")[0].query["actor"] == [DID]


def test_fetch_metrics_batches_25_uris_per_request(fake: FakeNetwork) -> None:
    fake.route("GET", X + "app.bsky.feed.getPosts", FakeResponse(200, load("get_posts")))
    uris = [f"at://{DID}/app.bsky.feed.post/3lk7oaaaaa{n:03d}" for n in range(30)]
    metrics = make_adapter(fake).fetch_metrics(uris)
    requests = calls(fake, "app.bsky.feed.getPosts")
    assert [len(r.query["uris"]) for r in requests] == [25, 5]
    assert metrics[0].likes == 141
    assert metrics[0].shares == 34  # reposts + quotes
    assert metrics[0].replies == 12


def test_search_returns_public_posts_and_marks_our_own(fake: FakeNetwork) -> None:
    fake.route("GET", X + "app.bsky.feed.searchPosts", FakeResponse(200, load("search_posts")))
    result = make_adapter(fake).search("bus lanes")
    assert [item.is_own for item in result.items] == [True, False]
    citizen = result.items[1]
    assert citizen.kind is ItemKind.POST
    assert citizen.text.endswith("👍🏽")
    assert citizen.attachment_urls[0].startswith("https://cdn.bsky.app/img/feed_fullsize/")
    assert calls(fake, "app.bsky.feed.searchPosts")[0].query["q"] == ["bus lanes"]


# --- writing ---------------------------------------------------------------------------


def _publish_routes(fake: FakeNetwork) -> None:
    fake.route(
        "POST", X + "com.atproto.repo.createRecord", FakeResponse(200, load("create_record"))
    )
    fake.route("POST", X + "com.atproto.repo.uploadBlob", FakeResponse(200, load("upload_blob")))
    fake.route(
        "GET", X + "com.atproto.identity.resolveHandle", FakeResponse(200, load("resolve_handle"))
    )


def test_publish_computes_facets_in_utf8_bytes_for_arabic_chinese_and_emoji(
    fake: FakeNetwork,
) -> None:
    _publish_routes(fake)
    text = "تحديث 🚇 地铁 👩‍👩‍👧 @health.bsky.social https://transport.gov.example/خط-٢ #交通"
    published = make_adapter(fake).publish(PostRequest(text=text, language="ar"))

    assert published.remote_id == load("create_record")["uri"]
    assert published.url == "https://bsky.app/profile/transport.gov.example/post/3lk7s2aaaaa2g"
    body = calls(fake, "com.atproto.repo.createRecord")[0].json()
    assert body["repo"] == DID and body["collection"] == "app.bsky.feed.post"
    record = body["record"]
    assert record["text"] == text
    assert record["langs"] == ["ar"]
    assert record["createdAt"] == "2025-03-04T12:00:00.000Z"
    encoded = text.encode("utf-8")
    spans = {
        facet["features"][0]["$type"].split("#")[1]: encoded[
            facet["index"]["byteStart"] : facet["index"]["byteEnd"]
        ].decode("utf-8")
        for facet in record["facets"]
    }
    assert spans == {
        "mention": "@health.bsky.social",
        "link": "https://transport.gov.example/خط-٢",
        "tag": "#交通",
    }
    mention = next(f for f in record["facets"] if "mention" in f["features"][0]["$type"])
    assert mention["features"][0]["did"] == "did:plc:health000000000000000000"


def test_an_unknown_handle_stays_plain_text(fake: FakeNetwork) -> None:
    _publish_routes(fake)
    fake.route(
        "GET",
        X + "com.atproto.identity.resolveHandle",
        FakeResponse(400, {"error": "InvalidRequest", "message": "Unable to resolve handle"}),
    )
    make_adapter(fake).publish(PostRequest(text="hi @nobody.example.com"))
    assert "facets" not in calls(fake, "com.atproto.repo.createRecord")[0].json()["record"]


def test_publish_uploads_images_with_alt_text(fake: FakeNetwork) -> None:
    _publish_routes(fake)
    image = Attachment(content=b"\x89PNG", mime_type="image/png", alt_text="خريطة الخط ٢ 🗺️")
    make_adapter(fake).publish(PostRequest(text="Map", attachments=(image, image)))

    uploads = calls(fake, "com.atproto.repo.uploadBlob")
    assert len(uploads) == 2
    assert uploads[0].body == b"\x89PNG"
    assert uploads[0].headers["content-type"] == "image/png"
    embed = calls(fake, "com.atproto.repo.createRecord")[0].json()["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert embed["images"][0]["alt"] == "خريطة الخط ٢ 🗺️"
    assert embed["images"][0]["image"]["ref"]["$link"].startswith("bafkrei")


@pytest.mark.parametrize(
    "post",
    [
        PostRequest(text="a" * 301),
        PostRequest(text="x", attachments=(Attachment(b"1", "image/png"),) * 5),
        PostRequest(text="x", attachments=(Attachment(b"1" * 1_000_001, "image/jpeg"),)),
        PostRequest(text="x", attachments=(Attachment(b"1", "video/mp4"),)),
    ],
)
def test_posts_over_the_limits_are_rejected_before_any_request(
    fake: FakeNetwork, post: PostRequest
) -> None:
    with pytest.raises(RemoteRejected):
        make_adapter(fake).publish(post)
    assert fake.requests == []


def test_300_zwj_emoji_fit_because_bluesky_counts_graphemes(fake: FakeNetwork) -> None:
    _publish_routes(fake)
    make_adapter(fake).publish(PostRequest(text="👩‍👩‍👧" * 100 + "你" * 200))
    assert len(calls(fake, "com.atproto.repo.createRecord")) == 1


def test_401_mid_publish_after_the_upload_is_auth_expired(fake: FakeNetwork) -> None:
    _publish_routes(fake)
    fake.route(
        "POST", X + "com.atproto.repo.createRecord", FakeResponse(401, load("error_expired_token"))
    )
    fake.route(
        "POST",
        X + "com.atproto.server.refreshSession",
        FakeResponse(400, load("error_expired_token")),
    )
    adapter = make_adapter(fake)
    with pytest.raises(AuthExpired) as caught:
        adapter.publish(PostRequest(text="x", attachments=(Attachment(b"img", "image/png"),)))
    assert len(calls(fake, "com.atproto.repo.uploadBlob")) == 1
    assert_no_secrets(str(caught.value), repr(caught.value))


def test_401_without_auto_refresh_is_auth_expired_at_once(fake: FakeNetwork) -> None:
    fake.route(
        "POST", X + "com.atproto.repo.createRecord", FakeResponse(401, load("error_expired_token"))
    )
    with pytest.raises(AuthExpired):
        make_adapter(fake, auto_refresh=False).publish(PostRequest(text="x"))
    assert calls(fake, "com.atproto.server.refreshSession") == []


def test_an_expired_access_jwt_is_refreshed_once_and_the_call_retried(fake: FakeNetwork) -> None:
    attempts: list[str] = []

    def create(request: FakeRequest) -> FakeResponse:
        attempts.append(request.headers["authorization"])
        if len(attempts) == 1:
            return FakeResponse(400, load("error_expired_token"))
        return FakeResponse(200, load("create_record"))

    fake.route("POST", X + "com.atproto.repo.createRecord", create)
    fake.route(
        "POST", X + "com.atproto.server.refreshSession", FakeResponse(200, load("refresh_session"))
    )
    adapter = make_adapter(fake)

    adapter.publish(PostRequest(text="hello"))

    fresh = load("refresh_session")
    assert attempts == [f"Bearer {ACCESS}", f"Bearer {fresh['accessJwt']}"]
    assert adapter.credentials.refresh_token == fresh["refreshJwt"]
    assert adapter.credentials.extra["did"] == DID


def test_reply_points_at_the_thread_root_and_the_parent(fake: FakeNetwork) -> None:
    _publish_routes(fake)
    parent = load("get_posts")
    root = {"uri": f"at://{DID}/app.bsky.feed.post/3lk7root00002", "cid": "bafyreirootcid"}
    parent["posts"][0]["record"]["reply"] = {"root": root, "parent": root}
    fake.route("GET", X + "app.bsky.feed.getPosts", FakeResponse(200, parent))

    make_adapter(fake).reply(parent["posts"][0]["uri"], PostRequest(text="Thanks!"))

    record = plain(calls(fake, "com.atproto.repo.createRecord")[0].json()["record"])
    assert record["reply"]["root"] == root
    assert record["reply"]["parent"] == {
        "uri": parent["posts"][0]["uri"],
        "cid": parent["posts"][0]["cid"],
    }


def test_replying_to_a_deleted_post_is_rejected(fake: FakeNetwork) -> None:
    fake.route("GET", X + "app.bsky.feed.getPosts", FakeResponse(200, {"posts": []}))
    with pytest.raises(RemoteRejected):
        make_adapter(fake).reply(f"at://{DID}/app.bsky.feed.post/3gone", PostRequest(text="x"))


def test_publish_thread_chains_root_and_parent(fake: FakeNetwork) -> None:
    counter = iter(range(100))

    def create(request: FakeRequest) -> FakeResponse:
        n = next(counter)
        return FakeResponse(200, {"uri": f"at://{DID}/app.bsky.feed.post/3t{n}", "cid": f"cid{n}"})

    fake.route("POST", X + "com.atproto.repo.createRecord", create)
    posts = [PostRequest(text=f"{n}/3") for n in (1, 2, 3)]
    published = make_adapter(fake).publish_thread(posts)

    assert [p.remote_id for p in published] == [
        f"at://{DID}/app.bsky.feed.post/3t{n}" for n in range(3)
    ]
    records = [plain(r.json()["record"]) for r in calls(fake, "com.atproto.repo.createRecord")]
    first = {"uri": f"at://{DID}/app.bsky.feed.post/3t0", "cid": "cid0"}
    assert "reply" not in records[0]
    assert records[1]["reply"] == {"root": first, "parent": first}
    assert records[2]["reply"] == {
        "root": first,
        "parent": {"uri": f"at://{DID}/app.bsky.feed.post/3t1", "cid": "cid1"},
    }


def test_edit_is_not_supported(fake: FakeNetwork) -> None:
    with pytest.raises(NotSupported):
        make_adapter(fake).edit(f"at://{DID}/app.bsky.feed.post/3x", "new")
    assert BlueskyAdapter.capabilities.edits is False


def test_delete_removes_our_record_only(fake: FakeNetwork) -> None:
    fake.route(
        "POST",
        X + "com.atproto.repo.deleteRecord",
        FakeResponse(200, {"commit": {"cid": "c", "rev": "r"}}),
    )
    adapter = make_adapter(fake)
    adapter.delete(f"at://{DID}/app.bsky.feed.post/3lk7s2aaaaa2g")
    assert calls(fake, "com.atproto.repo.deleteRecord")[0].json() == {
        "repo": DID,
        "collection": "app.bsky.feed.post",
        "rkey": "3lk7s2aaaaa2g",
    }
    with pytest.raises(RemoteRejected):
        adapter.delete("at://did:plc:someoneelse/app.bsky.feed.post/3x")


# --- failures --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {
                "ratelimit-limit": "3000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(int(NOW.timestamp()) + 90),
            },
            90.0,
        ),
        ({"Retry-After": "30"}, 30.0),
        (
            {
                "Retry-After": email.utils.format_datetime(
                    NOW + dt.timedelta(seconds=120), usegmt=True
                )
            },
            None,
        ),
        ({}, None),
    ],
)
def test_429_maps_to_rate_limited_with_the_delay(
    fake: FakeNetwork, headers: dict[str, str], expected: float | None
) -> None:
    fake.route(
        "GET", X + "app.bsky.actor.getProfile", FakeResponse(429, load("error_rate_limit"), headers)
    )
    with pytest.raises(RateLimited) as caught:
        make_adapter(fake).fetch_profile()
    if "Retry-After" in headers and expected is None:
        # An HTTP date: measured against the real clock, so just a sane positive number.
        assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 15 * 60
    else:
        assert caught.value.retry_after == expected


def test_a_timeout_is_transient(fake: FakeNetwork) -> None:
    def slow(request: FakeRequest) -> FakeResponse:
        time.sleep(0.6)
        return FakeResponse(200, load("get_profile"))

    fake.route("GET", X + "app.bsky.actor.getProfile", slow)
    with pytest.raises(TransientError):
        make_adapter(fake, timeout_seconds=0.2).fetch_profile()


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(fake: FakeNetwork, status: int) -> None:
    fake.route(
        "GET",
        X + "app.bsky.actor.getProfile",
        FakeResponse(status, {"error": "InternalServerError"}),
    )
    with pytest.raises(TransientError):
        make_adapter(fake).fetch_profile()


def test_a_refused_request_is_remote_rejected_with_the_error_name(fake: FakeNetwork) -> None:
    fake.route(
        "POST",
        X + "com.atproto.repo.createRecord",
        FakeResponse(400, load("error_invalid_request")),
    )
    with pytest.raises(RemoteRejected, match="InvalidRequest"):
        make_adapter(fake).publish(PostRequest(text="x"))


@pytest.mark.parametrize(
    "body",
    [b'{"notifications": [', b'{"notifications": [], "cursor": "\xff\xfe"}', b"<html>oops</html>"],
)
def test_malformed_or_invalid_utf8_json_is_malformed_response(
    fake: FakeNetwork, body: bytes
) -> None:
    fake.route(
        "GET",
        X + "app.bsky.notification.listNotifications",
        FakeResponse(200, body, {"Content-Type": "application/json"}),
    )
    with pytest.raises(MalformedResponse):
        make_adapter(fake).fetch_inbound(None)


def test_a_response_missing_documented_fields_is_malformed(fake: FakeNetwork) -> None:
    fake.route("GET", X + "app.bsky.actor.getProfile", FakeResponse(200, {"unexpected": True}))
    with pytest.raises(MalformedResponse):
        make_adapter(fake).fetch_profile()
