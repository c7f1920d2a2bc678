import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from townsquare.channels.adapters import registry
from townsquare.channels.adapters.base import (
    AuthExpired,
    Credentials,
    FetchResult,
    Network,
    RateLimited,
    TransientError,
)
from townsquare.channels.models import (
    AccountStatus,
    ConnectionState,
    InboundItem,
    PollCursor,
    WebhookDelivery,
)
from townsquare.channels.services.accounts import accounts_flag_overdue_reviews
from townsquare.channels.services.credentials import credentials_store
from townsquare.channels.services.inbound import account_poll
from townsquare.channels.tests.fakes import ScriptedAdapter, item, sign
from townsquare.core.models import Notification

pytestmark = pytest.mark.django_db

FAKES = "townsquare.channels.tests.fakes"


@pytest.fixture
def connected(alice, transport_account, monkeypatch):
    monkeypatch.setitem(registry.ADAPTERS, Network.MASTODON, f"{FAKES}.ScriptedAdapter")
    ScriptedAdapter.script = []
    ScriptedAdapter.seen_cursors = []
    credentials_store(
        actor=alice, account=transport_account, credentials=Credentials(access_token="t")
    )
    return transport_account


def test_poll_records_items_and_keeps_the_cursor(connected):
    ScriptedAdapter.script = [
        FetchResult([item("1"), item("2")], cursor="c2"),
        FetchResult([item("2"), item("3")], cursor="c3"),
    ]
    assert account_poll(account=connected).fetched == 2
    assert account_poll(account=connected).fetched == 2
    assert ScriptedAdapter.seen_cursors == [None, "c2"]
    assert InboundItem.objects.count() == 3
    assert PollCursor.objects.get(account=connected).cursor == "c3"


@pytest.mark.parametrize("retry_after", [120.0, None])
def test_rate_limit_defers_the_next_poll(connected, retry_after):
    ScriptedAdapter.script = [RateLimited("slow down", retry_after=retry_after)]
    now = timezone.now()
    assert account_poll(account=connected, now=now).status == "rate_limited"
    cursor = PollCursor.objects.get(account=connected)
    wait = (cursor.not_before - now).total_seconds()
    if retry_after is not None:
        assert 120 <= wait <= 126
    else:
        assert 15 <= wait <= 30  # half to all of the first back-off step
    # Before that time nothing is asked of the network.
    assert account_poll(account=connected, now=now + dt.timedelta(seconds=1)).status == "deferred"
    assert len(ScriptedAdapter.seen_cursors) == 1


def test_server_errors_back_off_more_each_time(connected):
    ScriptedAdapter.script = [TransientError("502")] * 3
    now = timezone.now()
    for attempt in range(3):
        account_poll(account=connected, now=now + dt.timedelta(days=attempt))
    assert PollCursor.objects.get(account=connected).failures == 3


def test_expired_access_flags_the_account(connected, alice):
    ScriptedAdapter.script = [AuthExpired("401")]
    assert account_poll(account=connected).status == "access_lost"
    connected.refresh_from_db()
    assert connected.connection_state == ConnectionState.EXPIRED
    assert Notification.objects.filter(recipient=alice, message_key="account.access_lost").exists()
    assert account_poll(account=connected).status == "deferred"  # no more calls until reconnected


def test_a_gap_is_reported(connected, alice):
    ScriptedAdapter.script = [FetchResult([item("1")], cursor="c1", gap=True)]
    assert account_poll(account=connected).gap is True
    assert PollCursor.objects.get(account=connected).gaps == 1
    assert Notification.objects.filter(recipient=alice, message_key="account.poll_gap").exists()


def test_overdue_reviews_go_under_review_and_the_office_is_told(
    transport_account, dana, government
):
    from townsquare.organisations.services import membership_grant, staff_user_create

    office_admin = staff_user_create(actor=None, username="omar", email="omar@example.org")
    membership_grant(
        actor=None, user=office_admin, organisation=government["office"], role="administrator"
    )
    transport_account.review_due_at = timezone.now() - dt.timedelta(days=1)
    transport_account.save()
    assert accounts_flag_overdue_reviews() == 1
    transport_account.refresh_from_db()
    assert transport_account.status == AccountStatus.UNDER_REVIEW
    assert Notification.objects.filter(
        recipient=office_admin, message_key="account.review_overdue"
    ).exists()
    assert accounts_flag_overdue_reviews() == 0


# --- Webhook receiver ----------------------------------------------------------------

SECRET = "hook-secret"


@pytest.fixture
def hook(transport_account, monkeypatch, settings):
    monkeypatch.setitem(registry.WEBHOOKS, Network.TELEGRAM, f"{FAKES}.SignedJsonWebhook")
    settings.WEBHOOK_SECRETS = {"telegram": SECRET}
    transport_account.network = "telegram"
    transport_account.remote_id = "bot-1"
    transport_account.save()
    return transport_account


def delivery(changes, ts=None):
    body = json.dumps({"ts": ts or timezone.now().timestamp(), "changes": changes}).encode()
    return body, sign(body, SECRET)


def post(body, signature):
    return Client().post(
        "/webhooks/telegram/", body, content_type="application/json", HTTP_X_SIGNATURE=signature
    )


def test_the_same_webhook_three_times_is_one_item(hook):
    body, sig = delivery([{"kind": "created", "id": "m1", "account": "bot-1", "text": "hi"}])
    for _ in range(3):
        assert post(body, sig).status_code == 200
    assert InboundItem.objects.filter(remote_id="m1").count() == 1
    assert WebhookDelivery.objects.count() == 3


def test_a_bad_signature_is_refused_but_the_raw_body_is_kept(hook):
    body, _ = delivery([{"kind": "created", "id": "m1", "account": "bot-1", "text": "hi"}])
    response = post(body, "0" * 64)
    assert response.status_code == 403
    assert InboundItem.objects.count() == 0
    stored = WebhookDelivery.objects.get()
    assert bytes(stored.body) == body and not stored.verified and "InvalidSignature" in stored.error


def test_a_replayed_delivery_is_refused(hook):
    old = timezone.now().timestamp() - 3600
    body, sig = delivery(
        [{"kind": "created", "id": "m1", "account": "bot-1", "text": "hi"}], ts=old
    )
    assert post(body, sig).status_code == 403
    assert InboundItem.objects.count() == 0


def test_malformed_json_is_refused_with_400(hook):
    body = b"\xff\xfe not json"
    assert post(body, sign(body, SECRET)).status_code == 400


def test_unknown_network_and_unconfigured_secret(hook, settings):
    assert (
        Client().post("/webhooks/myspace/", b"{}", content_type="application/json").status_code
        == 404
    )
    settings.WEBHOOK_SECRETS = {}
    body, sig = delivery([])
    assert post(body, sig).status_code == 404


def test_oversized_bodies_are_refused(hook, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 1024
    body, sig = delivery([{"kind": "created", "id": "m1", "account": "bot-1", "text": "x" * 2000}])
    assert post(body, sig).status_code == 413


def test_subscription_handshake(hook):
    response = Client().get("/webhooks/telegram/", {"challenge": "abc"})
    assert response.status_code == 200 and response.content == b"abc"


def test_backoff_grows_and_never_drops_near_zero():
    import random

    from townsquare.channels.adapters.http import backoff_delay

    rng = random.Random(1)
    for attempt, (low, high) in enumerate([(15, 30), (30, 60), (60, 120)], start=1):
        delays = [backoff_delay(attempt, base=30.0, rng=rng) for _ in range(200)]
        assert low <= min(delays)
        assert max(delays) <= high
    assert backoff_delay(50, base=30.0, rng=rng) <= 15 * 60  # capped
    told = backoff_delay(1, retry_after=120.0, rng=rng)
    assert 120 <= told <= 125
