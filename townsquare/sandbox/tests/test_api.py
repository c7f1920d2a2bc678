"""The sandbox's Mastodon API: response shapes, authentication, errors, CSRF, paging."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from townsquare.channels.adapters.mastodon.tests.fakes import fixture
from townsquare.sandbox import services
from townsquare.sandbox.models import SandboxNotification, SandboxStatus

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def world():
    transport = services.account_ensure(
        username="transport",
        display_name="Transport Agency",
        is_agency=True,
        agency_slug="transport",
        followers=1523,
    )
    health = services.account_ensure(
        username="health", display_name="Health Agency", is_agency=True, agency_slug="health"
    )
    layla = services.account_ensure(username="layla", display_name="ليلى 🌸", language="ar")
    return {
        "transport": transport,
        "health": health,
        "layla": layla,
        "transport_token": services.token_issue(account=transport),
        "health_token": services.token_issue(account=health),
        "layla_token": services.token_issue(account=layla),
    }


def api(token: str, *, csrf: bool = False) -> Client:
    return Client(enforce_csrf_checks=csrf, HTTP_AUTHORIZATION=f"Bearer {token}")


def keys(name: str) -> set[str]:
    return set(fixture(name))


def test_shapes_match_the_documented_entities(world):
    client = api(world["transport_token"])
    layla = api(world["layla_token"])
    me = client.get("/sandbox/api/v1/accounts/verify_credentials").json()
    assert set(me) == keys("account")
    assert me["followers_count"] == 1523
    media = client.post(
        "/sandbox/api/v2/media",
        {"file": SimpleUploadedFile("map.png", PNG, "image/png"), "description": "A map"},
    ).json()
    assert set(media) == keys("media_attachment")
    assert media["description"] == "A map"
    posted = client.post(
        "/sandbox/api/v1/statuses",
        {"status": "Route 12 https://x.example", "media_ids[]": [media["id"]]},
    ).json()
    assert set(posted) == keys("status")
    assert set(posted["media_attachments"][0]) == keys("media_attachment")
    assert '<a href="https://x.example"' in posted["content"]
    reply = layla.post(
        "/sandbox/api/v1/statuses",
        {"status": "@transport شكرا 🙏", "in_reply_to_id": posted["id"], "language": "ar"},
    ).json()
    assert reply["in_reply_to_id"] == posted["id"]
    assert reply["mentions"][0]["acct"] == "transport"
    (notification,) = client.get("/sandbox/api/v1/notifications").json()
    assert set(notification) == keys("notification_mention")
    assert notification["status"]["id"] == reply["id"]
    search = client.get("/sandbox/api/v2/search", {"q": "Route", "type": "statuses"}).json()
    assert set(search) == keys("search_v2")
    assert set(Client().get("/sandbox/api/v2/instance/").json()) == keys("instance_v2")
    assert set(Client().get("/sandbox/api/v1/instance").json()) == keys("instance_v1")
    one = client.get(f"/sandbox/api/v1/accounts/{world['layla'].pk}").json()
    assert one["display_name"] == "ليلى 🌸"


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer wrong", "Basic abc"])
def test_bad_tokens_get_401_in_mastodons_shape(world, header):
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    for method, path in [
        ("get", "/sandbox/api/v1/accounts/verify_credentials"),
        ("get", "/sandbox/api/v1/notifications"),
        ("post", "/sandbox/api/v1/statuses"),
        ("delete", "/sandbox/api/v1/statuses/1"),
        ("post", "/sandbox/api/v2/media"),
        ("get", "/sandbox/api/v2/search"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 401, path
        assert response.json() == {"error": "The access token is invalid"}


def test_revoked_token_and_missing_scope(world):
    read_only = services.token_issue(account=world["transport"], scopes="read")
    response = api(read_only).post("/sandbox/api/v1/statuses", {"status": "hi"})
    assert response.status_code == 403
    assert "error" in response.json()
    token = services.token_issue(account=world["transport"])
    world["transport"].tokens.update(revoked_at="2024-01-01T00:00:00Z")
    assert api(token).get("/sandbox/api/v1/accounts/verify_credentials").status_code == 401


def test_unknown_ids_are_404(world):
    client = api(world["transport_token"])
    for path in [
        "/sandbox/api/v1/statuses/999999",
        "/sandbox/api/v1/statuses/abc",
        "/sandbox/api/v1/accounts/999999",
        "/sandbox/api/v1/media/999999",
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"error": "Record not found"}


def test_invalid_input_is_422(world):
    client = api(world["transport_token"])
    cases = [
        {"status": "x" * 501},
        {"status": "   "},
        {"status": "hi", "visibility": "everyone"},
        {"status": "hi", "media_ids[]": ["12345"]},
    ]
    for data in cases:
        response = client.post("/sandbox/api/v1/statuses", data)
        assert response.status_code == 422, data
        assert set(response.json()) == {"error"}
    long_link = "https://example.org/" + "a" * 600  # counts as 23
    assert client.post("/sandbox/api/v1/statuses", {"status": long_link}).status_code == 200
    bad_media = client.post(
        "/sandbox/api/v2/media", {"file": SimpleUploadedFile("x.html", b"<b>", "text/html")}
    )
    assert bad_media.status_code == 422


def test_idempotency_key_returns_the_first_status(world):
    client = api(world["transport_token"])
    first = client.post("/sandbox/api/v1/statuses", {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post("/sandbox/api/v1/statuses", {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert first.json()["id"] == again.json()["id"]
    assert SandboxStatus.objects.filter(text="once").count() == 1
    # The key is per account: another account may use the same one.
    other = api(world["health_token"]).post(
        "/sandbox/api/v1/statuses", {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert other.json()["id"] != first.json()["id"]


def test_only_the_author_edits_or_deletes_and_direct_messages_stay_private(world):
    layla = api(world["layla_token"])
    direct = layla.post(
        "/sandbox/api/v1/statuses",
        {"status": "@transport my card number is 4411", "visibility": "direct"},
    ).json()
    assert (
        api(world["transport_token"]).get(f"/sandbox/api/v1/statuses/{direct['id']}").status_code
        == 200
    )
    assert (
        api(world["health_token"]).get(f"/sandbox/api/v1/statuses/{direct['id']}").status_code
        == 404
    )
    client = api(world["transport_token"])
    body = json.dumps({"status": "changed"})
    assert (
        client.put(
            f"/sandbox/api/v1/statuses/{direct['id']}", body, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.delete(f"/sandbox/api/v1/statuses/{direct['id']}").status_code == 404
    edited = layla.put(f"/sandbox/api/v1/statuses/{direct['id']}", "status=fixed+%40transport")
    assert edited.status_code == 200
    assert edited.json()["edited_at"] is not None
    deleted = layla.delete(f"/sandbox/api/v1/statuses/{direct['id']}")
    assert deleted.json()["text"] == "fixed @transport"
    assert layla.get(f"/sandbox/api/v1/statuses/{direct['id']}").status_code == 404
    assert not SandboxNotification.objects.filter(status_id=direct["id"]).exists()


def test_notifications_page_with_link_headers(world):
    layla = api(world["layla_token"])
    for number in range(7):
        layla.post("/sandbox/api/v1/statuses", {"status": f"@transport message {number}"})
    client = api(world["transport_token"])
    first = client.get("/sandbox/api/v1/notifications", {"limit": 3, "types[]": "mention"})
    ids = [int(n["id"]) for n in first.json()]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3
    links = {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', first["Link"])}
    parts = urlsplit(links["next"])
    older = client.get(f"{parts.path}?{parts.query}")
    assert [int(n["id"]) for n in older.json()] == [ids[-1] - 1, ids[-1] - 2, ids[-1] - 3]
    since = client.get("/sandbox/api/v1/notifications", {"since_id": ids[1]})
    assert [int(n["id"]) for n in since.json()] == [ids[0]]
    oldest = min(int(n.pk) for n in SandboxNotification.objects.all())
    after = client.get("/sandbox/api/v1/notifications", {"min_id": oldest, "limit": 2}).json()
    assert [int(n["id"]) for n in after] == [oldest + 2, oldest + 1]
    assert client.get("/sandbox/api/v1/notifications", {"types[]": "follow"}).json() == []


def test_csrf_is_exempt_for_the_bearer_api_only(world):
    client = api(world["transport_token"], csrf=True)
    assert client.post("/sandbox/api/v1/statuses", {"status": "no csrf needed"}).status_code == 200
    registered = services.oauth_app_register(name="T", redirect_uris="https://ts.example/cb")
    consent = Client(enforce_csrf_checks=True).post(
        "/sandbox/oauth/authorize",
        {
            "client_id": registered.app.client_id,
            "redirect_uri": "https://ts.example/cb",
            "account": world["transport"].pk,
        },
    )
    assert consent.status_code == 403


def test_timeline_page_shows_three_languages_without_inline_code(world):
    services.status_create(account=world["transport"], text="Route 12 runs again")
    services.status_create(account=world["layla"], text="@transport الحافلة متأخرة", language="ar")
    services.status_create(account=world["layla"], text="@transport 公交车晚点了", language="zh")
    services.status_create(account=world["layla"], text="@transport secret", visibility="direct")
    page = Client().get("/sandbox/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Route 12 runs again" in html
    assert "الحافلة متأخرة" in html
    assert "公交车晚点了" in html
    assert "secret" not in html  # direct messages are private
    assert html.index("公交车晚点了") < html.index("Route 12 runs again")  # newest first
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    agencies_only = Client().get("/sandbox/?show=agencies").content.decode()
    assert "Route 12 runs again" in agencies_only and "公交车晚点了" not in agencies_only


def test_timeline_pages(world):
    for number in range(35):
        services.status_create(account=world["transport"], text=f"Update number {number}")
    first = Client().get("/sandbox/?show=agencies").content.decode()
    assert "Update number 34" in first and "Update number 4<" not in first
    second = Client().get("/sandbox/?show=agencies&page=2").content.decode()
    assert "Update number 4" in second
    assert 'href="?show=agencies&amp;page=1"' in second
