"""The error format, hostile input in bodies, cursor pagination, docs page."""

from __future__ import annotations

import re

import pytest

from townsquare.api.pagination import encode_cursor
from townsquare.api.tests.conftest import assert_error
from townsquare.organisations.models import Team
from townsquare.organisations.services import team_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_api(api_as, alice):
    return api_as(alice)


@pytest.fixture
def teams_path(government):
    return f"/organisations/{government['transport'].pk}/teams"


def test_validation_errors_use_the_error_format(alice_api, teams_path):
    error = assert_error(alice_api.post(teams_path, {}), 422, "validation_error")
    assert error["details"][0]["loc"] == ["body", "payload", "name"]
    assert_error(alice_api.post(teams_path, {"name": ""}), 422, "validation_error")
    assert_error(alice_api.post(teams_path, {"name": 5}), 422, "validation_error")
    response = alice_api.client.post(f"/api/v1{teams_path}", "{not json",
                                     content_type="application/json", headers=alice_api.headers)
    assert_error(response, 400)
    assert_error(alice_api.get("/organisations", limit=0), 422, "validation_error")
    assert_error(alice_api.get("/organisations", limit=201), 422, "validation_error")
    assert_error(alice_api.get("/organisations/abc"), 422, "validation_error")


def test_service_validation_errors_name_the_field(alice_api, teams_path):
    error = assert_error(alice_api.post(teams_path, {"name": "Bus services"}), 422,
                         "validation_error")
    assert error["details"][0]["loc"] == ["body", "name"]
    error = assert_error(alice_api.post(teams_path, {"name": "X", "translations": {
        "fr": {"name": "Y"}}}), 422, "validation_error")


@pytest.mark.parametrize(
    "name",
    [
        "x" * 121,  # over-long
        "Bus\u202eseciv",  # right-to-left override
        "Rail\u2066x\u2069",  # isolate
        "Line\nbreak",
        "Nul\x00byte",
        "\u200b\u200b",  # invisible only
    ],
)
def test_hostile_team_names_are_refused(alice_api, teams_path, name):
    assert_error(alice_api.post(teams_path, {"name": name}), 422, "validation_error")
    assert not Team.objects.exclude(name="Bus services").exists()


def test_bidi_in_translations_is_refused(alice_api, teams_path):
    response = alice_api.post(teams_path, {"name": "Rail",
                                           "translations": {"ar": {"name": "\u202bسكك"}}})
    assert_error(response, 422, "validation_error")


def test_html_names_are_stored_as_text_and_returned_as_json(alice_api, teams_path):
    name = '<script>alert("x")</script> & <b>'
    response = alice_api.post(teams_path, {"name": name})
    assert response.status_code == 201
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["name"] == name
    assert Team.objects.get(pk=response.json()["id"]).name == name


def test_unknown_addresses_and_methods_answer_json(alice_api, client, db):
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error(client.get("/api/v1/"), 404, "not_found")
    assert_error(alice_api.delete("/organisations"), 405, "method_not_allowed")
    response = client.put("/api/v1/me")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]
    assert_error(alice_api.get("/memberships/99999999999999999999"), 405)
    assert_error(alice_api.get(f"/organisations/{2**63}"), 404, "not_found")


def test_server_errors_use_the_error_format(alice_api, monkeypatch):
    from townsquare.api.endpoints import people

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(people, "users_visible_to", explode)
    error = assert_error(alice_api.get("/people"), 500, "server_error")
    assert "boom" not in error["message"]


def test_pagination_walks_every_page_once(alice_api, alice, government, teams_path):
    transport = government["transport"]
    for number in range(11):
        team_create(actor=None, organisation=transport, name=f"Team {number:02d}")
    expected = set(Team.objects.filter(organisation=transport).values_list("pk", flat=True))
    seen: list[int] = []
    cursor = None
    for _page in range(10):
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        body = alice_api.get(teams_path, **params).json()
        assert len(body["items"]) <= 5
        seen.extend(item["id"] for item in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert cursor is None
    assert len(seen) == len(set(seen)) == len(expected) == 12
    assert set(seen) == expected


def test_audit_events_page_newest_first(alice_api, government, teams_path):
    for number in range(4):
        alice_api.post(teams_path, {"name": f"Squad {number}"})
    first = alice_api.get("/audit-events", action="team.", limit=2).json()
    second = alice_api.get("/audit-events", action="team.", limit=2,
                           cursor=first["next_cursor"]).json()
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 4


@pytest.mark.parametrize("cursor", ["!!!", "abc", encode_cursor(0)[:-1] + "?",
                                    "a2Zvbw", encode_cursor(0), "k" * 199])
def test_bad_cursor_is_422(alice_api, cursor):
    error = assert_error(alice_api.get("/organisations", cursor=cursor), 422, "validation_error")
    assert error["details"][0]["loc"] == ["query", "cursor"]


def test_openapi_and_local_docs(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/organisations/{organisation_id}/members" in schema["paths"]
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.text
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts
    assert all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert "style=" not in html
    assert "cdn" not in html.lower()
    assert "script-src 'self'" in page["Content-Security-Policy"]
    for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(src).status_code == 200, src


def test_rate_limit_answers_429_in_the_error_format(alice_api, monkeypatch):
    from townsquare.api.api import api

    throttle = api.throttle[0]
    monkeypatch.setattr(throttle, "num_requests", 1)
    assert alice_api.get("/me").status_code == 200
    response = alice_api.get("/me")
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0
