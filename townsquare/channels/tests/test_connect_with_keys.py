"""Networks connected with keys: the console checks them with the network (local fakes of
each network's documented API) before anything is stored."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from townsquare.channels.adapters.base import Credentials
from townsquare.channels.adapters.testing import FakeNetwork, FakeRequest, FakeResponse
from townsquare.channels.models import ConnectionState, Credential
from townsquare.channels.services.accounts import account_create
from townsquare.channels.services.credentials import credentials_load, credentials_store
from townsquare.core.models import AuditEvent

pytestmark = pytest.mark.django_db

ADAPTERS = Path(__file__).resolve().parents[1] / "adapters"
BOT_TOKEN = "7000000001:AAH-SECRET-bot-token"
WA_TOKEN = "EAAwa-SECRET-system-user"
WA_NUMBER = "106540352242922"
SMS_SID = "AC0123456789abcdef0123456789abcdef"
SMS_TOKEN = "SECRET-twilio-auth-token"
WECHAT_SECRET = "SECRET-wechat-appsecret"


def fixture(network: str, name: str) -> Any:
    return json.loads((ADAPTERS / network / "fixtures" / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def server() -> Iterator[FakeNetwork]:
    with FakeNetwork() as network:
        yield network


@pytest.fixture
def fake(server: FakeNetwork) -> FakeNetwork:
    server.reset()
    return server


def closed_port_url() -> str:
    """An address on loopback where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def make(alice, government, network: str, handle: str, **config: Any):
    return account_create(actor=alice, organisation=government["transport"], network=network,
                          handle=handle, config=config)


def post(client, account, data: dict[str, str]):
    return client.post(reverse("channels:credentials", args=[account.pk]), data)


def assert_nothing_stored(account, config_before: dict[str, Any]) -> None:
    account.refresh_from_db()
    assert not Credential.objects.filter(account=account).exists()
    assert account.connection_state == ConnectionState.NOT_CONNECTED
    assert account.config == config_before
    assert not AuditEvent.objects.filter(action="account.connect").exists()


# --- Telegram ----------------------------------------------------------------------------


@pytest.fixture
def bot(alice, government, fake):
    return make(alice, government, "telegram", "@transport_news", api_base_url=fake.url)


def test_telegram_keys_are_checked_then_stored(client_for, alice, bot, fake):
    fake.route("POST", f"/bot{BOT_TOKEN}/getMe", FakeResponse(200, fixture("telegram",
                                                                          "get_me.json")))
    fake.route("POST", f"/bot{BOT_TOKEN}/getChatMemberCount",
               FakeResponse(200, fixture("telegram", "get_chat_member_count.json")))
    client = client_for(alice)
    form = client.get(reverse("channels:credentials", args=[bot.pk])).content.decode()
    assert 'type="password"' in form
    response = post(client, bot, {"bot_token": BOT_TOKEN, "chat_id": "@transport_news"})
    assert response.status_code == 302
    bot.refresh_from_db()
    assert bot.connection_state == ConnectionState.CONNECTED
    assert credentials_load(bot).access_token == BOT_TOKEN
    # The channel was entered; the bot's username came from getMe.
    assert bot.config == {"api_base_url": fake.url, "chat_id": "@transport_news",
                          "bot_username": "TransportAgencyBot"}
    assert bot.remote_id == "7000000001"
    assert bot.followers == fixture("telegram", "get_chat_member_count.json")["result"]
    member_count = next(r for r in fake.requests if r.path.endswith("/getChatMemberCount"))
    assert member_count.json() == {"chat_id": "@transport_news"}
    # The channel is shown again for the next reconnection; the token never is.
    page = client.get(reverse("channels:credentials", args=[bot.pk])).content.decode()
    assert "@transport_news" in page and "SECRET" not in page


def test_telegram_rejected_token_stores_nothing(client_for, alice, bot, fake):
    fake.route("POST", f"/bot{BOT_TOKEN}/getMe",
               FakeResponse(401, fixture("telegram", "error_401.json")))
    response = post(client_for(alice), bot, {"bot_token": BOT_TOKEN, "chat_id": "@transport_news"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Telegram refused these credentials" in body and "Nothing was stored" in body
    assert "SECRET" not in body
    assert_nothing_stored(bot, {"api_base_url": fake.url})


def test_telegram_server_error_says_it_could_not_reach(client_for, alice, bot, fake):
    fake.route("POST", f"/bot{BOT_TOKEN}/getMe",
               FakeResponse(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}))
    body = post(client_for(alice), bot,
                {"bot_token": BOT_TOKEN, "chat_id": "@transport_news"}).content.decode()
    assert "Could not reach Telegram" in body and "SECRET" not in body
    assert_nothing_stored(bot, {"api_base_url": fake.url})


def test_telegram_timeout_says_it_could_not_reach(client_for, alice, government, fake):
    bot = make(alice, government, "telegram", "@slow_news", api_base_url=fake.url, timeout=0.3)
    released = threading.Event()

    def hang(request: FakeRequest) -> FakeResponse:
        released.wait(5)  # longer than the adapter's timeout; released when the test ends
        return FakeResponse(200, fixture("telegram", "get_me.json"))

    fake.route("POST", f"/bot{BOT_TOKEN}/getMe", hang)
    try:
        body = post(client_for(alice), bot,
                    {"bot_token": BOT_TOKEN, "chat_id": "@slow_news"}).content.decode()
    finally:
        released.set()
    assert "Could not reach Telegram" in body and "timed out" in body
    assert_nothing_stored(bot, {"api_base_url": fake.url, "timeout": 0.3})


def test_rejected_new_key_keeps_the_working_one(client_for, alice, bot, fake):
    credentials_store(actor=alice, account=bot, credentials=Credentials(access_token="old-key"))
    fake.route("POST", f"/bot{BOT_TOKEN}/getMe",
               FakeResponse(401, fixture("telegram", "error_401.json")))
    post(client_for(alice), bot, {"bot_token": BOT_TOKEN, "chat_id": "@transport_news"})
    bot.refresh_from_db()
    assert credentials_load(bot).access_token == "old-key"
    assert bot.connection_state == ConnectionState.CONNECTED
    assert "chat_id" not in bot.config


def test_bad_input_is_refused_before_the_network_is_asked(client_for, alice, bot, fake):
    client = client_for(alice)
    body = post(client, bot, {"bot_token": "bad\x01" + BOT_TOKEN,
                              "chat_id": "@transport_news"}).content.decode()
    assert "control characters" in body and "SECRET" not in body
    body = post(client, bot, {"bot_token": BOT_TOKEN}).content.decode()
    assert "This field is required" in body
    assert fake.requests == []
    assert_nothing_stored(bot, {"api_base_url": fake.url})


def test_only_managers_of_the_owner_may_enter_keys(client_for, bob, carol, bot, fake):
    assert post(client_for(carol), bot, {"bot_token": BOT_TOKEN, "chat_id": "@x"}) \
        .status_code == 404
    assert post(client_for(bob), bot, {"bot_token": BOT_TOKEN, "chat_id": "@x"}) \
        .status_code == 403
    assert fake.requests == []


# --- WhatsApp ----------------------------------------------------------------------------


@pytest.fixture
def whatsapp(alice, government, fake):
    return make(alice, government, "whatsapp", "+1 555-078-3881", graph_base_url=fake.url)


def wa_form(**changes: str) -> dict[str, str]:
    return {"access_token": WA_TOKEN, "phone_number_id": WA_NUMBER,
            "app_secret": "SECRET-app", **changes}


def test_whatsapp_keys_are_checked_then_stored(client_for, alice, whatsapp, fake):
    fake.route("GET", f"/v21.0/{WA_NUMBER}",
               FakeResponse(200, fixture("whatsapp", "phone_number.json")))
    assert post(client_for(alice), whatsapp, wa_form()).status_code == 302
    (request,) = fake.requests
    assert request.headers["authorization"] == f"Bearer {WA_TOKEN}"
    assert request.query.get("appsecret_proof")  # the app secret is used, never sent
    whatsapp.refresh_from_db()
    assert whatsapp.connection_state == ConnectionState.CONNECTED
    assert whatsapp.config["phone_number_id"] == WA_NUMBER
    assert whatsapp.remote_id == WA_NUMBER
    stored = credentials_load(whatsapp)
    assert (stored.access_token, stored.extra["app_secret"]) == (WA_TOKEN, "SECRET-app")


def test_whatsapp_expired_token_stores_nothing(client_for, alice, whatsapp, fake):
    fake.route("GET", f"/v21.0/{WA_NUMBER}",
               FakeResponse(401, fixture("whatsapp", "error_token_expired.json")))
    body = post(client_for(alice), whatsapp, wa_form()).content.decode()
    assert "WhatsApp refused these credentials" in body and "SECRET" not in body
    assert_nothing_stored(whatsapp, {"graph_base_url": fake.url})


def test_whatsapp_unreachable_network(client_for, alice, government):
    account = make(alice, government, "whatsapp", "+1 555-000-0000",
                   graph_base_url=closed_port_url())
    config = dict(account.config)
    body = post(client_for(alice), account, wa_form()).content.decode()
    assert "Could not reach WhatsApp" in body and "SECRET" not in body
    assert_nothing_stored(account, config)


def test_whatsapp_invalid_setting_is_named(client_for, alice, whatsapp, fake):
    body = post(client_for(alice), whatsapp, wa_form(phone_number_id="not-a-number")) \
        .content.decode()
    assert "These settings do not work for WhatsApp" in body and "phone_number_id" in body
    assert fake.requests == []
    assert_nothing_stored(whatsapp, {"graph_base_url": fake.url})


# --- SMS gateway and WeChat ---------------------------------------------------------------


@pytest.fixture
def sms(alice, government, fake):
    return make(alice, government, "sms", "+15005550006", api_base_url=fake.url)


def sms_form() -> dict[str, str]:
    return {"account_id": SMS_SID, "api_key": SMS_TOKEN, "from_number": "+15005550006"}


def test_sms_keys_are_checked_then_stored(client_for, alice, sms, fake):
    fake.route("GET", f"/2010-04-01/Accounts/{SMS_SID}.json",
               FakeResponse(200, fixture("sms", "account.json")))
    assert post(client_for(alice), sms, sms_form()).status_code == 302
    sms.refresh_from_db()
    assert sms.connection_state == ConnectionState.CONNECTED
    assert sms.config == {"api_base_url": fake.url, "account_sid": SMS_SID,
                          "from_number": "+15005550006"}
    # The auth token signs the gateway's webhooks too, so it is kept where they look.
    assert credentials_load(sms).extra["auth_token"] == SMS_TOKEN


def test_sms_wrong_auth_token_stores_nothing(client_for, alice, sms, fake):
    fake.route("GET", f"/2010-04-01/Accounts/{SMS_SID}.json",
               FakeResponse(401, fixture("sms", "error_20003_authenticate.json")))
    body = post(client_for(alice), sms, sms_form()).content.decode()
    assert "SMS refused these credentials" in body and "SECRET" not in body
    assert_nothing_stored(sms, {"api_base_url": fake.url})


@pytest.fixture
def wechat(alice, government, fake):
    return make(alice, government, "wechat", "gh_transport", api_base_url=fake.url)


def wechat_form() -> dict[str, str]:
    return {"app_id": "wx0123456789abcdef", "app_secret": WECHAT_SECRET, "token": "SECRET-sign"}


def test_wechat_keys_are_checked_then_stored(client_for, alice, wechat, fake):
    fake.route("GET", "/cgi-bin/token", FakeResponse(200, fixture("wechat", "token.json")))
    fake.route("GET", "/cgi-bin/user/get", FakeResponse(200, fixture("wechat", "user_get.json")))
    assert post(client_for(alice), wechat, wechat_form()).status_code == 302
    wechat.refresh_from_db()
    assert wechat.followers == 23000
    stored = credentials_load(wechat)
    assert stored.extra == {"appid": "wx0123456789abcdef", "appsecret": WECHAT_SECRET,
                            "webhook_secret": "SECRET-sign"}


def test_wechat_wrong_appsecret_stores_nothing(client_for, alice, wechat, fake):
    fake.route("GET", "/cgi-bin/token",
               FakeResponse(200, fixture("wechat", "error_40125_invalid_appsecret.json")))
    body = post(client_for(alice), wechat, wechat_form()).content.decode()
    assert "WeChat refused these credentials" in body and "SECRET" not in body
    assert_nothing_stored(wechat, {"api_base_url": fake.url})


def test_wechat_busy_system_says_it_could_not_reach(client_for, alice, wechat, fake):
    fake.route("GET", "/cgi-bin/token", FakeResponse(200, fixture("wechat", "token.json")))
    fake.route("GET", "/cgi-bin/user/get",
               FakeResponse(200, fixture("wechat", "error_system_busy.json")))
    body = post(client_for(alice), wechat, wechat_form()).content.decode()
    assert "Could not reach WeChat" in body
    assert_nothing_stored(wechat, {"api_base_url": fake.url})

