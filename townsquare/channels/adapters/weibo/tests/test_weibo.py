from __future__ import annotations

import datetime as dt
import json
import logging
import time
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
from townsquare.channels.adapters.registry import adapter_class, oauth_client
from townsquare.channels.adapters.testing import (
    FakeNetwork,
    FakeRequest,
    FakeResponse,
    HttpDateFromNow,
)
from townsquare.channels.adapters.weibo.api import parse_time, weibo_length
from townsquare.channels.adapters.weibo.client import WeiboAdapter
from townsquare.channels.adapters.weibo.oauth import WeiboOAuth

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TOKEN = "2.00ABCDsecretAccessToken123"
APP_SECRET = "weibo-app-secret-0123456789"
OUR_UID = "1904178193"
SAFE = "https://transport.example.gov.cn/notices/12"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))



def make_adapter(fake: FakeNetwork, **config: Any) -> WeiboAdapter:
    settings = {"api_base_url": f"{fake.url}/2", "uid": OUR_UID, "safe_url": SAFE, **config}
    return WeiboAdapter(credentials=Credentials(access_token=TOKEN), config=settings)


def form(request: FakeRequest) -> dict[str, str]:
    return {key: values[0] for key, values in request.form().items()}


def test_registry_points_at_these_classes() -> None:
    assert adapter_class("weibo") is WeiboAdapter
    client = oauth_client("weibo", {"client_id": "123", "client_secret": APP_SECRET})
    assert isinstance(client, WeiboOAuth)


def test_bad_config_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="uid"):
        WeiboAdapter(credentials=Credentials(access_token=TOKEN), config={"uid": "abc"})
    with pytest.raises(ValueError, match="access token"):
        WeiboAdapter(credentials=Credentials(), config={})


def test_weibo_counts_half_width_characters_as_half() -> None:
    assert weibo_length("交通局") == 3
    assert weibo_length("ab") == 1
    assert weibo_length("abc") == 2
    assert weibo_length("交通ab") == 3
    assert weibo_length("مرحبا") == 5


def test_parse_time_is_locale_independent() -> None:
    when = parse_time("Sat Jun 01 18:12:05 +0800 2024")
    assert when == dt.datetime(2024, 6, 1, 10, 12, 5, tzinfo=dt.UTC)
    with pytest.raises(MalformedResponse):
        parse_time("yesterday")


def test_fetch_inbound_reads_comments_and_mentions(fake: FakeNetwork) -> None:
    fake.route("GET", "/2/comments/to_me.json", FakeResponse(200, fixture("comments_to_me.json")))
    fake.route("GET", "/2/statuses/mentions.json", FakeResponse(200, fixture("mentions.json")))
    result = make_adapter(fake).fetch_inbound(None)

    assert json.loads(result.cursor or "") == {
        "comments": "5040123456789012",
        "mentions": "5040133333333333",
    }
    assert result.gap is False
    first = fake.requests[0]
    assert first.query["access_token"] == [TOKEN]
    assert "since_id" not in first.query
    by_id = {item.remote_id: item for item in result.items}

    reply = by_id["5040111111111111:5040123456789012"]
    assert reply.kind is ItemKind.REPLY
    assert reply.in_reply_to == "5040111111111111:5040122222222222"
    assert reply.text == "回复@交通局:请问12路周一几点恢复？🚌"
    assert reply.author_handle == "上海通勤者"
    assert reply.is_own is False
    assert reply.created_at == dt.datetime(2024, 6, 1, 10, 12, 5, tzinfo=dt.UTC)

    comment = by_id["5040111111111111:5040100000000001"]
    assert comment.kind is ItemKind.COMMENT
    assert comment.in_reply_to == "5040111111111111"
    assert by_id["5040111111111111:5040122222222222"].is_own is True  # our own reply

    mention = by_id["5040133333333333"]
    assert mention.kind is ItemKind.MENTION
    assert mention.url == "https://m.weibo.cn/status/5040133333333333"
    assert mention.attachment_urls == ("http://wx1.sinaimg.cn/thumbnail/0034abcdgy1hq1.jpg",)
    assert [item.created_at for item in result.items] == sorted(
        item.created_at for item in result.items
    )


def test_cursor_is_sent_as_since_id_and_a_page_cap_is_a_gap(fake: FakeNetwork) -> None:
    fake.route("GET", "/2/comments/to_me.json", FakeResponse(200, fixture("comments_to_me.json")))
    fake.route("GET", "/2/statuses/mentions.json", FakeResponse(200, {"statuses": []}))
    cursor = json.dumps({"comments": "5040000000000000", "mentions": "5040133333333333"})
    # Three comments per page with count=3: every page is full, up to max_pages.
    result = make_adapter(fake, count=3, max_pages=2).fetch_inbound(cursor)

    comment_calls = [r for r in fake.requests if r.path == "/2/comments/to_me.json"]
    assert [r.query["page"] for r in comment_calls] == [["1"], ["2"]]
    assert comment_calls[0].query["since_id"] == ["5040000000000000"]
    assert result.gap is True
    assert json.loads(result.cursor or "")["mentions"] == "5040133333333333"


def test_long_and_complex_inbound_text_is_kept_exactly(fake: FakeNetwork) -> None:
    text = ("👩🏽‍💻 政府 مرحبا " * 1000)[:10_000]
    mentions = fixture("mentions.json")
    mentions["statuses"][0]["text"] = text
    fake.route("GET", "/2/comments/to_me.json", FakeResponse(200, {"comments": []}))
    fake.route("GET", "/2/statuses/mentions.json", FakeResponse(200, mentions))
    [item] = make_adapter(fake).fetch_inbound(None).items
    assert item.text == text


def test_invalid_utf8_from_the_api_is_a_malformed_response(fake: FakeNetwork) -> None:
    fake.route("GET", "/2/comments/to_me.json", FakeResponse(200, b'{"comments": ["\xff"]}'))
    with pytest.raises(MalformedResponse):
        make_adapter(fake).fetch_inbound(None)


def test_publish_shares_with_the_safe_domain_link(fake: FakeNetwork) -> None:
    fake.route("POST", "/2/statuses/share.json", FakeResponse(200, fixture("share.json")))
    published = make_adapter(fake, rip="203.0.113.7").publish(PostRequest(text="12路周一恢复运营"))

    assert published.remote_id == "5040144444444444"
    assert published.url == "https://m.weibo.cn/status/5040144444444444"
    assert published.published_at == dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
    sent = form(fake.requests[0])
    assert sent == {
        "access_token": TOKEN,
        "status": f"12路周一恢复运营 {SAFE}",
        "rip": "203.0.113.7",
    }
    assert fake.requests[0].query == {}  # the token is not in the URL of a POST


def test_publish_refusals_before_any_request(fake: FakeNetwork) -> None:
    adapter = make_adapter(fake)
    with pytest.raises(RemoteRejected, match="140"):
        adapter.publish(PostRequest(text="交" * 141))
    with pytest.raises(RemoteRejected, match="topic"):
        adapter.publish(PostRequest(text="#公交# 改道"))
    with pytest.raises(RemoteRejected, match="safe domain"):
        make_adapter(fake, safe_url="").publish(PostRequest(text="no link"))
    picture = Attachment(content=b"GIF89a", mime_type="image/gif")
    with pytest.raises(RemoteRejected, match="one picture"):
        adapter.publish(PostRequest(text="x", attachments=(picture, picture)))
    assert fake.requests == []


def test_publish_with_a_picture_is_multipart(fake: FakeNetwork) -> None:
    fake.route("POST", "/2/statuses/share.json", FakeResponse(200, fixture("share.json")))
    picture = Attachment(content=b"\xff\xd8\xffJPEGDATA", mime_type="image/jpeg", alt_text="map")
    make_adapter(fake).publish(PostRequest(text=f"新地图 {SAFE}", attachments=(picture,)))
    request = fake.requests[0]
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert b'name="pic"' in request.body and b"\xff\xd8\xffJPEGDATA" in request.body
    assert TOKEN.encode() in request.body


def test_reply_to_a_comment_and_to_a_post(fake: FakeNetwork) -> None:
    fake.route("POST", "/2/comments/reply.json", FakeResponse(200, fixture("comment_reply.json")))
    fake.route("POST", "/2/comments/create.json", FakeResponse(200, fixture("comment_reply.json")))
    adapter = make_adapter(fake)

    published = adapter.reply(
        "5040111111111111:5040123456789012", PostRequest(text="早上5点30分首班车。")
    )
    assert published.remote_id == "5040111111111111:5040155555555555"
    sent = form(fake.requests[0])
    assert sent["cid"] == "5040123456789012"
    assert sent["id"] == "5040111111111111"
    assert sent["comment"] == "早上5点30分首班车。"

    adapter.reply("5040133333333333", PostRequest(text="我们正在核实。"))
    assert fake.requests[1].path == "/2/comments/create.json"
    assert form(fake.requests[1])["id"] == "5040133333333333"
    with pytest.raises(RemoteRejected, match="pictures"):
        adapter.reply(
            "5040133333333333",
            PostRequest(text="x", attachments=(Attachment(b"x", "image/png"),)),
        )


def test_no_edits(fake: FakeNetwork) -> None:
    with pytest.raises(NotSupported):
        make_adapter(fake).edit("5040144444444444", "changed")


def test_delete_and_missing_permission(fake: FakeNetwork) -> None:
    fake.route("POST", "/2/statuses/destroy.json", FakeResponse(200, fixture("share.json")))
    fake.route(
        "POST", "/2/comments/destroy.json", FakeResponse(403, fixture("error_permission.json"))
    )
    adapter = make_adapter(fake)
    adapter.delete("5040144444444444")
    assert form(fake.requests[0])["id"] == "5040144444444444"
    with pytest.raises(NotSupported):
        adapter.delete("5040111111111111:5040155555555555")
    assert form(fake.requests[1])["cid"] == "5040155555555555"


def test_metrics_from_statuses_count(fake: FakeNetwork) -> None:
    fake.route("GET", "/2/statuses/count.json", FakeResponse(200, fixture("statuses_count.json")))
    metrics = make_adapter(fake).fetch_metrics(
        ["5040144444444444", "5040111111111111", "5040111111111111:5040155555555555"]
    )
    assert fake.requests[0].query["ids"] == ["5040144444444444,5040111111111111"]
    first = metrics[0]
    assert (first.remote_id, first.likes, first.shares, first.replies) == (
        "5040144444444444", 120, 38, 16
    )


def test_profile_with_and_without_a_known_uid(fake: FakeNetwork) -> None:
    fake.route("GET", "/2/users/show.json", FakeResponse(200, fixture("users_show.json")))
    fake.route("GET", "/2/account/get_uid.json", FakeResponse(200, fixture("get_uid.json")))
    profile = make_adapter(fake).fetch_profile()
    assert profile.followers == 1284567
    assert profile.handle == "交通局"
    assert fake.requests[0].query["uid"] == [OUR_UID]

    make_adapter(fake, uid="").fetch_profile()
    assert [r.path for r in fake.requests[1:]] == ["/2/account/get_uid.json", "/2/users/show.json"]


@pytest.mark.parametrize("name", ["error_expired_token.json", "error_invalid_token.json"])
def test_expired_tokens(fake: FakeNetwork, name: str) -> None:
    fake.route("GET", "/2/comments/to_me.json", FakeResponse(403, fixture(name)))
    with pytest.raises(AuthExpired) as caught:
        make_adapter(fake).fetch_inbound(None)
    assert TOKEN not in str(caught.value)


def test_401_in_the_middle_of_a_publish(fake: FakeNetwork) -> None:
    # The picture upload is part of the share call: the token expires between the
    # profile check and the share.
    fake.route("GET", "/2/users/show.json", FakeResponse(200, fixture("users_show.json")))
    fake.route("POST", "/2/statuses/share.json", FakeResponse(401, b"Unauthorized"))
    adapter = make_adapter(fake)
    adapter.fetch_profile()
    with pytest.raises(AuthExpired):
        adapter.publish(PostRequest(text=f"hello {SAFE}"))


def _http_date(seconds_from_now: int) -> HttpDateFromNow:
    return HttpDateFromNow(seconds_from_now)


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (403, fixture("error_rate_limit.json"), {"Retry-After": "30"}, (30.0, 30.0)),
        (429, b"", {"Retry-After": _http_date(90)}, (30.0, 90.0)),
        (403, fixture("error_rate_limit.json"), {}, None),
        (429, b"", {}, None),
    ],
    ids=["error-code-seconds", "http-date", "error-code-missing", "http-missing"],
)
def test_rate_limits(
    fake: FakeNetwork,
    status: int,
    body: Any,
    headers: dict[str, str],
    expected: tuple[float, float] | None,
) -> None:
    fake.route("POST", "/2/statuses/share.json", FakeResponse(status, body, headers))
    with pytest.raises(RateLimited) as caught:
        make_adapter(fake).publish(PostRequest(text=f"hello {SAFE}"))
    if expected is None:
        assert caught.value.retry_after is None
    else:
        assert caught.value.retry_after is not None
        assert expected[0] <= caught.value.retry_after <= expected[1]


@pytest.mark.parametrize(
    "response",
    [
        FakeResponse(503, b"<html>busy</html>"),
        FakeResponse(500, fixture("error_system.json")),
        FakeResponse(200, fixture("error_system.json")),
    ],
)
def test_server_errors_are_transient(fake: FakeNetwork, response: FakeResponse) -> None:
    fake.route("GET", "/2/comments/to_me.json", response)
    with pytest.raises(TransientError):
        make_adapter(fake).fetch_inbound(None)


def test_other_errors_are_rejections(fake: FakeNetwork) -> None:
    fake.route("POST", "/2/statuses/share.json", FakeResponse(400, fixture("error_repeated.json")))
    with pytest.raises(RemoteRejected, match="20019"):
        make_adapter(fake).publish(PostRequest(text=f"hello {SAFE}"))


def test_timeout_is_transient(fake: FakeNetwork) -> None:
    def slow(request: FakeRequest) -> FakeResponse:
        time.sleep(0.6)
        return FakeResponse(200, fixture("comments_to_me.json"))

    fake.route("GET", "/2/comments/to_me.json", slow)
    with pytest.raises(TransientError, match="timed out"):
        make_adapter(fake, timeout=0.2).fetch_inbound(None)


def test_malformed_json_is_reported(fake: FakeNetwork) -> None:
    fake.route("GET", "/2/users/show.json", FakeResponse(200, b"{'not': json"))
    with pytest.raises(MalformedResponse):
        make_adapter(fake).fetch_profile()


def test_the_token_never_reaches_logs(fake: FakeNetwork, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake.route("GET", "/2/users/show.json", FakeResponse(403, fixture("error_expired_token.json")))
    adapter = make_adapter(fake)
    with pytest.raises(AuthExpired) as caught:
        adapter.fetch_profile()
    assert fake.requests[0].query["access_token"] == [TOKEN]  # it was sent
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "users/show.json" in logged
    assert TOKEN not in logged
    assert TOKEN not in repr(adapter) and TOKEN not in str(caught.value)


# --- OAuth ---------------------------------------------------------------------------


def make_oauth(fake: FakeNetwork) -> WeiboOAuth:
    return WeiboOAuth(
        {"client_id": "123456", "client_secret": APP_SECRET, "oauth_base_url": f"{fake.url}/oauth2"}
    )


def test_authorization_url_has_state_and_no_pkce(fake: FakeNetwork) -> None:
    client = make_oauth(fake)
    assert client.uses_pkce is False
    url = client.authorization_url(
        state="st4te", code_challenge="ignored", redirect_uri="https://ts.example.gov/cb"
    )
    parts = urlsplit(url)
    assert parts.path == "/oauth2/authorize"
    assert parse_qs(parts.query) == {
        "client_id": ["123456"],
        "redirect_uri": ["https://ts.example.gov/cb"],
        "response_type": ["code"],
        "state": ["st4te"],
    }


def test_exchange_code(fake: FakeNetwork) -> None:
    fake.route(
        "POST", "/oauth2/access_token", FakeResponse(200, fixture("oauth_access_token.json"))
    )
    credentials = make_oauth(fake).exchange_code(
        code="c0de", code_verifier="", redirect_uri="https://ts.example.gov/cb"
    )
    assert credentials.access_token == TOKEN
    assert credentials.extra == {"uid": OUR_UID}
    assert credentials.expires_at is not None
    assert credentials.expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(days=1000)
    sent = form(fake.requests[0])
    assert sent["grant_type"] == "authorization_code"
    assert sent["client_secret"] == APP_SECRET
    assert fake.requests[0].query == {}  # the secret is not in the URL


def test_exchange_code_refused_without_leaking_secrets(fake: FakeNetwork) -> None:
    fake.route(
        "POST", "/oauth2/access_token", FakeResponse(400, fixture("oauth_invalid_grant.json"))
    )
    client = make_oauth(fake)
    with pytest.raises(RemoteRejected) as caught:
        client.exchange_code(code="c0de", code_verifier="", redirect_uri="https://x/cb")
    assert APP_SECRET not in str(caught.value)
    assert APP_SECRET not in repr(client)


def test_no_refresh_for_web_apps(fake: FakeNetwork) -> None:
    with pytest.raises(NotSupported):
        make_oauth(fake).refresh(Credentials(access_token=TOKEN))


def test_bad_oauth_config_does_not_echo_the_secret() -> None:
    with pytest.raises(ValueError, match="client_id") as caught:
        WeiboOAuth({"client_id": "", "client_secret": APP_SECRET})
    assert APP_SECRET not in str(caught.value)
