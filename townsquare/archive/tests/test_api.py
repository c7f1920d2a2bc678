"""The archive on /api/v1: search, a record with versions and events, legal holds."""

from __future__ import annotations

import pytest

from townsquare.api.tests.conftest import ApiClient, assert_error
from townsquare.archive.models import HoldKind, LegalHold
from townsquare.archive.services import record_mark_deleted, record_redact, record_restrict

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_for(db):
    import datetime as dt

    from django.utils import timezone

    from townsquare.api.services import api_token_create

    def make(user, scopes=("read:archive", "write:archive")):
        _token, plaintext = api_token_create(
            user=user, name="Test", scopes=list(scopes),
            expires_at=timezone.now() + dt.timedelta(days=30))
        return plaintext

    return make


@pytest.fixture
def api_as(token_for):
    def make(user, scopes=("read:archive", "write:archive")):
        return ApiClient(token_for(user, scopes))

    return make


@pytest.fixture
def records(capture, government):
    """Three Transport posts (one deleted, in three languages) and one Health post."""
    english = capture("post-en", "Ferry timetable changes on Monday").record
    arabic = capture("post-ar", "تغيير مواعيد العبّارة يوم الاثنين").record
    chinese = capture("post-zh", "周一渡轮时刻表变更").record
    record_mark_deleted(source="test", source_id="post-en", organisation=government["transport"],
                        record_type="published_post")
    health = capture("post-health", "Ferry clinic opens", organisation=government["health"])
    return {"en": english, "ar": arabic, "zh": chinese, "health": health.record}


def test_search_in_three_languages_with_filters_and_paging(api_as, rita, records):
    api = api_as(rita)
    for query, record in (("ferry", "en"), ("العبارة", "ar"), ("渡轮", "zh")):
        body = api.get("/archive/search", q=query).json()
        assert [hit["record"]["id"] for hit in body["items"]] == [records[record].pk], query
    hit = api.get("/archive/search", q="ferry").json()["items"][0]
    assert hit["record"]["deleted"] is True and "<mark>" in hit["snippet"]
    assert api.get("/archive/search", q="ferry", deleted="no").json()["items"] == []
    first = api.get("/archive/search", q="ferry OR 渡轮 OR العبارة", limit=2).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get("/archive/search", q="ferry OR 渡轮 OR العبارة", limit=2,
                   cursor=first["next_cursor"]).json()
    ids = [h["record"]["id"] for h in first["items"] + rest["items"]]
    assert sorted(ids) == sorted(records[k].pk for k in ("en", "ar", "zh"))
    assert rest["next_cursor"] is None


def test_search_bad_input_is_a_clear_422(api_as, rita, records, government):
    api = api_as(rita)
    error = assert_error(api.get("/archive/search", q='"unbalanced'), 422, "validation_error")
    assert error["details"][0]["loc"] == ["query", "q"]
    assert_error(api.get("/archive/search", q="x", cursor="!!"), 422)
    assert_error(api.get("/archive/search", q="x", date_from="2026-02-01",
                         date_to="2026-01-01"), 422)
    # Another agency's organisation is not a valid filter (not a leak either).
    assert_error(api.get("/archive/search", q="ferry",
                         organisation_id=government["health"].pk), 422)
    assert_error(api.get("/archive/search"), 422)


def test_record_with_versions_and_events(api_as, rita, alice, records, government):
    record = records["ar"]
    record_redact(actor=rita, record=record, content="تغيير مواعيد ███", reason="Name")
    body = api_as(rita).get(f"/archive/records/{record.pk}").json()
    assert [v["redacts"] is None for v in body["versions"]] == [True, False]
    assert [e["kind"] for e in body["events"]] == ["created", "redacted"]
    assert all(e["seq"] and len(e["entry_hash"]) == 64 for e in body["events"])
    record_restrict(actor=rita, record=record, reason="Erasure request, public records act")
    # Restricted: an administrator sees the record but not its content.
    restricted = api_as(alice).get(f"/archive/records/{record.pk}").json()
    assert restricted["restricted"] is True
    assert all(v["content"] is None for v in restricted["versions"])
    assert api_as(rita).get(f"/archive/records/{record.pk}").json()["versions"][0]["content"]


def test_agency_boundary_and_scopes(  # noqa: PLR0917 - fixtures
        api_as, rita, carol, bob, records, government):
    other = api_as(carol)
    assert_error(other.get(f"/archive/records/{records['en'].pk}"), 404)
    assert other.get("/archive/search", q="ferry").json()["items"][0]["record"]["id"] == \
        records["health"].pk
    assert_error(api_as(bob).get(f"/archive/records/{records['en'].pk}"), 404)
    assert_error(api_as(rita, scopes=["read:publishing"]).get("/archive/search", q="ferry"),
                 403, "insufficient_scope")
    read_only = api_as(rita, scopes=["read:archive"])
    assert_error(read_only.post("/archive/holds", {
        "organisation_id": government["transport"].pk, "name": "H", "reason": "R",
        "kind": "account", "account_handle": "@transport"}), 403, "insufficient_scope")
    assert_error(api_as(rita).get("/archive/records/0"), 404)
    assert_error(api_as(rita).get(f"/archive/records/{2**63}"), 404)


def test_holds_create_list_release(api_as, rita, carol, records, government):
    api = api_as(rita)
    created = api.post("/archive/holds", {
        "organisation_id": government["transport"].pk, "name": "Ferry inquiry",
        "reason": "Ombudsman case 7", "kind": "case",
        "record_ids": [records["en"].pk, records["zh"].pk]})
    assert created.status_code == 201, created.content
    hold = created.json()
    assert hold["record_ids"] == sorted([records["en"].pk, records["zh"].pk])
    search = api.post("/archive/holds", {
        "organisation_id": government["transport"].pk, "name": "Ferry search",
        "reason": "Litigation", "kind": "search", "query": "ferry",
        "filters": {"network": "mastodon"}})
    assert search.status_code == 201, search.content
    listed = api.get("/archive/holds", active="true").json()
    assert {h["name"] for h in listed["items"]} == {"Ferry inquiry", "Ferry search"}
    assert api_as(carol).get("/archive/holds").json()["items"] == []
    assert_error(api_as(carol).post(f"/archive/holds/{hold['id']}/release",
                                    {"reason": "x"}), 404)
    released = api.post(f"/archive/holds/{hold['id']}/release", {"reason": "Case closed"})
    assert released.status_code == 200 and released.json()["released_at"]
    assert_error(api.post(f"/archive/holds/{hold['id']}/release", {"reason": "Again"}), 422)
    assert LegalHold.objects.get(pk=hold["id"]).release_reason == "Case closed"


def test_hold_bad_input(api_as, rita, records, government):
    api = api_as(rita)
    base = {"organisation_id": government["transport"].pk, "name": "H", "reason": "R"}
    # A Health record in a Transport case reads as a record that does not exist.
    error = assert_error(api.post("/archive/holds", {**base, "kind": "case",
                                                     "record_ids": [records["health"].pk]}),
                         422)
    assert str(records["health"].pk) in error["details"][0]["message"]
    assert_error(api.post("/archive/holds", {**base, "kind": "search", "query": '"open'}), 422)
    assert_error(api.post("/archive/holds", {**base, "kind": "account"}), 422)
    assert_error(api.post("/archive/holds", {**base, "kind": "nothing"}), 422)
    assert_error(api.post("/archive/holds", {**base, "organisation_id":
                                             government["health"].pk, "kind": "account",
                                             "account_handle": "@x"}), 404)
    assert_error(api.post("/archive/holds", "not json", ), 400)
    assert LegalHold.objects.filter(kind=HoldKind.CASE).count() == 0
