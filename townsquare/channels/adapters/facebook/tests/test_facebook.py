"""Facebook Page adapter, webhook and OAuth against a local fake of the Graph API."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
from townsquare.channels.adapters.facebook.client import FacebookPageAdapter
from townsquare.channels.adapters.facebook.oauth import FacebookOAuth
from townsquare.channels.adapters.facebook.webhook import FacebookWebhook
from townsquare.channels.adapters.meta.testing import (
    fixture,
    graph_path,
    slow,
)
from townsquare.channels.adapters.registry import adapter_class, oauth_client, webhook_handler
from townsquare.channels.adapters.testing import FakeNetwork, FakeRequest, FakeResponse

HERE = Path(__file__).resolve().parent.parent
PAGE = "104578965432101"
TOKEN = "EAApagetoken-SECRET-0123456789"
APP_SECRET = "app-secret-4f1c2a9d"


def fx(name: str) -> Any:
    return fixture(HERE, name)


def make_adapter(fake: FakeNetwork, **config: Any) -> FacebookPageAdapter:
    settings = {"page_id": PAGE, "graph_base_url": fake.url, "api_version": "v21.0"}
    settings.update(config)
    return FacebookPageAdapter(credentials=Credentials(access_token=TOKEN), config=settings)


def no_secret_in(*texts: str) -> bool:
    return all(TOKEN not in text and APP_SECRET not in text for text in texts)


# --- configuration and secrets ---------------------------------------------------------


def test_registry_points_at_these_classes() -> None:
    assert adapter_class("facebook") is FacebookPageAdapter
    assert isinstance(webhook_handler("facebook"), FacebookWebhook)


def test_bad_config_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="page_id"):
        FacebookPageAdapter(credentials=Credentials(access_token=TOKEN), config={})
    with pytest.raises(ValueError, match="api_version"):
        FacebookPageAdapter(
            credentials=Credentials(access_token=TOKEN),
            config={"page_id": PAGE, "api_version": "latest"},
        )


def test_token_goes_in_a_header_never_in_urls_or_reprs(fake: FakeNetwork) -> None:
    fake.route("GET", graph_path(PAGE), FakeResponse(200, fx("page_profile.json")))
    adapter = make_adapter(fake)
    profile = adapter.fetch_profile()
    assert profile.followers == 48213
    assert profile.handle == "transportgov"
    assert profile.display_name == "Ministry of Transport"
    request = fake.requests[-1]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert "access_token" not in request.query
    assert no_secret_in(repr(adapter), repr(adapter.graph), repr(adapter.credentials))


# --- inbound polling -------------------------------------------------------------------


def route_inbound(fake: FakeNetwork, feed: Any = None) -> None:
    fake.route("GET", graph_path(PAGE, "feed"), FakeResponse(200, feed or fx("page_feed.json")))
    fake.route(
        "GET", graph_path(PAGE, "conversations"), FakeResponse(200, fx("page_conversations.json"))
    )


def test_fetch_inbound_comments_posts_and_messages(fake: FakeNetwork) -> None:
    route_inbound(fake)
    result = make_adapter(fake).fetch_inbound(None)
    by_id = {item.remote_id: item for item in result.items}
    citizen = by_id["880000000000002_700000000000011"]
    assert citizen.kind is ItemKind.COMMENT
    assert citizen.in_reply_to == f"{PAGE}_880000000000002"
    assert citizen.text == "Will the bus 12 be diverted? 🚌👍🏽"
    assert citizen.attachment_urls == ("https://scontent.xx.fbcdn.net/v/t39.30808-6/bus.jpg",)
    arabic = by_id["880000000000002_700000000000012"]
    assert arabic.kind is ItemKind.REPLY
    assert arabic.text == "متى ينتهي العمل؟ 👩‍👩‍👧‍👦"
    assert by_id["880000000000002_700000000000013"].is_own is True
    assert by_id[f"{PAGE}_880000000000002"].is_own is True
    visitor = by_id[f"{PAGE}_880000000000001"]
    assert (visitor.kind, visitor.is_own, visitor.text) == (
        ItemKind.MENTION,
        False,
        "公交线路调整通知",
    )
    dm = by_id["m_AbCdEf1"]
    assert (dm.kind, dm.conversation_id, dm.is_own) == (
        ItemKind.DIRECT_MESSAGE,
        "7012345678901234",
        False,
    )
    assert by_id["m_AbCdEf2"].is_own is True
    assert by_id["m_AbCdEf2"].conversation_id == "7012345678901234"
    assert result.cursor == str(int(dt.datetime(2024, 5, 20, 11, tzinfo=dt.UTC).timestamp()))
    assert result.gap is False
    assert [item.created_at for item in result.items] == sorted(i.created_at for i in result.items)


def test_fetch_inbound_since_cursor_skips_older_items(fake: FakeNetwork) -> None:
    route_inbound(fake)
    cursor = str(int(dt.datetime(2024, 5, 20, 10, 0, tzinfo=dt.UTC).timestamp()))
    result = make_adapter(fake).fetch_inbound(cursor)
    ids = {item.remote_id for item in result.items}
    assert "880000000000002_700000000000012" in ids
    assert "880000000000002_700000000000011" not in ids  # 09:45, before the cursor
    assert "m_Old1" not in ids
    assert f"{PAGE}_880000000000001" not in ids
    # The cursor survives a restart: it is plain text, and an empty poll keeps it.
    fake.route("GET", graph_path(PAGE, "feed"), FakeResponse(200, {"data": []}))
    fake.route("GET", graph_path(PAGE, "conversations"), FakeResponse(200, {"data": []}))
    assert make_adapter(fake).fetch_inbound(result.cursor).cursor == result.cursor


def test_fetch_inbound_reports_a_gap_when_comments_overflow(fake: FakeNetwork) -> None:
    feed = fx("page_feed.json")
    feed["data"][0]["comments"]["paging"]["next"] = "https://graph.facebook.com/v21.0/x?after=1"
    route_inbound(fake, feed)
    cursor = str(int(dt.datetime(2024, 5, 20, 9, 0, tzinfo=dt.UTC).timestamp()))
    assert make_adapter(fake).fetch_inbound(cursor).gap is True


def test_a_10000_character_comment_is_kept_whole(fake: FakeNetwork) -> None:
    long_text = ("Ünïcödé 👨‍👩‍👧 " * 1000)[:10_000]
    feed = fx("page_feed.json")
    feed["data"][0]["comments"]["data"][1]["message"] = long_text
    route_inbound(fake, feed)
    items = {i.remote_id: i for i in make_adapter(fake).fetch_inbound(None).items}
    assert items["880000000000002_700000000000012"].text == long_text


def test_invalid_utf8_in_a_response_is_malformed(fake: FakeNetwork) -> None:
    fake.route("GET", graph_path(PAGE), FakeResponse(200, b'{"id": "1", "name": "\xff\xfe"}'))
    with pytest.raises(MalformedResponse):
        make_adapter(fake).fetch_profile()


# --- failures --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({"Retry-After": "DATE"}, "positive"),
        ({}, None),
    ],
)
def test_429_with_each_retry_after_form(
    fake: FakeNetwork, headers: dict[str, str], expected: Any
) -> None:
    if headers.get("Retry-After") == "DATE":
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=90)
        headers = {"Retry-After": email.utils.format_datetime(later, usegmt=True)}
    fake.route("GET", graph_path(PAGE), FakeResponse(429, fx("error_rate_limited.json"), headers))
    with pytest.raises(RateLimited) as caught:
        make_adapter(fake).fetch_profile()
    if expected == "positive":
        assert caught.value.retry_after is not None
        assert 0 < caught.value.retry_after <= 90
    else:
        assert caught.value.retry_after == expected


def test_graph_rate_limit_code_without_429(fake: FakeNetwork) -> None:
    usage = json.dumps({PAGE: [{"type": "pages", "estimated_time_to_regain_access": 7}]})
    fake.route(
        "GET",
        graph_path(PAGE),
        FakeResponse(400, fx("error_rate_limited.json"), {"X-Business-Use-Case-Usage": usage}),
    )
    with pytest.raises(RateLimited) as caught:
        make_adapter(fake).fetch_profile()
    assert caught.value.retry_after == 420.0


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (FakeResponse(500, b"<html>oops</html>"), TransientError),
        (FakeResponse(503, {"error": {"message": "down", "code": 2}}), TransientError),
        (FakeResponse(400, fx("error_transient.json")), TransientError),
        (FakeResponse(200, b"{not json"), MalformedResponse),
        (FakeResponse(200, b"[1, 2]"), MalformedResponse),
        (FakeResponse(400, fx("error_token_expired.json")), AuthExpired),
        (FakeResponse(401, b""), AuthExpired),
        (FakeResponse(403, fx("error_permission.json")), RemoteRejected),
    ],
)
def test_failures_map_to_adapter_errors(
    fake: FakeNetwork, response: FakeResponse, error: type[Exception]
) -> None:
    fake.route("GET", graph_path(PAGE), response)
    with pytest.raises(error) as caught:
        make_adapter(fake).fetch_profile()
    assert no_secret_in(str(caught.value), repr(caught.value))


def test_timeout_is_transient(fake: FakeNetwork) -> None:
    fake.route("GET", graph_path(PAGE), slow(FakeResponse(200, fx("page_profile.json")), 0.6))
    with pytest.raises(TransientError, match="timed out"):
        make_adapter(fake, timeout_seconds=0.2).fetch_profile()


def test_token_echoed_in_an_error_message_is_redacted(fake: FakeNetwork) -> None:
    body = {"error": {"message": f"bad token {TOKEN}", "code": 100, "type": "GraphMethodException"}}
    fake.route("GET", graph_path(PAGE), FakeResponse(400, body))
    with pytest.raises(RemoteRejected) as caught:
        make_adapter(fake).fetch_profile()
    assert TOKEN not in str(caught.value)
    assert "[redacted]" in str(caught.value)


# --- publishing ------------------------------------------------------------------------


def test_publish_text(fake: FakeNetwork) -> None:
    fake.route("POST", graph_path(PAGE, "feed"), FakeResponse(200, fx("feed_post_created.json")))
    fake.route("GET", graph_path("*"), FakeResponse(200, fx("post_permalink.json")))
    published = make_adapter(fake).publish(PostRequest(text="Road works 🚧 مرحبا"))
    assert published.remote_id == f"{PAGE}_880000000000003"
    assert published.url == "https://www.facebook.com/transportgov/posts/880000000000003"
    sent = next(r for r in fake.requests if r.method == "POST")
    assert sent.form() == {"message": ["Road works 🚧 مرحبا"]}


def test_publish_survives_a_failing_permalink_lookup(fake: FakeNetwork) -> None:
    fake.route("POST", graph_path(PAGE, "feed"), FakeResponse(200, fx("feed_post_created.json")))
    fake.route("GET", graph_path("*"), FakeResponse(500, b""))
    published = make_adapter(fake).publish(PostRequest(text="hello"))
    assert published.url == f"https://www.facebook.com/{PAGE}_880000000000003"


def test_publish_one_photo_with_alt_text(fake: FakeNetwork) -> None:
    fake.route("POST", graph_path(PAGE, "photos"), FakeResponse(200, fx("photo_published.json")))
    photo = Attachment(content=b"\xff\xd8jpeg", mime_type="image/jpeg", alt_text="A bus stop")
    published = make_adapter(fake).publish(PostRequest(text="New stop", attachments=(photo,)))
    assert published.remote_id == f"{PAGE}_880000000000004"
    upload = fake.requests[0]
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert b'name="alt_text_custom"\r\n\r\nA bus stop' in upload.body
    assert b'name="message"\r\n\r\nNew stop' in upload.body
    assert b"\xff\xd8jpeg" in upload.body


def test_publish_several_photos_attaches_them(fake: FakeNetwork) -> None:
    fake.route("POST", graph_path(PAGE, "photos"), FakeResponse(200, fx("photo_unpublished.json")))
    fake.route("POST", graph_path(PAGE, "feed"), FakeResponse(200, fx("feed_post_created.json")))
    photos = tuple(Attachment(content=b"img", mime_type="image/png") for _ in range(2))
    make_adapter(fake).publish(PostRequest(text="Two", attachments=photos))
    uploads = [r for r in fake.requests if r.path.endswith("/photos")]
    assert len(uploads) == 2
    assert all(b'name="published"\r\n\r\nfalse' in r.body for r in uploads)
    feed = next(r for r in fake.requests if r.path.endswith("/feed")).form()
    assert json.loads(feed["attached_media[1]"][0]) == {"media_fbid": "990000000000002"}


def test_401_mid_publish_is_auth_expired(fake: FakeNetwork) -> None:
    fake.route("POST", graph_path(PAGE, "photos"), FakeResponse(200, fx("photo_unpublished.json")))
    fake.route("POST", graph_path(PAGE, "feed"), FakeResponse(401, fx("error_token_expired.json")))
    photos = tuple(Attachment(content=b"img", mime_type="image/png") for _ in range(2))
    with pytest.raises(AuthExpired) as caught:
        make_adapter(fake).publish(PostRequest(text="Two", attachments=photos))
    assert no_secret_in(str(caught.value), repr(caught.value))


def test_publish_refuses_unsupported_media_and_long_text(fake: FakeNetwork) -> None:
    adapter = make_adapter(fake)
    video = Attachment(content=b"mp4", mime_type="video/mp4")
    with pytest.raises(RemoteRejected, match="video/mp4"):
        adapter.publish(PostRequest(text="clip", attachments=(video,)))
    with pytest.raises(RemoteRejected, match="63206"):
        adapter.publish(PostRequest(text="x" * 63207))
    assert fake.requests == []


# --- replies, edits, deletes, metrics --------------------------------------------------


def test_reply_to_a_comment(fake: FakeNetwork) -> None:
    comment = "880000000000002_700000000000011"
    fake.route(
        "POST", graph_path(comment, "comments"), FakeResponse(200, fx("comment_created.json"))
    )
    fake.route("GET", graph_path("*"), FakeResponse(404, b""))
    reply = make_adapter(fake).reply(comment, PostRequest(text="Yes, from Monday."))
    assert reply.remote_id == "880000000000002_700000000000020"
    assert fake.requests[0].form() == {"message": ["Yes, from Monday."]}


def test_reply_to_a_messenger_message(fake: FakeNetwork) -> None:
    fake.route("GET", graph_path("m_AbCdEf1"), FakeResponse(200, fx("message_lookup.json")))
    fake.route("POST", graph_path(PAGE, "messages"), FakeResponse(200, fx("message_sent.json")))
    sent = make_adapter(fake).reply("m_AbCdEf1", PostRequest(text="We refunded you."))
    assert sent.remote_id == "m_Reply0001"
    body = fake.requests[-1].json()
    assert body == {
        "recipient": {"id": "7012345678901234"},
        "messaging_type": "RESPONSE",
        "message": {"text": "We refunded you."},
    }


def test_messenger_reply_outside_the_window_is_rejected_clearly(fake: FakeNetwork) -> None:
    fake.route("GET", graph_path("m_AbCdEf1"), FakeResponse(200, fx("message_lookup.json")))
    fake.route(
        "POST", graph_path(PAGE, "messages"), FakeResponse(400, fx("error_messenger_window.json"))
    )
    with pytest.raises(RemoteRejected, match="24 hours"):
        make_adapter(fake).reply("m_AbCdEf1", PostRequest(text="late"))


def test_private_reply_to_a_comment(fake: FakeNetwork) -> None:
    fake.route("POST", graph_path(PAGE, "messages"), FakeResponse(200, fx("message_sent.json")))
    make_adapter(fake).private_reply("880000000000002_700000000000011", PostRequest(text="DM"))
    assert fake.requests[0].json()["recipient"] == {"comment_id": "880000000000002_700000000000011"}


def test_edit_and_delete(fake: FakeNetwork) -> None:
    post_id = f"{PAGE}_880000000000003"
    fake.route("POST", graph_path(post_id), FakeResponse(200, fx("success.json")))
    fake.route("DELETE", graph_path(post_id), FakeResponse(200, fx("success.json")))
    adapter = make_adapter(fake)
    assert adapter.edit(post_id, "Corrected: Tuesday").remote_id == post_id
    assert fake.requests[0].form() == {"message": ["Corrected: Tuesday"]}
    adapter.delete(post_id)
    assert fake.requests[-1].method == "DELETE"
    with pytest.raises(NotSupported):
        adapter.edit("m_AbCdEf2", "no")


def test_delete_refused(fake: FakeNetwork) -> None:
    fake.route("DELETE", graph_path("*"), FakeResponse(200, {"success": False}))
    with pytest.raises(RemoteRejected):
        make_adapter(fake).delete(f"{PAGE}_1")


def test_metrics(fake: FakeNetwork) -> None:
    fake.route("GET", graph_path(""), FakeResponse(200, fx("post_metrics.json")))
    ids = [f"{PAGE}_880000000000002", f"{PAGE}_880000000000001"]
    metrics = make_adapter(fake).fetch_metrics(ids)
    assert [(m.likes, m.shares, m.replies) for m in metrics] == [(57, 12, 3), (0, 0, 1)]
    assert fake.requests[0].query["ids"] == [",".join(ids)]


def test_search_is_not_supported(fake: FakeNetwork) -> None:
    with pytest.raises(NotSupported):
        make_adapter(fake).search("buses")


# --- OAuth -----------------------------------------------------------------------------


def oauth(fake: FakeNetwork, **extra: Any) -> FacebookOAuth:
    config = {
        "app_id": "1234567890",
        "app_secret": APP_SECRET,
        "graph_base_url": fake.url,
        "dialog_base_url": "https://www.facebook.com",
        **extra,
    }
    client = oauth_client("facebook", config)
    assert isinstance(client, FacebookOAuth)
    return client


def test_authorization_url(fake: FakeNetwork) -> None:
    url = oauth(fake).authorization_url(
        state="st4te", code_challenge="ignored", redirect_uri="https://ts.example/cb"
    )
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("www.facebook.com", "/v21.0/dialog/oauth")
    query = parse_qs(parts.query)
    assert query["state"] == ["st4te"]
    assert query["client_id"] == ["1234567890"]
    assert "pages_manage_posts" in query["scope"][0].split(",")
    assert APP_SECRET not in url
    assert FacebookOAuth.uses_pkce is False


def test_exchange_code_returns_the_page_token(fake: FakeNetwork) -> None:
    exchanged: list[str] = []

    def token(request: FakeRequest) -> FakeResponse:
        form = request.form()
        if form.get("grant_type") == ["fb_exchange_token"]:
            exchanged.append(form["fb_exchange_token"][0])
            return FakeResponse(200, fx("oauth_access_token_long.json"))
        assert form["code"] == ["the-code"]
        return FakeResponse(200, fx("oauth_access_token_short.json"))

    fake.route("POST", graph_path("oauth", "access_token"), token)
    fake.route("GET", graph_path("me", "accounts"), FakeResponse(200, fx("me_accounts.json")))
    client = oauth(fake, page_id=PAGE)
    credentials = client.exchange_code(
        code="the-code", code_verifier="", redirect_uri="https://ts.example/cb"
    )
    assert credentials.access_token == "EAApagetoken0000000000000"
    assert credentials.refresh_token == "EAAlonglived00000000000000"
    assert credentials.extra["page_id"] == PAGE
    for request in fake.requests:
        assert APP_SECRET not in request.path
        assert all(APP_SECRET not in v for values in request.query.values() for v in values)
    assert "EAApage" not in repr(credentials)
    assert APP_SECRET not in repr(client)
    refreshed = client.refresh(credentials)
    assert refreshed.access_token == "EAApagetoken0000000000000"
    # The short-lived token was exchanged, then the stored long-lived one on refresh.
    assert exchanged == ["EAAshort0000000000000000", "EAAlonglived00000000000000"]


def test_exchange_code_errors(fake: FakeNetwork) -> None:
    bad = {
        "error": {
            "message": "Invalid verification code format.",
            "type": "OAuthException",
            "code": 100,
            "error_subcode": 36008,
            "fbtrace_id": "x",
        }
    }
    fake.route("POST", graph_path("oauth", "access_token"), FakeResponse(400, bad))
    with pytest.raises(RemoteRejected) as caught:
        oauth(fake).exchange_code(code="c", code_verifier="", redirect_uri="https://ts.example/cb")
    assert APP_SECRET not in str(caught.value)


def test_exchange_code_for_a_page_not_granted(fake: FakeNetwork) -> None:
    fake.route(
        "POST",
        graph_path("oauth", "access_token"),
        FakeResponse(200, fx("oauth_access_token_long.json")),
    )
    fake.route("GET", graph_path("me", "accounts"), FakeResponse(200, fx("me_accounts.json")))
    with pytest.raises(RemoteRejected, match="not among"):
        oauth(fake, page_id="999").exchange_code(
            code="c", code_verifier="", redirect_uri="https://ts.example/cb"
        )


def test_tokens_never_reach_log_lines(fake: FakeNetwork, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake.route("GET", graph_path(PAGE), FakeResponse(400, fx("error_token_expired.json")))
    fake.route("POST", graph_path("oauth", "access_token"), FakeResponse(500, b""))
    with pytest.raises(AuthExpired):
        make_adapter(fake).fetch_profile()
    with pytest.raises(TransientError):
        oauth(fake).exchange_code(code="c0de", code_verifier="", redirect_uri="https://t.example/")
    assert caplog.records  # httpx logged the requests…
    assert no_secret_in(caplog.text)  # …without the token or the app secret
