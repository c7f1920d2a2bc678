from __future__ import annotations

import datetime as dt
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
from townsquare.channels.adapters.telegram.client import TelegramAdapter, utf16_length
from townsquare.channels.adapters.telegram.webhook import TelegramWebhook
from townsquare.channels.adapters.testing import (
    FakeNetwork,
    FakeRequest,
    FakeResponse,
    HttpDateFromNow,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TOKEN = "7000000001:AAH-SecretBotToken_abc123"
BOT = f"/bot{TOKEN}"
CHANNEL = "-1001234567890"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()



def make_adapter(fake: FakeNetwork, **config: Any) -> TelegramAdapter:
    settings = {
        "api_base_url": fake.url,
        "chat_id": "@transport_agency",
        "bot_username": "TransportAgencyBot",
        **config,
    }
    return TelegramAdapter(credentials=Credentials(access_token=TOKEN), config=settings)


def test_registry_points_at_these_classes() -> None:
    assert adapter_class("telegram") is TelegramAdapter
    assert isinstance(webhook_handler("telegram"), TelegramWebhook)


def test_bad_config_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="chat_id"):
        TelegramAdapter(
            credentials=Credentials(access_token=TOKEN),
            config={"chat_id": "transport agency", "bot_username": "b"},
        )
    with pytest.raises(ValueError, match="bot token"):
        TelegramAdapter(
            credentials=Credentials(), config={"chat_id": "@a", "bot_username": "b"}
        )


def test_fetch_inbound_maps_every_kind_of_update(fake: FakeNetwork) -> None:
    fake.route("POST", f"{BOT}/getUpdates", FakeResponse(200, fixture("get_updates.json")))
    result = make_adapter(fake).fetch_inbound(None)

    assert result.cursor == "500000009"
    assert result.gap is False
    sent = fake.requests[0].json()
    assert sent["allowed_updates"] == [
        "message", "edited_message", "channel_post", "edited_channel_post"
    ]
    assert "offset" not in sent
    by_id = {item.remote_id: item for item in result.items if not item.raw["edited"]}
    # Group chatter not addressed to the bot and the service message are skipped.
    assert "-1001987654321:342" not in by_id
    assert "-1001987654321:345" not in by_id

    dm = by_id["111111111:17"]
    assert dm.kind is ItemKind.DIRECT_MESSAGE
    assert dm.text == "مرحبا، متى يعود خط الحافلة 12؟ 👩‍👩‍👧"
    assert dm.author_handle == "layla_h"
    assert dm.author_name == "Layla Haddad"
    assert dm.is_own is False
    assert dm.created_at == dt.datetime(2024, 6, 1, 10, 0, tzinfo=dt.UTC)

    comment = by_id["-1001987654321:340"]
    assert comment.kind is ItemKind.COMMENT
    assert comment.in_reply_to == f"{CHANNEL}:88"  # the channel post, not its group copy
    assert comment.url == "https://t.me/transport_talk/340"
    assert comment.text == "公交12路周一恢复吗？"

    assert by_id["-1001987654321:341"].kind is ItemKind.MENTION
    reply = by_id["-1001987654321:343"]
    assert reply.kind is ItemKind.REPLY
    assert reply.in_reply_to == "-1001987654321:344"

    own = by_id[f"{CHANNEL}:89"]
    assert own.is_own is True
    assert own.kind is ItemKind.POST

    edited = [item for item in result.items if item.raw["edited"]]
    assert [e.remote_id for e in edited] == ["111111111:17"]
    assert edited[0].text.startswith("مرحبا، متى يعود خط الحافلة 12 إلى العمل")


def test_cursor_is_sent_as_offset_and_a_jump_is_a_gap(fake: FakeNetwork) -> None:
    fake.route("POST", f"{BOT}/getUpdates", FakeResponse(200, fixture("get_updates.json")))
    adapter = make_adapter(fake)

    in_order = adapter.fetch_inbound("500000001")
    assert fake.requests[-1].json()["offset"] == 500000001
    assert in_order.gap is False

    after_expiry = adapter.fetch_inbound("499999000")
    assert after_expiry.gap is True
    assert after_expiry.cursor == "500000009"


def test_no_updates_keeps_the_cursor(fake: FakeNetwork) -> None:
    fake.route("POST", f"{BOT}/getUpdates", FakeResponse(200, {"ok": True, "result": []}))
    result = make_adapter(fake).fetch_inbound("500000009")
    assert result.items == []
    assert result.cursor == "500000009"


def test_get_updates_while_a_webhook_is_set(fake: FakeNetwork) -> None:
    fake.route("POST", f"{BOT}/getUpdates", FakeResponse(409, fixture("error_409_webhook.json")))
    with pytest.raises(RemoteRejected, match="webhook"):
        make_adapter(fake).fetch_inbound(None)


def test_long_and_complex_inbound_text_is_kept_exactly(fake: FakeNetwork) -> None:
    text = ("👨‍👩‍👧‍👦 مرحبا 你好 " * 700)[:10_000]
    updates = fixture("get_updates.json")
    updates["result"] = [updates["result"][0]]
    updates["result"][0]["message"]["text"] = text
    fake.route("POST", f"{BOT}/getUpdates", FakeResponse(200, updates))
    [item] = make_adapter(fake).fetch_inbound(None).items
    assert item.text == text
    assert len(item.text) == 10_000


def test_invalid_utf8_from_the_api_is_a_malformed_response(fake: FakeNetwork) -> None:
    body = b'{"ok": true, "result": [{"update_id": 1, "message": {"text": "\xff\xfe"}}]}'
    fake.route("POST", f"{BOT}/getUpdates", FakeResponse(200, body))
    with pytest.raises(MalformedResponse):
        make_adapter(fake).fetch_inbound(None)


def test_publish_text_to_the_channel(fake: FakeNetwork) -> None:
    fake.route("POST", f"{BOT}/sendMessage", FakeResponse(200, fixture("send_message.json")))
    published = make_adapter(fake).publish(PostRequest(text="Route 12 resumes on Monday 🚌"))

    assert published.remote_id == f"{CHANNEL}:90"
    assert published.url == "https://t.me/transport_agency/90"
    assert published.published_at == dt.datetime(2024, 6, 1, 10, 16, 40, tzinfo=dt.UTC)
    assert fake.requests[0].json() == {
        "chat_id": "@transport_agency",
        "text": "Route 12 resumes on Monday 🚌",
    }


def test_reply_goes_to_the_original_chat_with_reply_parameters(fake: FakeNetwork) -> None:
    fake.route("POST", f"{BOT}/sendMessage", FakeResponse(200, fixture("send_message.json")))
    make_adapter(fake).reply("111111111:17", PostRequest(text="Monday at 06:00."))
    sent = fake.requests[0].json()
    assert sent["chat_id"] == "111111111"
    assert sent["reply_parameters"] == {"message_id": 17}


def test_text_is_measured_in_utf16_units_before_sending(fake: FakeNetwork) -> None:
    fake.route("POST", f"{BOT}/sendMessage", FakeResponse(200, fixture("send_message.json")))
    adapter = make_adapter(fake)
    assert utf16_length("👍") == 2
    adapter.publish(PostRequest(text="👍" * 2048))  # 4096 units: allowed
    with pytest.raises(RemoteRejected, match="4096"):
        adapter.publish(PostRequest(text="👍" * 2049))
    assert len(fake.requests) == 1


def test_publish_photo_with_caption_and_album(fake: FakeNetwork) -> None:
    fake.route("POST", f"{BOT}/sendPhoto", FakeResponse(200, fixture("send_photo.json")))
    fake.route(
        "POST", f"{BOT}/sendMediaGroup", FakeResponse(200, fixture("send_media_group.json"))
    )
    adapter = make_adapter(fake)
    photo = Attachment(content=b"\x89PNG-one", mime_type="image/png", alt_text="A map")

    single = adapter.publish(PostRequest(text="New timetable", attachments=(photo,)))
    assert single.remote_id == f"{CHANNEL}:91"
    first = fake.requests[0]
    assert first.headers["content-type"].startswith("multipart/form-data")
    assert b'name="caption"' in first.body and b"New timetable" in first.body
    assert b"\x89PNG-one" in first.body

    second = Attachment(content=b"\x89PNG-two", mime_type="image/png")
    album = adapter.publish(PostRequest(text="Two maps", attachments=(photo, second)))
    assert album.remote_id == f"{CHANNEL}:92"
    body = fake.requests[1].body
    assert b'"media": "attach://file0"' in body and b"attach://file1" in body
    assert b"\x89PNG-two" in body

    with pytest.raises(RemoteRejected, match="1024"):
        adapter.publish(PostRequest(text="x" * 1025, attachments=(photo,)))


def test_edit_falls_back_to_the_caption_for_media_posts(fake: FakeNetwork) -> None:
    fake.route(
        "POST", f"{BOT}/editMessageText", FakeResponse(400, fixture("error_edit_no_text.json"))
    )
    fake.route("POST", f"{BOT}/editMessageCaption", FakeResponse(200, fixture("send_photo.json")))
    edited = make_adapter(fake).edit(f"{CHANNEL}:91", "New timetable (corrected)")
    assert edited.remote_id == f"{CHANNEL}:91"
    assert fake.requests[1].json() == {
        "chat_id": CHANNEL,
        "message_id": 91,
        "caption": "New timetable (corrected)",
    }


def test_delete_and_its_48_hour_refusal(fake: FakeNetwork) -> None:
    answers = iter([
        FakeResponse(200, {"ok": True, "result": True}),
        FakeResponse(400, fixture("error_delete_refused.json")),
    ])
    fake.route("POST", f"{BOT}/deleteMessage", lambda request: next(answers))
    adapter = make_adapter(fake)
    adapter.delete(f"{CHANNEL}:90")
    assert fake.requests[0].json() == {"chat_id": CHANNEL, "message_id": 90}
    with pytest.raises(RemoteRejected, match="can't be deleted"):
        adapter.delete(f"{CHANNEL}:1")


def test_metrics_are_not_supported(fake: FakeNetwork) -> None:
    with pytest.raises(NotSupported):
        make_adapter(fake).fetch_metrics([f"{CHANNEL}:90"])


def test_profile_counts_channel_members(fake: FakeNetwork) -> None:
    fake.route("POST", f"{BOT}/getMe", FakeResponse(200, fixture("get_me.json")))
    fake.route(
        "POST",
        f"{BOT}/getChatMemberCount",
        FakeResponse(200, fixture("get_chat_member_count.json")),
    )
    profile = make_adapter(fake).fetch_profile()
    assert profile.followers == 48213
    assert profile.handle == "TransportAgencyBot"
    assert profile.remote_id == "7000000001"
    assert profile.url == "https://t.me/transport_agency"
    assert fake.requests[1].json() == {"chat_id": "@transport_agency"}


def _http_date(seconds_from_now: int) -> HttpDateFromNow:
    return HttpDateFromNow(seconds_from_now)


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        (fixture("error_429.json"), {}, (35.0, 35.0)),
        ({"ok": False, "error_code": 429, "description": "Too Many Requests"},
         {"Retry-After": "12"}, (12.0, 12.0)),
        ({"ok": False, "error_code": 429, "description": "Too Many Requests"},
         {"Retry-After": _http_date(120)}, (60.0, 120.0)),
        (b"rate limited", {}, None),
    ],
    ids=["parameters", "seconds", "http-date", "missing"],
)
def test_rate_limits(
    fake: FakeNetwork, body: Any, headers: dict[str, str], expected: tuple[float, float] | None
) -> None:
    fake.route("POST", f"{BOT}/sendMessage", FakeResponse(429, body, headers))
    with pytest.raises(RateLimited) as caught:
        make_adapter(fake).publish(PostRequest(text="hello"))
    if expected is None:
        assert caught.value.retry_after is None
    else:
        assert caught.value.retry_after is not None
        assert expected[0] <= caught.value.retry_after <= expected[1]


def test_401_in_the_middle_of_a_thread(fake: FakeNetwork) -> None:
    answers = iter([
        FakeResponse(200, fixture("send_message.json")),
        FakeResponse(401, fixture("error_401.json")),
    ])
    fake.route("POST", f"{BOT}/sendMessage", lambda request: next(answers))
    with pytest.raises(AuthExpired) as caught:
        make_adapter(fake).publish_thread([PostRequest(text="1/2"), PostRequest(text="2/2")])
    assert TOKEN not in str(caught.value)
    # The second part replied to the first one before the token was refused.
    assert fake.requests[1].json()["reply_parameters"] == {"message_id": 90}


def test_timeout_is_transient(fake: FakeNetwork) -> None:
    def slow(request: FakeRequest) -> FakeResponse:
        time.sleep(0.6)
        return FakeResponse(200, fixture("send_message.json"))

    fake.route("POST", f"{BOT}/sendMessage", slow)
    with pytest.raises(TransientError, match="timed out"):
        make_adapter(fake, timeout=0.2).publish(PostRequest(text="hello"))


@pytest.mark.parametrize(
    "response",
    [
        FakeResponse(502, b"<html>Bad Gateway</html>"),
        FakeResponse(500, {"ok": False, "error_code": 500, "description": "Internal"}),
    ],
)
def test_server_errors_are_transient(fake: FakeNetwork, response: FakeResponse) -> None:
    fake.route("POST", f"{BOT}/sendMessage", response)
    with pytest.raises(TransientError):
        make_adapter(fake).publish(PostRequest(text="hello"))


def test_malformed_json_is_reported(fake: FakeNetwork) -> None:
    fake.route("POST", f"{BOT}/sendMessage", FakeResponse(200, b'{"ok": true, "result": {'))
    with pytest.raises(MalformedResponse):
        make_adapter(fake).publish(PostRequest(text="hello"))


def test_the_token_never_leaks(fake: FakeNetwork, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake.route("POST", f"{BOT}/sendMessage", FakeResponse(401, fixture("error_401.json")))
    adapter = make_adapter(fake)
    with pytest.raises(AuthExpired) as caught:
        adapter.publish(PostRequest(text="hello"))

    assert fake.requests[0].path == f"{BOT}/sendMessage"  # it did reach the network
    assert TOKEN not in repr(adapter)
    assert TOKEN not in repr(adapter.credentials)
    for exc in (caught.value, caught.value.__cause__, caught.value.__context__):
        assert TOKEN not in str(exc) and TOKEN not in repr(exc)
    assert caplog.records, "httpx should have logged the request"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "bot-redacted/sendMessage" in logged
    assert TOKEN not in logged
    assert "AAH-SecretBotToken" not in logged


def test_connection_errors_do_not_leak_the_token() -> None:
    adapter = TelegramAdapter(
        credentials=Credentials(access_token=TOKEN),
        config={"api_base_url": "http://127.0.0.1:9", "chat_id": "@a", "bot_username": "b"},
    )
    with pytest.raises(TransientError) as caught:
        adapter.publish(PostRequest(text="hello"))
    assert TOKEN not in str(caught.value)
    assert caught.value.__cause__ is None


def test_set_webhook_sends_the_secret(fake: FakeNetwork) -> None:
    fake.route("POST", f"{BOT}/setWebhook", FakeResponse(200, {"ok": True, "result": True}))
    adapter = make_adapter(fake)
    adapter.set_webhook("https://townsquare.example.gov/hooks/telegram/42/", "s3cret_Value-1")
    sent = fake.requests[0].json()
    assert sent["secret_token"] == "s3cret_Value-1"
    assert sent["url"] == "https://townsquare.example.gov/hooks/telegram/42/"
    with pytest.raises(ValueError, match="secret_token"):
        adapter.set_webhook("https://townsquare.example.gov/x", "has spaces")
    with pytest.raises(ValueError, match="https"):
        adapter.set_webhook("http://townsquare.example.gov/x", "ok")


# --- Webhook -------------------------------------------------------------------------

SECRET = "webhook_Secret-123"
SENT_AT = dt.datetime(2024, 6, 1, 10, 0, tzinfo=dt.UTC)


def verify(body: bytes, *, headers: dict[str, str] | None = None, now: dt.datetime = SENT_AT,
           secret: str = SECRET) -> None:
    TelegramWebhook().verify(
        body=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET} if headers is None else headers,
        query={},
        secret=secret,
        now=now,
    )


def test_webhook_accepts_the_secret_header() -> None:
    verify(fixture_bytes("webhook_message.json"), now=SENT_AT + dt.timedelta(seconds=30))
    verify(
        fixture_bytes("webhook_message.json"),
        headers={"x-telegram-bot-api-secret-token": SECRET},
    )


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {"X-Telegram-Bot-Api-Secret-Token": ""}],
)
def test_webhook_bad_secret(headers: dict[str, str]) -> None:
    with pytest.raises(InvalidSignature):
        verify(fixture_bytes("webhook_message.json"), headers=headers)


def test_webhook_without_a_configured_secret_is_refused() -> None:
    with pytest.raises(InvalidSignature):
        verify(fixture_bytes("webhook_message.json"), headers={}, secret="")


def test_webhook_replay_outside_the_window_is_stale() -> None:
    with pytest.raises(StaleEvent):
        verify(fixture_bytes("webhook_message.json"), now=SENT_AT + dt.timedelta(hours=2))
    # An edit is judged by its edit_date, not by when the original was written.
    verify(
        fixture_bytes("webhook_edited_message.json"), now=SENT_AT + dt.timedelta(seconds=300)
    )


def test_webhook_parses_created_and_edited() -> None:
    handler = TelegramWebhook()
    [created] = handler.parse(fixture_bytes("webhook_message.json"))
    [edited] = handler.parse(fixture_bytes("webhook_edited_message.json"))
    assert created.kind is ChangeKind.CREATED
    assert edited.kind is ChangeKind.EDITED
    assert created.remote_id == edited.remote_id == "111111111:18"
    assert created.item is not None and created.item.kind is ItemKind.DIRECT_MESSAGE
    assert created.item.text == "شكرا 🙏🏽"
    assert edited.item is not None and edited.item.text == "شكرا جزيلا 🙏🏽"
    assert edited.occurred_at == dt.datetime(2024, 6, 1, 10, 2, tzinfo=dt.UTC)


def test_webhook_channel_posts_are_our_own() -> None:
    handler = TelegramWebhook()
    [post] = handler.parse(fixture_bytes("webhook_channel_post.json"))
    [edit] = handler.parse(fixture_bytes("webhook_edited_channel_post.json"))
    assert post.item is not None and post.item.is_own is True
    assert edit.kind is ChangeKind.EDITED and edit.remote_id == f"{CHANNEL}:94"


def test_webhook_duplicate_deliveries_parse_identically() -> None:
    handler = TelegramWebhook()
    body = fixture_bytes("webhook_message.json")
    assert handler.parse(body) == handler.parse(body)


def test_webhook_bodies_that_are_not_updates() -> None:
    handler = TelegramWebhook()
    with pytest.raises(MalformedResponse):
        handler.parse(b'{"update_id": ')
    with pytest.raises(MalformedResponse):
        handler.parse(b'{"no": "update id"}')
    assert handler.parse(b'{"update_id": 9, "callback_query": {"id": "1"}}') == []


def test_webhook_invalid_utf8_is_replaced_not_fatal() -> None:
    body = fixture_bytes("webhook_message.json").replace("شكرا".encode(), b"\xff\xfe ok")
    [change] = TelegramWebhook().parse(body)
    assert change.item is not None
    assert change.item.text.startswith("\ufffd\ufffd ok")
