"""A real network's webhook (Facebook Pages) through the receiver view, end to end."""

import json
import time
from pathlib import Path

import pytest
from django.test import Client

from townsquare.channels.adapters.meta.testing import signed_headers
from townsquare.channels.models import InboundItem, ItemState, WebhookDelivery

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "adapters" / "facebook" / "fixtures"
APP_SECRET = "meta-app-secret"
VERIFY_TOKEN = "meta-verify-token"
PAGE_ID = "104578965432101"


@pytest.fixture
def page(alice, government, settings):
    from townsquare.channels.services.accounts import account_create

    settings.WEBHOOK_SECRETS = {"facebook": APP_SECRET}
    settings.WEBHOOK_VERIFY_TOKENS = {"facebook": VERIFY_TOKEN}
    account = account_create(
        actor=alice, organisation=government["transport"], network="facebook", handle="transportgov"
    )
    account.remote_id = PAGE_ID
    account.save()
    return account


def fresh(name: str) -> bytes:
    payload = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    for entry in payload["entry"]:
        entry["time"] = int(time.time())
        for change in entry.get("changes", []):
            change["value"]["created_time"] = int(time.time())
    return json.dumps(payload).encode()


def deliver(body: bytes, secret: str = APP_SECRET):
    headers = {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signed_headers(body, secret).items()
    }
    return Client().post("/webhooks/facebook/", body, content_type="application/json", **headers)


def test_subscription_challenge_uses_the_verify_token(page):
    ok = Client().get(
        "/webhooks/facebook/",
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert ok.status_code == 200
    assert ok.content == b"1158201444"
    wrong = Client().get(
        "/webhooks/facebook/",
        {"hub.mode": "subscribe", "hub.verify_token": APP_SECRET, "hub.challenge": "1"},
    )
    assert wrong.status_code in (400, 403)


def test_a_comment_delivered_three_times_is_one_item_then_removed(page):
    body = fresh("webhook_feed_comment_add.json")
    for _ in range(3):
        assert deliver(body).status_code == 200
    item = InboundItem.objects.get(account=page)
    assert "parade" in item.text
    assert WebhookDelivery.objects.filter(verified=True).count() == 3
    assert deliver(fresh("webhook_feed_comment_remove.json")).status_code == 200
    item.refresh_from_db()
    assert item.state == ItemState.DELETED


def test_a_wrongly_signed_delivery_is_kept_but_not_applied(page):
    body = fresh("webhook_feed_comment_add.json")
    assert deliver(body, secret="not-the-app-secret").status_code == 403
    assert InboundItem.objects.count() == 0
    assert bytes(WebhookDelivery.objects.get().body) == body
