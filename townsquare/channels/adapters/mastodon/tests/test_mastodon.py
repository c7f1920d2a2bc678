"""MastodonAdapter against a local fake of Mastodon's documented client API."""

from __future__ import annotations

import datetime as dt
import email.utils
import time

import pytest

from townsquare.channels.adapters.base import (
    Attachment,
    AuthExpired,
    Credentials,
    ItemKind,
    MalformedResponse,
    PostRequest,
    RateLimited,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.mastodon.client import MastodonAdapter, MastodonConfigError
from townsquare.channels.adapters.mastodon.tests.fakes import (
    OWN_ID,
    TOKEN,
    NotificationStore,
    adapter_for,
    fixture,
    mention,
    ok,
)
from townsquare.channels.adapters.registry import adapter_class
from townsquare.channels.adapters.testing import FakeRequest, FakeResponse

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32



def test_registry_points_at_this_adapter():
    assert adapter_class("mastodon") is MastodonAdapter


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"api_base_url": "social.example"},
        {"api_base_url": "https://x", "page_size": 200},
        {"api_base_url": "https://x", "unknown": 1},
    ],
)
def test_bad_config_is_a_clear_error(config):
    with pytest.raises(MastodonConfigError, match="Mastodon settings are not valid"):
        MastodonAdapter(credentials=Credentials(access_token=TOKEN), config=config)


def test_a_missing_token_is_refused():
    with pytest.raises(MastodonConfigError, match="access token"):
        MastodonAdapter(credentials=Credentials(), config={"api_base_url": "https://x.example"})


def test_profile_and_the_token_is_sent_as_bearer(fake):
    fake.route("GET", "/api/v1/accounts/verify_credentials", ok(fixture("account")))
    profile = adapter_for(fake, account_id="").fetch_profile()
    assert profile.remote_id == OWN_ID
    assert profile.followers == 1523
    assert profile.display_name == "Transport Agency"
    assert profile.handle == "@transport@127.0.0.1"
    assert fake.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_inbound_mentions_replies_and_direct_messages(fake):
    notifications = [
        fixture("notification_mention"),
        fixture("notification_reply"),
        fixture("notification_direct"),
    ]
    fake.route("GET", "/api/v1/notifications", ok(list(reversed(notifications))))
    result = adapter_for(fake).fetch_inbound("34975000")
    assert [item.kind for item in result.items] == [
        ItemKind.MENTION,
        ItemKind.REPLY,
        ItemKind.DIRECT_MESSAGE,
    ]
    assert result.cursor == "34975880"
    assert result.gap is False
    arabic, chinese, direct = result.items
    assert arabic.text == "@transport الحافلة رقم 12 متأخرة ساعة كاملة اليوم 😡\nهل من تفسير؟"
    assert arabic.author_handle == "@layla@other.example"
    assert arabic.author_name == "ليلى 🌸"
    assert arabic.language == "ar"
    assert arabic.created_at == dt.datetime(2024, 5, 2, 10, 15, tzinfo=dt.UTC)
    assert arabic.is_own is False
    assert chinese.text.endswith("👨\u200d👩\u200d👧")  # the ZWJ sequence is kept whole
    assert chinese.in_reply_to == "103270115826048975"
    assert direct.remote_id == "110250000000000300"
    assert direct.raw["visibility"] == "direct"
    assert arabic.raw == fixture("notification_mention")["status"]  # exactly as sent
    query = fake.requests[0].query
    assert query["types[]"] == ["mention"]
    assert query["since_id"] == ["34975000"]


def test_first_poll_without_cursor_reads_the_newest_page(fake):
    fake.route("GET", "/api/v1/notifications", NotificationStore([mention(i) for i in range(1, 6)]))
    result = adapter_for(fake).fetch_inbound(None)
    assert len(result.items) == 5
    assert result.cursor == "5"
    assert "since_id" not in fake.requests[0].query


def test_no_news_keeps_the_cursor(fake):
    fake.route("GET", "/api/v1/notifications", ok([]))
    result = adapter_for(fake).fetch_inbound("77")
    assert result.items == []
    assert result.cursor == "77"


def test_own_post_echoed_back_is_marked_own(fake):
    fake.route("GET", "/api/v1/notifications", ok([mention(9, author_id=OWN_ID)]))
    (item,) = adapter_for(fake).fetch_inbound("1").items
    assert item.is_own is True


def test_own_account_id_is_looked_up_when_not_configured(fake):
    fake.route("GET", "/api/v1/accounts/verify_credentials", ok(fixture("account")))
    fake.route("GET", "/api/v1/notifications", ok([mention(9, author_id=OWN_ID), mention(8)]))
    items = adapter_for(fake, account_id="").fetch_inbound("1").items
    assert [item.is_own for item in items] == [False, True]


def test_full_pages_are_followed_back_to_the_cursor_without_a_gap(fake):
    store = NotificationStore([mention(i) for i in range(1, 26)])
    fake.route("GET", "/api/v1/notifications", store)
    result = adapter_for(fake, page_size=10, max_pages=5).fetch_inbound("3")
    ids = [int(item.remote_id) - 110250000000000000 for item in result.items]
    assert ids == list(range(4, 26))  # oldest first, nothing missed, nothing twice
    assert result.gap is False
    assert result.cursor == "25"
    assert [r.query.get("max_id") for r in fake.requests] == [None, ["16"], ["6"]]


def test_a_backlog_beyond_the_page_bound_is_reported_as_a_gap(fake):
    fake.route(
        "GET", "/api/v1/notifications", NotificationStore([mention(i) for i in range(1, 101)])
    )
    result = adapter_for(fake, page_size=10, max_pages=3).fetch_inbound("1")
    assert result.gap is True
    assert len(result.items) == 30
    assert result.cursor == "100"
    assert len(fake.requests) == 3  # bounded: never hammers the server


def test_a_10000_character_post_with_emoji_is_kept_exactly(fake):
    long_text = ("مرحبا 👩🏽\u200d💻 你好 " * 1000)[:10_000]
    fake.route("GET", "/api/v1/notifications", ok([mention(5, text=long_text)]))
    (item,) = adapter_for(fake).fetch_inbound("1").items
    assert item.text == long_text


def test_invalid_utf8_in_a_payload_is_replaced_not_fatal(fake):
    body = (
        b'[{"id":"5","type":"mention","created_at":"2024-05-02T10:15:01.000Z",'
        b'"account":{"id":"1","acct":"a"},"status":{"id":"50","created_at":'
        b'"2024-05-02T10:15:00.000Z","content":"<p>bad \xff\xfe byte</p>",'
        b'"visibility":"public","account":{"id":"1","acct":"a","display_name":"A"}}}]'
    )
    fake.route(
        "GET",
        "/api/v1/notifications",
        FakeResponse(200, body, {"Content-Type": "application/json"}),
    )
    (item,) = adapter_for(fake).fetch_inbound("1").items
    assert item.text.startswith("bad ")
    assert "\ufffd" in item.text


def test_malformed_json_is_reported(fake):
    fake.route(
        "GET",
        "/api/v1/notifications",
        FakeResponse(200, b"{not json", {"Content-Type": "application/json"}),
    )
    with pytest.raises(MalformedResponse):
        adapter_for(fake).fetch_inbound("1")


def test_a_notification_list_of_the_wrong_shape_is_malformed(fake):
    fake.route("GET", "/api/v1/notifications", ok({"error": "surprise"}))
    with pytest.raises(MalformedResponse):
        adapter_for(fake).fetch_inbound("1")


def test_publish_uploads_media_with_alt_text_and_sends_the_idempotency_key(fake):
    fake.route("POST", "/api/v2/media", ok(fixture("media_attachment")))
    fake.route("POST", "/api/v1/statuses", ok(fixture("status")))
    post = PostRequest(
        text="Bus route 12 now runs every 10 minutes 🚌",
        attachments=(Attachment(PNG, "image/png", alt_text="خريطة الخط 12", filename="map.png"),),
        idempotency_key="draft-42-v1",
        language="en",
    )
    published = adapter_for(fake).publish(post)
    assert published.remote_id == "103270115826048975"
    assert published.url == "https://social.example/@transport/103270115826048975"
    assert published.published_at == dt.datetime(2024, 5, 2, 9, 30, tzinfo=dt.UTC)
    upload = next(r for r in fake.requests if r.path == "/api/v2/media")
    assert b'name="description"' in upload.body
    assert "خريطة الخط 12".encode() in upload.body
    assert PNG in upload.body
    create = next(r for r in fake.requests if r.path == "/api/v1/statuses")
    assert create.headers["idempotency-key"] == "draft-42-v1"
    form = create.form()
    assert form["media_ids[]"] == ["22345792"]
    assert form["status"] == ["Bus route 12 now runs every 10 minutes 🚌"]
    assert form["visibility"] == ["public"]
    assert form["language"] == ["en"]


def test_video_still_processing_is_polled_until_ready(fake):
    pending = fixture("media_attachment") | {"url": None, "type": "video"}
    fake.route("POST", "/api/v2/media", ok(pending, status=202))
    polls = iter([ok(pending, 206), ok(fixture("media_attachment"))])
    fake.route("GET", "/api/v1/media/*", lambda request: next(polls))
    fake.route("POST", "/api/v1/statuses", ok(fixture("status")))
    adapter = adapter_for(fake, media_poll_interval=0)
    adapter.publish(PostRequest(text="video", attachments=(Attachment(b"mp4", "video/mp4"),)))
    assert sum(r.path == "/api/v1/media/22345792" for r in fake.requests) == 2


def test_thread_replies_to_the_previous_post(fake):
    counter = iter(range(1, 10))

    def create(request: FakeRequest) -> FakeResponse:
        return ok(fixture("status") | {"id": str(next(counter))})

    fake.route("POST", "/api/v1/statuses", create)
    posts = adapter_for(fake).publish_thread([PostRequest(text=t) for t in ("one", "two", "three")])
    assert [p.remote_id for p in posts] == ["1", "2", "3"]
    creates = [r.form() for r in fake.requests if r.path == "/api/v1/statuses"]
    assert [c.get("in_reply_to_id") for c in creates] == [None, ["1"], ["2"]]


def test_reply_to_a_direct_message_stays_direct_and_mentions_the_author(fake):
    direct = fixture("notification_direct")["status"]
    fake.route("GET", f"/api/v1/statuses/{direct['id']}", ok(direct))
    fake.route("POST", "/api/v1/statuses", ok(fixture("status")))
    adapter_for(fake).reply(
        direct["id"], PostRequest(text="We will refund you.", idempotency_key="r1")
    )
    form = next(r for r in fake.requests if r.method == "POST").form()
    assert form["visibility"] == ["direct"]
    assert form["status"] == ["@layla@other.example We will refund you."]
    assert form["in_reply_to_id"] == [direct["id"]]


def test_too_long_text_is_refused_before_anything_is_sent(fake):
    fake.route("GET", "/api/v2/instance/", ok(fixture("instance_v2")))
    adapter = adapter_for(fake)
    with pytest.raises(RemoteRejected, match="501 characters, the limit is 500"):
        adapter.publish(PostRequest(text="x" * 501))
    assert all(r.method == "GET" for r in fake.requests)


def test_links_count_23_and_the_instance_limit_is_used(fake):
    instance = fixture("instance_v2")
    instance["configuration"]["statuses"]["max_characters"] = 100
    fake.route("GET", "/api/v2/instance/", ok(instance))  # Mastodon.py adds the slash
    fake.route("POST", "/api/v1/statuses", ok(fixture("status")))
    adapter = adapter_for(fake)
    assert adapter.max_characters() == 100
    adapter.publish(PostRequest(text="y" * 70 + " https://example.org/" + "a" * 200))
    with pytest.raises(RemoteRejected):
        adapter.publish(PostRequest(text="y" * 101))


def test_the_limit_falls_back_to_v1_then_to_500(fake):
    fake.route(
        "GET",
        "/api/v1/instance/",
        ok(fixture("instance_v1") | {"configuration": {}, "max_toot_chars": 5000}),
    )
    assert adapter_for(fake).max_characters() == 5000
    fake.routes.clear()
    assert adapter_for(fake).max_characters() == 500


def test_401_in_the_middle_of_a_publish(fake):
    fake.route("POST", "/api/v2/media", ok(fixture("media_attachment")))
    fake.route("POST", "/api/v1/statuses", ok(fixture("error_401"), status=401))
    adapter = adapter_for(fake)
    with pytest.raises(AuthExpired) as caught:
        adapter.publish(PostRequest(text="hi", attachments=(Attachment(PNG, "image/png"),)))
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value)
    assert TOKEN not in repr(adapter)
    assert caught.value.__cause__ is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({"Retry-After": "HTTP-DATE"}, "about 60"),
        ({}, None),
    ],
)
def test_429_with_each_retry_after_form(fake, headers, expected):
    if headers.get("Retry-After") == "HTTP-DATE":
        headers = {"Retry-After": email.utils.formatdate(time.time() + 60, usegmt=True)}
    fake.route("POST", "/api/v1/statuses", FakeResponse(429, fixture("error_429"), headers))
    with pytest.raises(RateLimited) as caught:
        adapter_for(fake).publish(PostRequest(text="hi"))
    if expected == "about 60":
        assert 50 <= caught.value.retry_after <= 61
    else:
        assert caught.value.retry_after == expected


def test_429_with_mastodons_own_reset_header(fake):
    reset = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=300)).isoformat()
    fake.route(
        "GET",
        "/api/v1/notifications",
        FakeResponse(429, fixture("error_429"), {"X-RateLimit-Reset": reset}),
    )
    with pytest.raises(RateLimited) as caught:
        adapter_for(fake).fetch_inbound("1")
    assert 290 <= caught.value.retry_after <= 301


def test_a_timeout_is_transient(fake):
    def slow(request: FakeRequest) -> FakeResponse:
        time.sleep(0.6)
        return ok([])

    fake.route("GET", "/api/v1/notifications", slow)
    with pytest.raises(TransientError):
        adapter_for(fake, timeout_seconds=0.2).fetch_inbound("1")


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(fake, status):
    fake.route("GET", "/api/v1/notifications", FakeResponse(status, b"<html>oops</html>"))
    with pytest.raises(TransientError):
        adapter_for(fake).fetch_inbound("1")


def test_a_refusal_carries_mastodons_reason(fake):
    fake.route("POST", "/api/v1/statuses", ok(fixture("error_422"), status=422))
    with pytest.raises(RemoteRejected, match="character limit"):
        adapter_for(fake).publish(PostRequest(text="hi"))


def test_edit_and_delete(fake):
    edited = fixture("status") | {"edited_at": "2024-05-02T11:00:00.000Z"}
    fake.route("PUT", "/api/v1/statuses/103270115826048975", ok(edited))
    fake.route("DELETE", "/api/v1/statuses/103270115826048975", ok(fixture("status_deleted")))
    fake.route("DELETE", "/api/v1/statuses/404", ok(fixture("error_404"), status=404))
    adapter = adapter_for(fake)
    result = adapter.edit("103270115826048975", "Corrected: every 12 minutes")
    assert result.published_at == dt.datetime(2024, 5, 2, 11, tzinfo=dt.UTC)
    put = next(r for r in fake.requests if r.method == "PUT")
    assert put.form()["status"] == ["Corrected: every 12 minutes"]
    adapter.delete("103270115826048975")
    adapter.delete("404")  # already gone: deleted all the same
    assert [r.path for r in fake.requests if r.method == "DELETE"] == [
        "/api/v1/statuses/103270115826048975",
        "/api/v1/statuses/404",
    ]


def test_metrics_leave_out_deleted_posts(fake):
    fake.route("GET", "/api/v1/statuses/103270115826048975", ok(fixture("status")))
    fake.route("GET", "/api/v1/statuses/1", ok(fixture("error_404"), status=404))
    (metrics,) = adapter_for(fake).fetch_metrics(["103270115826048975", "1"])
    assert (metrics.likes, metrics.shares, metrics.replies) == (31, 7, 4)


def test_search_public_statuses(fake):
    fake.route("GET", "/api/v2/search", ok(fixture("search_v2")))
    result = adapter_for(fake, page_size=1).search("bus 12")
    (item,) = result.items
    assert item.kind == ItemKind.POST
    assert "الحافلة" in item.text
    assert result.cursor == "1"
    query = fake.requests[0].query
    assert query["q"] == ["bus 12"]
    assert query["type"] == ["statuses"]
