"""Faults from issue #3 checked at the core, beyond the adapters' own tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from townsquare.channels.adapters import registry
from townsquare.channels.adapters.base import Credentials, MalformedResponse, Network
from townsquare.channels.models import InboundItem, PollCursor, WebhookDelivery
from townsquare.channels.services.credentials import credentials_store
from townsquare.channels.services.inbound import account_poll
from townsquare.channels.tests.fakes import ScriptedAdapter, sign

pytestmark = pytest.mark.django_db

FAKES = "townsquare.channels.tests.fakes"
SECRET = "hook-secret"


@pytest.fixture
def hook(transport_account, monkeypatch, settings):
    monkeypatch.setitem(registry.WEBHOOKS, Network.TELEGRAM, f"{FAKES}.SignedJsonWebhook")
    settings.WEBHOOK_SECRETS = {"telegram": SECRET}
    transport_account.network = "telegram"
    transport_account.remote_id = "bot-1"
    transport_account.save()
    return transport_account


def test_invalid_utf8_is_refused_and_kept_byte_for_byte(hook):
    body = b'{"ts": 1, "changes": [{"text": "\xc3\x28 \xff"}]}'
    response = Client().post("/webhooks/telegram/", body, content_type="application/json",
                             HTTP_X_SIGNATURE=sign(body, SECRET))
    assert response.status_code == 400
    stored = WebhookDelivery.objects.get()
    assert bytes(stored.body) == body
    assert stored.error and not stored.processed_at
    assert InboundItem.objects.count() == 0


def test_a_broken_content_length_is_a_400_not_a_crash(hook):
    response = Client().post("/webhooks/telegram/", b"{}", content_type="application/json",
                             CONTENT_LENGTH="twelve", HTTP_X_SIGNATURE=sign(b"{}", SECRET))
    assert response.status_code == 400
    assert response.json() == {"error": "invalid Content-Length"}


def test_account_webhook_address_of_another_network_is_404(hook, alice, government):
    from townsquare.channels.services.accounts import account_create

    other = account_create(actor=alice, organisation=government["transport"], network="x",
                           handle="TransportX")
    body = b'{"ts": 1, "changes": []}'
    for url in (f"/webhooks/telegram/{other.pk}/", "/webhooks/telegram/99999999/"):
        response = Client().post(url, body, content_type="application/json",
                                 HTTP_X_SIGNATURE=sign(body, SECRET))
        assert response.status_code == 404
    assert WebhookDelivery.objects.count() == 0


@pytest.fixture
def connected(alice, transport_account, monkeypatch):
    monkeypatch.setitem(registry.ADAPTERS, Network.MASTODON, f"{FAKES}.ScriptedAdapter")
    ScriptedAdapter.script = []
    ScriptedAdapter.seen_cursors = []
    credentials_store(
        actor=alice, account=transport_account, credentials=Credentials(access_token="t")
    )
    return transport_account


def test_malformed_answer_while_polling_backs_off_and_keeps_the_cursor(connected):
    cursor = PollCursor.objects.create(account=connected, stream="inbound", cursor="c7")
    ScriptedAdapter.script = [MalformedResponse("mastodon: the response is not valid JSON")]
    now = timezone.now()
    assert account_poll(account=connected, now=now).status == "failed"
    cursor.refresh_from_db()
    assert cursor.cursor == "c7" and cursor.failures == 1
    assert cursor.not_before is not None and cursor.not_before >= now + dt.timedelta(seconds=15)
    assert account_poll(account=connected, now=now + dt.timedelta(seconds=5)).status == "deferred"
    assert ScriptedAdapter.seen_cursors == ["c7"]
    assert InboundItem.objects.count() == 0
    connected.refresh_from_db()
    assert connected.connection_state == "connected"  # a bad answer is not lost access
