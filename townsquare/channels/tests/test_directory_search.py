"""Directory search as one database query over Account.search_text, in three languages."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from townsquare.api.tests.conftest import ApiClient
from townsquare.channels.directory import directory_search
from townsquare.channels.models import Account
from townsquare.channels.search_text import fold, query_terms
from townsquare.channels.services.accounts import (
    account_create,
    account_update,
    accounts_search_text_refresh,
)
from townsquare.channels.tasks import refresh_directory_search_text
from townsquare.organisations.services import organisation_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(alice, carol, government, transport_account):
    roads = account_create(actor=alice, organisation=government["transport"], network="x",
                           handle="RoadsAuthority", display_name="إدارة الطرق")
    health = account_create(actor=carol, organisation=government["health"], network="x",
                            handle="HealthAgency", display_name="وزارة الصحة")
    weibo = account_create(actor=carol, organisation=government["health"], network="weibo",
                           handle="港口卫生", display_name="港口卫生局官方微博")
    return {"transport": transport_account, "roads": roads, "health": health, "weibo": weibo}


def handles(query: str, network: str = "") -> set[str]:
    return {account.handle for account in directory_search(query, network)}


def test_fold_rules():
    assert fold("ＴＲＡＮＳＰＯＲＴ  Agency") == "transport agency"
    assert fold("هَيْئَةُ النَّقْل") == fold("هيئه النقل")
    assert fold("إدارة") == fold("أدارة") == fold("ادارة") == fold("آدارة")
    assert fold("مستشفى") == fold("مستشفي")
    assert fold("النـــقل") == fold("النقل")
    assert fold("交\u200b通\u202e局") == "交通局"
    assert query_terms("  @Transport   交通 ") == ["transport", "交通"]
    assert query_terms("@ \u200f") == []


@pytest.mark.parametrize("query", ["Transport Agency", "transport agency", "TRANSPORT",
                                   "agency transport", "@transport@sandbox.local",
                                   "sandbox.local", "transport@SANDBOX"])
def test_english(listed, query):
    assert "@transport@sandbox.local" in handles(query)
    assert "HealthAgency" not in handles(query)


@pytest.mark.parametrize("query", [
    "هيئة النقل",          # as written in the organisation's name
    "هَيْئَةُ النَّقْلِ",  # with short vowels
    "هيئه النقل",          # teh marbuta typed as heh
    "النـــقل",            # with tatweel
    "هيئة\u200f النقل",    # with a direction mark pasted in
])
def test_arabic_organisation_name_with_and_without_diacritics(listed, query):
    found = handles(query)
    assert {"@transport@sandbox.local", "RoadsAuthority"} <= found
    assert "HealthAgency" not in found


@pytest.mark.parametrize("query", ["إدارة الطرق", "ادارة الطرق", "أدارة", "آدارة الطُّرُق"])
def test_arabic_alef_variants(listed, query):
    assert handles(query) == {"RoadsAuthority"}


def test_arabic_display_name(listed):
    assert handles("وزارة الصحه") == {"HealthAgency"}
    assert handles("الصحة") == {"HealthAgency"}


@pytest.mark.parametrize(("query", "expected"), [
    ("交通局", {"@transport@sandbox.local", "RoadsAuthority"}),
    ("交通", {"@transport@sandbox.local", "RoadsAuthority"}),
    ("卫生局", {"港口卫生"}),
    ("港口卫生", {"港口卫生"}),
    ("微博 官方", {"港口卫生"}),
    ("交通 卫生", set()),  # every term must match
])
def test_chinese(listed, query, expected):
    assert handles(query) == expected


def test_network_filter_and_no_match(listed):
    assert handles("交通", network="x") == {"RoadsAuthority"}
    assert handles("no such agency") == set()
    assert handles("%") == set() and handles("_") == set()  # LIKE wildcards are literal
    # Bytes no name contains are spaces, not a database error (PostgreSQL refuses NUL).
    assert handles("trans\x00port") == {"@transport@sandbox.local", "RoadsAuthority"}
    assert handles("\x00交通\ud800") == {"@transport@sandbox.local", "RoadsAuthority"}
    assert handles("\x00") == set(handles(""))


def test_search_is_one_database_query(listed, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert len(list(directory_search("هيئة النقل"))) == 2


def test_account_changes_keep_the_text_current(alice, listed):
    roads = listed["roads"]
    account_update(actor=alice, account=roads, display_name="Roads and Bridges")
    assert handles("bridges") == {"RoadsAuthority"}
    assert handles("الطرق") == set()


def test_organisation_rename_is_caught_up(listed, government):
    transport = government["transport"]
    organisation_update(actor=None, organisation=transport, name="Mobility Agency",
                        translations={"ar": {"name": "هيئة التنقل"},
                                      "zh-hans": {"name": "出行局"}})
    assert accounts_search_text_refresh(organisation=government["health"]) == 0
    assert handles("mobility") == set()  # not yet: the hourly task catches it up
    refresh_directory_search_text()
    assert {"@transport@sandbox.local", "RoadsAuthority"} <= handles("mobility")
    assert handles("出行") == {"@transport@sandbox.local", "RoadsAuthority"}
    assert handles("交通局") == set()
    assert accounts_search_text_refresh() == 0  # nothing left to do
    organisation_update(actor=None, organisation=transport, short_name="MOB")
    assert accounts_search_text_refresh(organisation=transport) == 2
    assert handles("mob") == {"@transport@sandbox.local", "RoadsAuthority"}


def test_migration_fills_existing_accounts(listed):
    Account.objects.update(search_text="")
    assert handles("交通") == set()
    migration = importlib.import_module(
        "townsquare.channels.migrations.0003_account_search_text")
    migration.fill_search_text(apps, None)
    assert handles("交通") == {"@transport@sandbox.local", "RoadsAuthority"}
    assert handles("ادارة") == {"RoadsAuthority"}


def test_citizen_page_and_api_use_the_same_search(listed):
    page = Client().get(reverse("portal:directory"), {"q": "ادارة الطرق"}).content.decode()
    assert "RoadsAuthority" in page and "HealthAgency" not in page
    items = ApiClient(None).get("/directory", q="هَيْئَة النقل").json()["items"]
    assert {item["handle"] for item in items} == {"@transport@sandbox.local", "RoadsAuthority"}
    items = ApiClient(None).get("/directory", q="卫生局").json()["items"]
    assert [item["handle"] for item in items] == ["港口卫生"]
