"""GET /accounts/{id}/health and GET /ghost-accounts: numbers, scope and the boundary."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from townsquare.api.tests.conftest import assert_error
from townsquare.channels.models import Account, InboundItem
from townsquare.channels.services.accounts import account_create

pytestmark = pytest.mark.django_db


def _item(account, rid, *, own=False, at, reply_to=""):
    InboundItem.objects.create(
        account=account, network=account.network, remote_id=rid, kind="mention", text="x",
        is_own=own, in_reply_to=reply_to, remote_created_at=at, first_seen_via="poll",
    )


def _account(organisation, handle, *, network="mastodon", followers=None, age_days=400):
    account = account_create(actor=None, organisation=organisation, network=network,
                             handle=handle)
    Account.objects.filter(pk=account.pk).update(
        followers=followers, created_at=timezone.now() - dt.timedelta(days=age_days)
    )
    return Account.objects.get(pk=account.pk)


@pytest.fixture
def accounts(government):
    transport, health = government["transport"], government["health"]
    now = timezone.now() - dt.timedelta(hours=1)
    lively = _account(transport, "lively", followers=900)
    _item(lively, "p1", own=True, at=now - dt.timedelta(days=1))
    for n, delay in enumerate((60, 180, 600)):
        sent = now - dt.timedelta(days=2 + n)
        _item(lively, f"c{n}", at=sent)
        _item(lively, f"r{n}", own=True, at=sent + dt.timedelta(seconds=delay), reply_to=f"c{n}")
    return {
        "lively": lively,
        "silent": _account(transport, "silent", network="bluesky", followers=5000),
        "empty": _account(transport, "empty", network="x", followers=2),
        "health": _account(health, "health-ghost", followers=0),
    }


def test_account_health_numbers(api_as, alice, accounts):
    response = api_as(alice).get(f"/accounts/{accounts['lively'].pk}/health")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["median_response_seconds"] == 180.0
    assert body["citizen_messages"] == 3 and body["answered"] == 3
    assert body["answered_share"] == 1.0
    assert body["posts_per_week"] == 0.25
    assert body["replies_per_week"] == 0.75
    assert body["ghost_class"] is None and body["recommended_action"] is None
    assert body["follower_trend"]["current"] == 900
    assert len(body["weeks"]) == 12
    assert sum(w["replies"] for w in body["weeks"]) == 3
    assert 0 <= body["dormancy_score"] <= 100


def test_ghost_accounts_with_actions_and_filters(api_as, alice, accounts):
    api = api_as(alice)
    body = api.get("/ghost-accounts").json()
    found = {item["handle"]: item for item in body["items"]}
    assert set(found) == {"silent", "empty"}
    assert found["silent"]["ghost_class"] == "followers_no_activity"
    assert found["silent"]["recommended_action"] == "revive"
    assert found["empty"]["ghost_class"] == "no_audience_no_activity"
    assert found["empty"]["recommended_action"] == "retire"
    only = api.get("/ghost-accounts", classification="no_audience_no_activity").json()
    assert [i["handle"] for i in only["items"]] == ["empty"]
    assert [i["handle"] for i in api.get("/ghost-accounts", network="bluesky").json()["items"]
            ] == ["silent"]
    first = api.get("/ghost-accounts", limit=1).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = api.get("/ghost-accounts", limit=1, cursor=first["next_cursor"]).json()
    assert second["next_cursor"] is None
    assert {first["items"][0]["handle"], second["items"][0]["handle"]} == {"silent", "empty"}
    assert_error(api.get("/ghost-accounts", classification="haunted"), 422)


def test_the_agency_boundary(api_as, carol, dana, accounts, government):
    carol_api = api_as(carol)
    assert_error(carol_api.get(f"/accounts/{accounts['lively'].pk}/health"), 404, "not_found")
    handles = {i["handle"] for i in carol_api.get("/ghost-accounts").json()["items"]}
    assert handles == {"health-ghost"}
    transport = government["transport"].pk
    assert_error(carol_api.get("/ghost-accounts", organisation_id=transport), 404, "not_found")
    assert len(api_as(dana).get("/ghost-accounts").json()["items"]) == 3
    assert_error(carol_api.get("/accounts/0/health"), 404)


def test_scope_is_required(api_as, alice, accounts):
    api = api_as(alice, scopes=["read:organisations"])
    assert_error(api.get(f"/accounts/{accounts['lively'].pk}/health"), 403, "insufficient_scope")
    assert_error(api.get("/ghost-accounts"), 403, "insufficient_scope")
