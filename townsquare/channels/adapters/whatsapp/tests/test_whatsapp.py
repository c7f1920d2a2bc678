"""WhatsApp Business Cloud API adapter and webhook against a local fake of the Graph API."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
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
from townsquare.channels.adapters.meta.testing import (
    fixture,
    fixture_bytes,
    graph_path,
    signed_headers,
    slow,
)
from townsquare.channels.adapters.registry import adapter_class, webhook_handler
from townsquare.channels.adapters.testing import FakeNetwork, FakeResponse
from townsquare.channels.adapters.whatsapp.client import WhatsAppAdapter, reply_target
from townsquare.channels.adapters.whatsapp.webhook import WhatsAppWebhook

HERE = Path(__file__).resolve().parent.parent
PN = "106540352242922"
TOKEN = "EAAwasystemuser-SECRET-0123456789"
APP_SECRET = "app-secret-wa-5150"
CUSTOMER = "16505551234"
INBOUND = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUJDMTIzNDU2Nzg5MEFCQ0RFRgA="


def fx(name: str) -> Any:
    return fixture(HERE, name)


def make_adapter(fake: FakeNetwork, **config: Any) -> WhatsAppAdapter:
    settings: dict[str, Any] = {
        "phone_number_id": PN,
        "waba_id": "102290129340398",
        "graph_base_url": fake.url,
    }
    settings.update(config)
    return WhatsAppAdapter(credentials=Credentials(access_token=TOKEN), config=settings)


def test_registry_config_and_capabilities() -> None:
    assert adapter_class("whatsapp") is WhatsAppAdapter
    assert isinstance(webhook_handler("whatsapp"), WhatsAppWebhook)
    assert WhatsAppAdapter.capabilities.private_messages is True
    with pytest.raises(ValueError, match="phone_number_id"):
        WhatsAppAdapter(credentials=Credentials(access_token=TOKEN), config={"waba_id": "1"})


def test_profile(fake: FakeNetwork) -> None:
    fake.route("GET", graph_path(PN), FakeResponse(200, fx("phone_number.json")))
    adapter = make_adapter(fake)
    profile = adapter.fetch_profile()
    assert (profile.handle, profile.display_name, profile.followers) == (
        "+1 555-078-3881",
        "Ministry of Transport",
        None,
    )
    assert fake.requests[0].query["fields"] == ["display_phone_number,verified_name"]
    assert fake.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in repr(adapter)


def test_fetch_inbound_is_webhook_only(fake: FakeNetwork) -> None:
    result = make_adapter(fake).fetch_inbound("1716200000")
    assert (result.items, result.cursor, result.gap) == ([], "1716200000", False)
    assert fake.requests == []


def test_publish_is_not_supported(fake: FakeNetwork) -> None:
    with pytest.raises(NotSupported, match="public posts"):
        make_adapter(fake).publish(PostRequest(text="hello"))


def test_reply_text_quotes_the_message(fake: FakeNetwork) -> None:
    fake.route("POST", graph_path(PN, "messages"), FakeResponse(200, fx("message_sent.json")))
    [change] = WhatsAppWebhook().parse(fixture_bytes(HERE, "webhook_text_message.json"))
    assert change.item is not None
    sent = make_adapter(fake).reply(reply_target(change.item), PostRequest(text="Obrigado! 🙏"))
    assert sent.remote_id == "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
    assert fake.requests[0].json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CUSTOMER,
        "type": "text",
        "text": {"body": "Obrigado! 🙏"},
        "context": {"message_id": INBOUND},
    }


def test_reply_needs_the_customer_number(fake: FakeNetwork) -> None:
    with pytest.raises(RemoteRejected, match="wa_id"):
        make_adapter(fake).reply(INBOUND, PostRequest(text="x"))


def test_reply_outside_the_24_hour_window(fake: FakeNetwork) -> None:
    fake.route("POST", graph_path(PN, "messages"), FakeResponse(400, fx("error_reengagement.json")))
    with pytest.raises(RemoteRejected, match="24 hours") as caught:
        make_adapter(fake).reply(CUSTOMER, PostRequest(text="late"))
    assert "template" in str(caught.value)


def test_reply_with_an_image(fake: FakeNetwork) -> None:
    fake.route("POST", graph_path(PN, "media"), FakeResponse(200, fx("media_uploaded.json")))
    fake.route("POST", graph_path(PN, "messages"), FakeResponse(200, fx("message_sent.json")))
    photo = Attachment(content=b"\x89PNG", mime_type="image/png", filename="map.png")
    make_adapter(fake).reply(f"{CUSTOMER}:{INBOUND}", PostRequest(text="Map", attachments=(photo,)))
    upload, send = fake.requests
    assert b'name="messaging_product"\r\n\r\nwhatsapp' in upload.body
    assert b"\x89PNG" in upload.body
    assert send.json()["image"] == {"id": "1037543291543636", "caption": "Map"}
    assert send.json()["type"] == "image"


def test_401_between_upload_and_send_is_auth_expired(fake: FakeNetwork) -> None:
    fake.route("POST", graph_path(PN, "media"), FakeResponse(200, fx("media_uploaded.json")))
    fake.route(
        "POST", graph_path(PN, "messages"), FakeResponse(401, fx("error_token_expired.json"))
    )
    photo = Attachment(content=b"jpg", mime_type="image/jpeg")
    with pytest.raises(AuthExpired) as caught:
        make_adapter(fake).reply(CUSTOMER, PostRequest(text="x", attachments=(photo,)))
    assert TOKEN not in str(caught.value)


def test_caption_and_text_limits(fake: FakeNetwork) -> None:
    adapter = make_adapter(fake)
    photo = Attachment(content=b"jpg", mime_type="image/jpeg")
    with pytest.raises(RemoteRejected, match="1024"):
        adapter.reply(CUSTOMER, PostRequest(text="x" * 1025, attachments=(photo,)))
    with pytest.raises(RemoteRejected, match="4096"):
        adapter.reply(CUSTOMER, PostRequest(text="x" * 4097))
    assert fake.requests == []


@pytest.mark.parametrize("form", ["seconds", "date", "missing"])
def test_429_with_each_retry_after_form(fake: FakeNetwork, form: str) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=45)
    headers = {
        "seconds": {"Retry-After": "6"},
        "date": {"Retry-After": email.utils.format_datetime(later, usegmt=True)},
        "missing": {},
    }[form]
    body = fx("error_pair_rate_limit.json")
    fake.route("POST", graph_path(PN, "messages"), FakeResponse(429, body, headers))
    with pytest.raises(RateLimited) as caught:
        make_adapter(fake).reply(CUSTOMER, PostRequest(text="again"))
    if form == "seconds":
        assert caught.value.retry_after == 6.0
    elif form == "date":
        assert caught.value.retry_after is not None
        assert 0 < caught.value.retry_after <= 45
    else:
        assert caught.value.retry_after is None


def test_pair_rate_limit_code_is_rate_limited(fake: FakeNetwork) -> None:
    fake.route(
        "POST", graph_path(PN, "messages"), FakeResponse(400, fx("error_pair_rate_limit.json"))
    )
    with pytest.raises(RateLimited):
        make_adapter(fake).reply(CUSTOMER, PostRequest(text="again"))


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (FakeResponse(500, b""), TransientError),
        (
            FakeResponse(400, {"error": {"code": 131000, "message": "Something went wrong"}}),
            TransientError,
        ),
        (FakeResponse(200, b"{oops"), MalformedResponse),
        (FakeResponse(200, {"messaging_product": "whatsapp"}), MalformedResponse),
    ],
)
def test_failures(fake: FakeNetwork, response: FakeResponse, error: type[Exception]) -> None:
    fake.route("POST", graph_path(PN, "messages"), response)
    with pytest.raises(error):
        make_adapter(fake).reply(CUSTOMER, PostRequest(text="hi"))


def test_timeout(fake: FakeNetwork) -> None:
    fake.route("GET", graph_path(PN), slow(FakeResponse(200, fx("phone_number.json")), 0.6))
    with pytest.raises(TransientError):
        make_adapter(fake, timeout_seconds=0.2).fetch_profile()


# --- webhooks --------------------------------------------------------------------------


def at(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def verify(body: bytes, now: dt.datetime, secret: str = APP_SECRET) -> None:
    WhatsAppWebhook().verify(
        body=body, headers=signed_headers(body, secret), query={}, secret=APP_SECRET, now=now
    )


def test_webhook_signature_and_replay_window() -> None:
    body = fixture_bytes(HERE, "webhook_text_message.json")
    verify(body, at(1716200000 + 60))
    with pytest.raises(InvalidSignature):
        verify(body, at(1716200000 + 60), secret="wrong")
    with pytest.raises(StaleEvent):
        verify(body, at(1716200000 + WhatsAppWebhook.replay_window_seconds + 1))
    with pytest.raises(StaleEvent):
        verify(body, at(1716200000 - 3600))
    # No timestamp anywhere (status of a template, …): accepted, and nothing is parsed.
    update = fx("webhook_account_update.json")
    del update["entry"][0]["time"]
    no_time = json.dumps(update).encode()
    verify(no_time, at(1716200000 + 10**7))
    assert WhatsAppWebhook().parse(no_time) == []


def test_webhook_text_message() -> None:
    [change] = WhatsAppWebhook().parse(fixture_bytes(HERE, "webhook_text_message.json"))
    assert (change.kind, change.remote_id, change.account_ref) == (ChangeKind.CREATED, INBOUND, PN)
    item = change.item
    assert item is not None
    assert item.kind is ItemKind.DIRECT_MESSAGE
    assert item.text == "Olá! O autocarro 12 está atrasado 🚌⏰"
    assert (item.author_id, item.author_name, item.conversation_id) == (
        CUSTOMER,
        "Ana Silva",
        CUSTOMER,
    )
    assert item.created_at == at(1716200000)
    assert item.is_own is False


def test_webhook_image_reply_and_reaction() -> None:
    changes = WhatsAppWebhook().parse(fixture_bytes(HERE, "webhook_image_reply.json"))
    assert len(changes) == 1  # the reaction is not a message
    item = changes[0].item
    assert item is not None
    assert item.text == "الحافلة متأخرة"
    assert item.in_reply_to == "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
    assert item.attachment_urls == ("whatsapp-media:2754859441498128",)


def test_webhook_statuses_are_exposed_separately() -> None:
    body = fixture_bytes(HERE, "webhook_statuses.json")
    assert WhatsAppWebhook().parse(body) == []
    [status] = WhatsAppWebhook().parse_statuses(body)
    assert (status.status, status.error_codes, status.recipient_id) == (
        "failed",
        (131047,),
        CUSTOMER,
    )


def test_webhook_echo_is_own_and_duplicates_are_identical() -> None:
    body = fixture_bytes(HERE, "webhook_message_echo.json")
    [echo] = WhatsAppWebhook().parse(body)
    assert echo.item is not None
    assert echo.item.is_own is True
    assert echo.item.conversation_id == CUSTOMER
    text = fixture_bytes(HERE, "webhook_text_message.json")
    assert WhatsAppWebhook().parse(text) == WhatsAppWebhook().parse(text)


def test_webhook_long_emoji_text_and_invalid_utf8() -> None:
    body = fixture_bytes(HERE, "webhook_text_message.json")
    long_text = "👩‍👩‍👧‍👦🇵🇹" * 1000
    payload = body.replace("Olá! O autocarro 12 está atrasado 🚌⏰".encode(), long_text.encode())
    [change] = WhatsAppWebhook().parse(payload)
    assert change.item is not None
    assert change.item.text == long_text
    broken = body.replace("Olá".encode(), b"Ol\xe1")  # Latin-1 byte in a UTF-8 body
    [change] = WhatsAppWebhook().parse(broken)
    assert change.item is not None
    assert change.item.text.startswith("Ol\ufffd!")
    with pytest.raises(MalformedResponse):
        WhatsAppWebhook().parse(b'{"object": "page", "entry": []}')
