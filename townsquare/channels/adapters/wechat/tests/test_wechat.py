from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from townsquare.channels.adapters.base import (
    Attachment,
    AuthExpired,
    ChangeKind,
    Credentials,
    InvalidSignature,
    ItemKind,
    MalformedResponse,
    NotSupported,
    PostRequest,
    RateLimited,
    RemoteRejected,
    StaleEvent,
    TransientError,
)
from townsquare.channels.adapters.registry import adapter_class, webhook_handler
from townsquare.channels.adapters.testing import (
    FakeNetwork,
    FakeRequest,
    FakeResponse,
    HttpDateFromNow,
)
from townsquare.channels.adapters.wechat.client import WeChatAdapter, article_html
from townsquare.channels.adapters.wechat.webhook import WeChatWebhook, signature

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
APPID = "wx8a1b2c3d4e5f6a7b"
APPSECRET = "appsecret-0123456789abcdef0123456789ab"
TOKEN = "ACCESS_TOKEN_wx_0123456789abcdef"
TOKEN_2 = "ACCESS_TOKEN_wx_second_fedcba987654"
OPENID = "oLVPpjqs9BhvzwPj5A-vTYAX3GLc"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def ok(name: str) -> FakeResponse:
    return FakeResponse(200, fixture(name))


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def fake(fake: FakeNetwork) -> FakeNetwork:
    """The shared fake (adapters/conftest.py) with the access-token endpoint every call
    starts with."""
    fake.route("GET", "/cgi-bin/token", ok("token.json"))
    return fake


def make_adapter(fake: FakeNetwork, **config: Any) -> WeChatAdapter:
    return WeChatAdapter(
        credentials=Credentials(extra={"appid": APPID, "appsecret": APPSECRET}),
        config={"api_base_url": fake.url, "original_id": "gh_3a8f2b1c9d0e", **config},
    )


def calls(fake: FakeNetwork, path: str) -> list[FakeRequest]:
    return [request for request in fake.requests if request.path == path]


def test_registry_points_at_these_classes() -> None:
    assert adapter_class("wechat") is WeChatAdapter
    assert isinstance(webhook_handler("wechat"), WeChatWebhook)


def test_bad_config_and_missing_credentials() -> None:
    with pytest.raises(ValueError, match="api_base_url"):
        WeChatAdapter(
            credentials=Credentials(extra={"appid": APPID, "appsecret": APPSECRET}),
            config={"api_base_url": "ftp://x"},
        )
    with pytest.raises(ValueError, match="appsecret") as caught:
        WeChatAdapter(credentials=Credentials(extra={"appid": APPID}), config={})
    assert APPSECRET not in str(caught.value)


def test_profile_and_token_cache(fake: FakeNetwork) -> None:
    fake.route("GET", "/cgi-bin/user/get", ok("user_get.json"))
    adapter = make_adapter(fake, display_name="上海交通")
    profile = adapter.fetch_profile()
    adapter.fetch_profile()

    assert profile.followers == 23000
    assert profile.remote_id == "gh_3a8f2b1c9d0e"
    [token_call] = calls(fake, "/cgi-bin/token")  # cached for the second call
    assert token_call.query == {
        "grant_type": ["client_credential"],
        "appid": [APPID],
        "secret": [APPSECRET],
    }
    assert calls(fake, "/cgi-bin/user/get")[1].query["access_token"] == [TOKEN]


def test_expired_token_is_renewed_once(fake: FakeNetwork) -> None:
    tokens = iter([fixture("token.json"), fixture("token_second.json")])
    fake.route("GET", "/cgi-bin/token", lambda request: FakeResponse(200, next(tokens)))
    answers = iter([fixture("error_42001_token_expired.json"), fixture("user_get.json")])
    fake.route("GET", "/cgi-bin/user/get", lambda request: FakeResponse(200, next(answers)))
    assert make_adapter(fake).fetch_profile().followers == 23000
    user_calls = calls(fake, "/cgi-bin/user/get")
    assert [c.query["access_token"] for c in user_calls] == [[TOKEN], [TOKEN_2]]


def test_token_refused_twice_is_auth_expired(fake: FakeNetwork) -> None:
    fake.route(
        "GET", "/cgi-bin/user/get", ok("error_40001_invalid_credential.json")
    )
    with pytest.raises(AuthExpired):
        make_adapter(fake).fetch_profile()
    assert len(calls(fake, "/cgi-bin/token")) == 2
    assert len(calls(fake, "/cgi-bin/user/get")) == 2


@pytest.mark.parametrize(
    ("name", "hint"),
    [("error_40125_invalid_appsecret.json", "40125"), ("error_40164_ip_whitelist.json", "IP")],
)
def test_app_credentials_refused(fake: FakeNetwork, name: str, hint: str) -> None:
    fake.route("GET", "/cgi-bin/token", FakeResponse(200, fixture(name)))
    with pytest.raises(AuthExpired, match=hint) as caught:
        make_adapter(fake).fetch_profile()
    assert APPSECRET not in str(caught.value)


def test_fetch_inbound_has_nothing_to_poll(fake: FakeNetwork) -> None:
    result = make_adapter(fake).fetch_inbound("kept")
    assert result.items == [] and result.cursor == "kept"
    assert fake.requests == []


def _publish_routes(fake: FakeNetwork) -> None:
    fake.route("POST", "/cgi-bin/material/add_material", ok("add_material.json"))
    fake.route("POST", "/cgi-bin/draft/add", ok("draft_add.json"))
    fake.route(
        "POST", "/cgi-bin/freepublish/submit", ok("freepublish_submit.json")
    )


def test_publish_an_article_with_a_cover(fake: FakeNetwork) -> None:
    _publish_routes(fake)
    cover = Attachment(content=b"\xff\xd8\xffCOVER", mime_type="image/jpeg", filename="c.jpg")
    text = "12路周一恢复运营 🚌\n\n首班车 5:30 <早> & 末班车 23:00"
    published = make_adapter(fake, author="交通局").publish(
        PostRequest(text=text, attachments=(cover,))
    )

    assert published.remote_id == "2247483671"
    upload = calls(fake, "/cgi-bin/material/add_material")[0]
    assert upload.query == {"type": ["image"], "access_token": [TOKEN]}
    assert b'name="media"' in upload.body and b"\xff\xd8\xffCOVER" in upload.body
    draft = calls(fake, "/cgi-bin/draft/add")[0]
    assert "12路周一恢复运营".encode() in draft.body  # raw UTF-8, not \\u escapes
    assert b"\\u" not in draft.body
    [article] = draft.json()["articles"]
    assert article["title"] == "12路周一恢复运营 🚌"
    assert article["thumb_media_id"] == "MEDIA_ID_cover_9f8e7d"
    assert article["author"] == "交通局"
    assert article["content"] == (
        "<p>12路周一恢复运营 🚌</p><p>首班车 5:30 &lt;早&gt; &amp; 末班车 23:00</p>"
    )
    assert calls(fake, "/cgi-bin/freepublish/submit")[0].json() == {
        "media_id": "MEDIA_ID_draft_1a2b3c"
    }


def test_text_only_posts_are_not_supported(fake: FakeNetwork) -> None:
    with pytest.raises(NotSupported, match="text-only"):
        make_adapter(fake).publish(PostRequest(text="just text"))
    assert fake.requests == []
    _publish_routes(fake)
    make_adapter(fake, default_thumb_media_id="MEDIA_ID_default").publish(
        PostRequest(text="just text")
    )
    assert calls(fake, "/cgi-bin/material/add_material") == []
    assert calls(fake, "/cgi-bin/draft/add")[0].json()["articles"][0]["thumb_media_id"] == (
        "MEDIA_ID_default"
    )


def test_article_length_is_checked_on_the_html(fake: FakeNetwork) -> None:
    assert article_html("a\nb\n\n\nc") == "<p>a<br/>b</p><p>c</p>"
    with pytest.raises(RemoteRejected, match="20000"):
        make_adapter(fake, default_thumb_media_id="m").publish(PostRequest(text="<" * 5000))


def test_token_refused_in_the_middle_of_a_publish(fake: FakeNetwork) -> None:
    _publish_routes(fake)
    fake.route(
        "POST", "/cgi-bin/draft/add", ok("error_40001_invalid_credential.json")
    )
    cover = Attachment(content=b"JPEG", mime_type="image/jpeg")
    with pytest.raises(AuthExpired):
        make_adapter(fake).publish(PostRequest(text="hello", attachments=(cover,)))
    assert len(calls(fake, "/cgi-bin/material/add_material")) == 1
    assert calls(fake, "/cgi-bin/freepublish/submit") == []


def test_http_401_mid_publish(fake: FakeNetwork) -> None:
    _publish_routes(fake)
    fake.route("POST", "/cgi-bin/freepublish/submit", FakeResponse(401, b"Unauthorized"))
    with pytest.raises(AuthExpired):
        make_adapter(fake, default_thumb_media_id="m").publish(PostRequest(text="hello"))


def test_publish_refused(fake: FakeNetwork) -> None:
    _publish_routes(fake)
    fake.route(
        "POST", "/cgi-bin/freepublish/submit", ok("error_53404_publish_refused.json")
    )
    with pytest.raises(RemoteRejected, match="53404"):
        make_adapter(fake, default_thumb_media_id="m").publish(PostRequest(text="hello"))


def test_reply_is_a_customer_service_message(fake: FakeNetwork) -> None:
    fake.route("POST", "/cgi-bin/message/custom/send", ok("ok.json"))
    adapter = make_adapter(fake)
    published = adapter.reply(
        f"{OPENID}:24613276598901234", PostRequest(text="明天恢复 👍", idempotency_key="k1")
    )
    assert published.remote_id == f"{OPENID}:sent:k1"
    assert calls(fake, "/cgi-bin/message/custom/send")[0].json() == {
        "touser": OPENID,
        "msgtype": "text",
        "text": {"content": "明天恢复 👍"},
    }


def test_reply_after_48_hours_is_refused(fake: FakeNetwork) -> None:
    fake.route(
        "POST", "/cgi-bin/message/custom/send", ok("error_45015_out_of_time.json")
    )
    with pytest.raises(RemoteRejected, match="48 hours"):
        make_adapter(fake).reply(OPENID, PostRequest(text="late"))


def test_delete_withdraws_the_published_article(fake: FakeNetwork) -> None:
    fake.route("POST", "/cgi-bin/freepublish/get", ok("freepublish_get.json"))
    fake.route("POST", "/cgi-bin/freepublish/delete", ok("ok.json"))
    adapter = make_adapter(fake)
    status, article_id, url = adapter.fetch_published("2247483671")
    assert (status, url) == (0, "https://mp.weixin.qq.com/s/Hs3Yd5bkNoZpyn3q0_Zy8Q")
    adapter.delete("2247483671")
    assert calls(fake, "/cgi-bin/freepublish/delete")[0].json() == {
        "article_id": article_id,
        "index": 0,
    }


def test_no_edits_or_metrics(fake: FakeNetwork) -> None:
    adapter = make_adapter(fake)
    with pytest.raises(NotSupported):
        adapter.edit("2247483671", "x")
    with pytest.raises(NotSupported):
        adapter.fetch_metrics(["2247483671"])


def _http_date(seconds_from_now: int) -> HttpDateFromNow:
    return HttpDateFromNow(seconds_from_now)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (ok("error_45009_daily_quota.json"), None),
        (ok("error_45011_minute_quota.json"), (60.0, 60.0)),
        (FakeResponse(429, b"", {"Retry-After": "7"}), (7.0, 7.0)),
        (FakeResponse(429, b"", {"Retry-After": _http_date(100)}), (40.0, 100.0)),
        (FakeResponse(429, b""), None),
    ],
    ids=["45009", "45011", "seconds", "http-date", "missing"],
)
def test_rate_limits(
    fake: FakeNetwork, response: FakeResponse, expected: tuple[float, float] | None
) -> None:
    fake.route("GET", "/cgi-bin/user/get", response)
    with pytest.raises(RateLimited) as caught:
        make_adapter(fake).fetch_profile()
    if expected is None:
        assert caught.value.retry_after is None
    else:
        assert caught.value.retry_after is not None
        assert expected[0] <= caught.value.retry_after <= expected[1]


@pytest.mark.parametrize(
    "response",
    [ok("error_system_busy.json"), FakeResponse(502, b"bad gateway")],
)
def test_transient_failures(fake: FakeNetwork, response: FakeResponse) -> None:
    fake.route("GET", "/cgi-bin/user/get", response)
    with pytest.raises(TransientError):
        make_adapter(fake).fetch_profile()


def test_timeout_is_transient(fake: FakeNetwork) -> None:
    def slow(request: FakeRequest) -> FakeResponse:
        time.sleep(0.6)
        return ok("user_get.json")

    fake.route("GET", "/cgi-bin/user/get", slow)
    with pytest.raises(TransientError, match="timed out"):
        make_adapter(fake, timeout=0.2).fetch_profile()


@pytest.mark.parametrize("body", [b'{"total": ', b'{"errcode": 0, "x": "\xff"}', b"[1, 2]"])
def test_malformed_json(fake: FakeNetwork, body: bytes) -> None:
    fake.route("GET", "/cgi-bin/user/get", FakeResponse(200, body))
    with pytest.raises(MalformedResponse):
        make_adapter(fake).fetch_profile()


def test_secrets_never_reach_logs(fake: FakeNetwork, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake.route(
        "GET", "/cgi-bin/user/get", ok("error_40001_invalid_credential.json")
    )
    adapter = make_adapter(fake)
    with pytest.raises(AuthExpired) as caught:
        adapter.fetch_profile()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/cgi-bin/token" in logged and "/cgi-bin/user/get" in logged
    for secret in (APPSECRET, TOKEN):
        assert secret not in logged
        assert secret not in str(caught.value)
        assert secret not in repr(adapter)
        assert secret not in repr(adapter.credentials)


# --- Webhook -------------------------------------------------------------------------

SECRET = "townsquareWechatToken"
SENT = 1717236000
NOW = dt.datetime.fromtimestamp(SENT, dt.UTC)


def signed(
    timestamp: int = SENT, nonce: str = "1234567890", secret: str = SECRET
) -> dict[str, str]:
    return {
        "signature": signature(secret, str(timestamp), nonce),
        "timestamp": str(timestamp),
        "nonce": nonce,
        "openid": OPENID,
    }


def test_signature_matches_the_documented_algorithm() -> None:
    # The three values sorted as strings, concatenated, then SHA-1 in hex.
    expected = hashlib.sha1(b"1409304348tokenxxxxxx").hexdigest()  # noqa: S324
    assert signature("token", "1409304348", "xxxxxx") == expected
    assert signature("xxxxxx", "token", "1409304348") == expected


def test_handshake() -> None:
    handler = WeChatWebhook()
    assert handler.handshake({**signed(), "echostr": "4856742315"}, SECRET) == "4856742315"
    assert handler.handshake(signed(), SECRET) is None
    with pytest.raises(InvalidSignature):
        handler.handshake({**signed(secret="wrong"), "echostr": "1"}, SECRET)


def verify(query: dict[str, str], now: dt.datetime = NOW, secret: str = SECRET) -> None:
    WeChatWebhook().verify(
        body=raw("message_text.xml"), headers={}, query=query, secret=secret, now=now
    )


def test_verify_accepts_a_signed_delivery() -> None:
    verify(signed(), now=NOW + dt.timedelta(seconds=60))


@pytest.mark.parametrize(
    "query",
    [
        {},
        {**signed(), "signature": "0" * 40},
        {**signed(), "nonce": "tampered"},
        signed(secret="another token"),
    ],
)
def test_verify_rejects_bad_signatures(query: dict[str, str]) -> None:
    with pytest.raises(InvalidSignature):
        verify(query)


def test_verify_without_a_secret() -> None:
    with pytest.raises(InvalidSignature):
        verify(signed(secret=""), secret="")


def test_verify_rejects_replays_outside_the_window() -> None:
    with pytest.raises(StaleEvent):
        verify(signed(), now=NOW + dt.timedelta(minutes=10))
    with pytest.raises(StaleEvent):
        verify(signed(), now=NOW - dt.timedelta(minutes=10))


def test_parse_text_message_exactly() -> None:
    [change] = WeChatWebhook().parse(raw("message_text.xml"))
    assert change.kind is ChangeKind.CREATED
    assert change.remote_id == f"{OPENID}:24613276598901234"
    assert change.account_ref == "gh_3a8f2b1c9d0e"
    assert change.occurred_at == NOW
    item = change.item
    assert item is not None
    assert item.kind is ItemKind.DIRECT_MESSAGE
    assert item.text == "你好，12路公交什么时候恢复？ 👨‍👩‍👧 <b>不是标签</b>"
    assert item.author_id == OPENID
    assert item.is_own is False


def test_parse_image_voice_and_event() -> None:
    handler = WeChatWebhook()
    [image] = handler.parse(raw("message_image.xml"))
    assert image.item is not None
    assert image.item.attachment_urls == ("http://mmbiz.qpic.cn/mmbiz_jpg/xyz/0",)
    [voice] = handler.parse(raw("message_voice.xml"))
    assert voice.item is not None and voice.item.text == "地铁二号线晚点了"
    [event] = handler.parse(raw("event_subscribe.xml"))
    assert event.remote_id == "oLVPpjkttuZu-dk3lQaRhKHBdFTw:1717236180:subscribe"
    assert event.item is not None and event.item.raw["MsgType"] == "event"


def test_duplicate_deliveries_parse_identically() -> None:
    handler = WeChatWebhook()
    assert handler.parse(raw("message_text.xml")) == handler.parse(raw("message_text.xml"))


@pytest.mark.parametrize("name", ["billion_laughs.xml", "external_entity.xml"])
def test_entity_attacks_are_refused(name: str) -> None:
    with pytest.raises(MalformedResponse, match="DTD"):
        WeChatWebhook().parse(raw(name))


def test_declarations_hidden_by_case_or_encoding_are_refused() -> None:
    body = raw("billion_laughs.xml").replace(b"<!DOCTYPE", b"<!doctype")
    with pytest.raises(MalformedResponse):
        WeChatWebhook().parse(body)
    with pytest.raises(MalformedResponse):
        WeChatWebhook().parse(raw("billion_laughs.xml").decode().encode("utf-16"))


def test_encrypted_mode_is_reported() -> None:
    with pytest.raises(MalformedResponse, match="encrypted"):
        WeChatWebhook().parse(raw("message_encrypted.xml"))


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><ToUserName>gh</ToUserName>",
        b"<root/>",
        b"<xml><ToUserName>gh</ToUserName><MsgType>text</MsgType></xml>",
        b"not xml at all",
    ],
)
def test_broken_messages(body: bytes) -> None:
    with pytest.raises(MalformedResponse):
        WeChatWebhook().parse(body)


def test_invalid_utf8_is_replaced_and_long_text_kept() -> None:
    long_text = ("مرحبا 👩🏽‍⚕️ 你好 " * 800)[:10_000]
    body = raw("message_text.xml").replace(
        "你好，12路公交什么时候恢复？".encode(), b"\xff\xfe" + long_text.encode()
    )
    [change] = WeChatWebhook().parse(body)
    assert change.item is not None
    assert change.item.text.startswith("\ufffd\ufffd" + long_text)
