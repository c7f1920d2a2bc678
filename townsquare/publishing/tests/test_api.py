"""The read-only posts API (/api/v1/posts): scope, agency boundary, filters, pagination."""

from __future__ import annotations

import pytest

from townsquare.api.tests.conftest import api_as, assert_error, token_for  # noqa: F401
from townsquare.publishing.models import Variant, VariantState

pytestmark = pytest.mark.django_db


def _ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
def posts(make_post, approved_post, health_account, carol, government):
    from townsquare.publishing.services.compose import VersionInput, post_create

    draft = make_post("A draft for Transport")
    approved = approved_post("An approved Transport post")
    variant = Variant.objects.get(version__post=approved)
    variant.state, variant.remote_ids = VariantState.PUBLISHED, ["109"]
    variant.remote_url = "https://sandbox.local/@transport/109"
    variant.save()
    health = post_create(actor=carol, organisation=government["health"], title="",
                         versions={"en": VersionInput(text="Flu jabs from Monday.",
                                                      accounts=[health_account])})
    return {"draft": draft, "approved": approved, "health": health}


def test_lists_are_scoped_to_the_token_user(api_as, alice, carol, dana, posts):  # noqa: F811
    transport = [posts["approved"].pk, posts["draft"].pk]
    assert _ids(api_as(alice).get("/posts")) == transport  # newest first
    assert _ids(api_as(carol).get("/posts")) == [posts["health"].pk]
    assert set(_ids(api_as(dana).get("/posts"))) == {*transport, posts["health"].pk}


def test_carol_cannot_see_transport_posts(api_as, carol, government, posts):  # noqa: F811
    carol_api = api_as(carol)
    assert_error(carol_api.get(f"/posts/{posts['approved'].pk}"), 404, "not_found")
    assert_error(carol_api.get("/posts", organisation_id=government["transport"].pk), 404)
    assert carol_api.get(f"/posts/{posts['health'].pk}").status_code == 200


def test_detail_has_versions_variants_and_remote_urls(api_as, alice, posts):  # noqa: F811
    body = api_as(alice).get(f"/posts/{posts['approved'].pk}").json()
    assert body["state"] == "approved" and body["languages"] == ["en"]
    variant = body["versions"][0]["variants"][0]
    assert variant["remote_url"] == "https://sandbox.local/@transport/109"
    assert variant["remote_ids"] == ["109"] and variant["network"] == "mastodon"
    assert "access_token" not in str(body)


def test_filters_and_cursor_pagination(api_as, alice, government, posts):  # noqa: F811
    client = api_as(alice)
    assert _ids(client.get("/posts", state="draft")) == [posts["draft"].pk]
    assert _ids(client.get("/posts", organisation_id=government["transport"].pk,
                           state="approved")) == [posts["approved"].pk]
    first = client.get("/posts", limit=1).json()
    second = client.get("/posts", limit=1, cursor=first["next_cursor"]).json()
    assert [first["items"][0]["id"], second["items"][0]["id"]] == [posts["approved"].pk,
                                                                   posts["draft"].pk]
    assert second["next_cursor"] is None
    assert_error(client.get("/posts", state="lost"), 422, "validation_error")
    assert_error(client.get("/posts", cursor="!!"), 422)
    assert_error(client.get("/posts/0"), 404)


def test_the_scope_is_required(api_as, alice, posts):  # noqa: F811
    without = api_as(alice, scopes=["read:channels"])
    assert_error(without.get("/posts"), 403, "insufficient_scope")
    assert_error(without.get(f"/posts/{posts['draft'].pk}"), 403, "insufficient_scope")
    assert api_as(alice, scopes=["read:publishing"]).get("/posts").status_code == 200
