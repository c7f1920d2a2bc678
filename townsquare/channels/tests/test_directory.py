"""The public directory of official accounts (citizen site and API) and the registry API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from townsquare.api.tests.conftest import ApiClient, assert_error
from townsquare.channels.adapters.base import Credentials
from townsquare.channels.models import AccountStatus
from townsquare.channels.services.accounts import account_create
from townsquare.channels.services.credentials import credentials_store

pytestmark = pytest.mark.django_db

SECRET = "tok-SECRET-31c4-never-show"


@pytest.fixture
def api_as(db):
    """``api_as(user, scopes)``: an API client with a fresh token of ``user``."""
    from townsquare.api.services import api_token_create

    def make(user, scopes):
        _token, plaintext = api_token_create(
            user=user, name="test", scopes=list(scopes),
            expires_at=timezone.now() + dt.timedelta(days=1),
        )
        return ApiClient(plaintext)

    return make


@pytest.fixture
def accounts(alice, carol, government, transport_account):
    health = account_create(actor=carol, organisation=government["health"], network="x",
                            handle="HealthAgency", display_name="وزارة الصحة")
    hidden = account_create(actor=alice, organisation=government["transport"], network="x",
                            handle="transport_internal", listed_publicly=False)
    retired = account_create(actor=alice, organisation=government["transport"],
                             network="telegram", handle="OldTransportBot",
                             status=AccountStatus.RETIRED)
    return {"transport": transport_account, "health": health, "hidden": hidden,
            "retired": retired}


def _page(query=None, language="en"):
    return Client().get(reverse("portal:directory"), query or {},
                        headers={"Accept-Language": language}).content.decode()


def test_directory_lists_official_accounts_only(accounts):
    body = _page()
    assert "@transport@sandbox.local" in body and "HealthAgency" in body
    assert "transport_internal" not in body and "OldTransportBot" not in body
    assert "Verified: this is an official account of Transport Agency." in body
    assert "Not listed here? Then it is not an official account of this government." in body


@pytest.mark.parametrize("query", ["Transport Agency", "transport", "هيئة النقل", "交通局",
                                   "@transport@sandbox.local", "TRANSPORT@SANDBOX"])
def test_directory_search_in_three_languages(accounts, query):
    body = _page({"q": query})
    assert "@transport@sandbox.local" in body
    assert "HealthAgency" not in body


def test_directory_shows_the_localised_organisation_name(accounts):
    assert "هيئة النقل" in _page({"q": "transport"}, language="ar")
    assert "交通局" in _page({"q": "transport"}, language="zh-hans")
    assert "وزارة الصحة" in _page({"q": "وزارة"})


def test_directory_network_filter_and_nothing_found(accounts):
    body = _page({"network": "x"})
    assert "HealthAgency" in body and "@transport@sandbox.local" not in body
    body = _page({"q": "MinistryOfHealth_Official"})
    assert "No official account matches your search" in body
    # A made-up network is ignored, not an error.
    assert "HealthAgency" in _page({"network": "<script>"})


def test_public_directory_api(accounts):
    api = ApiClient(None)
    body = api.get("/directory", q="هيئة النقل").json()
    assert [item["handle"] for item in body["items"]] == ["@transport@sandbox.local"]
    item = body["items"][0]
    assert item["official"] is True and item["organisation"]["slug"] == "transport"
    assert item["network"] == "mastodon"
    arabic = Client().get("/api/v1/directory", {"q": "transport"},
                          headers={"Accept-Language": "ar"}).json()
    assert arabic["items"][0]["organisation"]["name"] == "هيئة النقل"
    handles = {i["handle"] for i in api.get("/directory", limit=200).json()["items"]}
    assert handles == {"@transport@sandbox.local", "HealthAgency"}
    assert [i["handle"] for i in api.get("/directory", network="x").json()["items"]] == [
        "HealthAgency"]
    assert_error(api.get("/directory", network="myspace"), 422, "validation_error")


def test_public_directory_api_cursor_pagination(accounts, alice, government):
    for n in range(5):
        account_create(actor=alice, organisation=government["transport"], network="rss",
                       handle=f"feed-{n}.example")
    api = ApiClient(None)
    seen, cursor = [], None
    for _ in range(10):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = api.get("/directory", **params).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7
    assert_error(api.get("/directory", cursor="not-a-cursor"), 422, "validation_error")


def test_registry_api_is_scoped(accounts, api_as, bob, dana):
    from townsquare.organisations.models import User

    alice, carol = User.objects.get(username="alice"), User.objects.get(username="carol")

    def handles(user):
        response = api_as(user, ["read:channels"]).get("/accounts", limit=200)
        assert response.status_code == 200, response.content
        return {item["handle"] for item in response.json()["items"]}

    transport = {"@transport@sandbox.local", "transport_internal", "OldTransportBot"}
    assert handles(alice) == transport
    assert handles(bob) == transport
    assert handles(carol) == {"HealthAgency"}
    assert handles(dana) == transport | {"HealthAgency"}
    carol_api = api_as(carol, ["read:channels"])
    assert_error(carol_api.get(f"/accounts/{accounts['transport'].pk}"), 404, "not_found")
    assert_error(carol_api.get("/accounts", organisation_id=accounts["transport"].organisation_id),
                 404, "not_found")
    assert_error(carol_api.get("/accounts/99999999999999999999"), 404, "not_found")


def test_registry_api_needs_the_scope(accounts, api_as, alice):
    assert_error(api_as(alice, ["read:organisations"]).get("/accounts"), 403,
                 "insufficient_scope")
    assert_error(ApiClient(None).get("/accounts"), 401)


def test_registry_api_filters(accounts, api_as, alice):
    api = api_as(alice, ["read:channels"])
    items = api.get("/accounts", status="retired").json()["items"]
    assert [i["handle"] for i in items] == ["OldTransportBot"]
    items = api.get("/accounts", network="mastodon").json()["items"]
    assert [i["handle"] for i in items] == ["@transport@sandbox.local"]


def test_no_token_in_the_api(accounts, api_as, alice, dana):
    credentials_store(actor=alice, account=accounts["transport"], credentials=Credentials(
        access_token=SECRET, refresh_token=SECRET + "-r", extra={"app_secret": SECRET}))
    account_id = accounts["transport"].pk
    for response in (
        api_as(alice, ["read:channels"]).get(f"/accounts/{account_id}"),
        api_as(dana, ["read:channels"]).get("/accounts"),
        ApiClient(None).get("/directory"),
    ):
        assert response.status_code == 200
        assert SECRET not in response.content.decode()
    detail = api_as(alice, ["read:channels"]).get(f"/accounts/{account_id}").json()
    assert detail["connection_state"] == "connected"
    assert "config" not in detail and "credential" not in detail
