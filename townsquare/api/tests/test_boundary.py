"""Every endpoint with the named users: the agency boundary holds in URLs and bodies."""

from __future__ import annotations

import pytest

from townsquare.api.tests.conftest import assert_error
from townsquare.organisations.models import Membership, Team, User

pytestmark = pytest.mark.django_db


def _ids(response):
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def test_me_describes_the_token_owner(api_as, alice, government):
    body = api_as(alice).get("/me").json()
    assert body["username"] == "alice"
    assert [m["organisation_id"] for m in body["memberships"]] == [government["transport"].pk]
    assert body["token"]["prefix"].startswith("tsq_")
    assert "read:organisations" in body["token"]["scopes"]


@pytest.mark.usefixtures("bob")
def test_organisation_lists_are_scoped(api_as, alice, carol, dana, government):
    transport, health = government["transport"].pk, government["health"].pk
    assert _ids(api_as(alice).get("/organisations")) == {transport}
    bob = User.objects.get(username="bob")
    assert _ids(api_as(bob).get("/organisations")) == {transport}
    assert _ids(api_as(carol).get("/organisations")) == {health}
    everything = {org.pk for key, org in government.items() if key != "buses"}
    assert _ids(api_as(dana).get("/organisations", limit=200)) == everything


def test_carol_gets_404_for_every_transport_url(api_as, alice, bob, carol, government):
    transport = government["transport"].pk
    carol_api = api_as(carol)
    for path in (f"/organisations/{transport}", f"/organisations/{transport}/teams",
                 f"/organisations/{transport}/members"):
        assert_error(carol_api.get(path), 404, "not_found")
    response = carol_api.post(f"/organisations/{transport}/teams", {"name": "Carol's team"})
    assert_error(response, 404, "not_found")
    response = carol_api.post(f"/organisations/{transport}/members",
                              {"username": "carol", "role": "administrator"})
    assert_error(response, 404, "not_found")
    bobs_role = Membership.objects.get(user=bob)
    assert_error(carol_api.delete(f"/memberships/{bobs_role.pk}"), 404, "not_found")
    assert Membership.objects.filter(pk=bobs_role.pk).exists()
    assert not Team.objects.filter(name="Carol's team").exists()


def test_carol_cannot_use_transport_ids_in_bodies(api_as, alice, bob, carol, government):
    health = government["health"].pk
    carol_api = api_as(carol)
    # bob is only visible inside Transport: to carol he does not exist.
    response = carol_api.post(f"/organisations/{health}/members",
                              {"username": "bob", "role": "responder"})
    assert_error(response, 404, "not_found")
    response = carol_api.post(f"/organisations/{health}/members",
                              {"username": "carol", "role": "editor",
                               "team_id": government["buses"].pk})
    assert_error(response, 404, "not_found")
    assert not Membership.objects.filter(user=bob, organisation_id=health).exists()
    assert not Membership.objects.filter(user=carol, role="editor").exists()


def test_carol_cannot_filter_audit_by_transport(api_as, carol, government):
    response = api_as(carol).get("/audit-events", organisation_id=government["transport"].pk)
    assert_error(response, 404, "not_found")


def test_alice_reads_her_agency(api_as, alice, bob, government):
    transport = government["transport"].pk
    alice_api = api_as(alice)
    organisation = alice_api.get(f"/organisations/{transport}").json()
    assert organisation["name"] == "Transport Agency"
    assert _ids(alice_api.get(f"/organisations/{transport}/teams")) == {government["buses"].pk}
    members = alice_api.get(f"/organisations/{transport}/members").json()["items"]
    assert {(m["user"]["username"], m["role"]) for m in members} == {
        ("alice", "administrator"), ("bob", "responder")}


def test_dana_sees_every_agency(api_as, alice, carol, dana, government):
    dana_api = api_as(dana)
    for key in ("transport", "health", "ngo"):
        assert dana_api.get(f"/organisations/{government[key].pk}").status_code == 200
    members = dana_api.get(f"/organisations/{government['health'].pk}/members").json()
    assert [m["user"]["username"] for m in members["items"]] == ["carol"]
    usernames = {p["username"] for p in dana_api.get("/people").json()["items"]}
    assert {"alice", "carol", "dana"} <= usernames


def test_people_are_scoped(api_as, alice, bob, carol, government):
    assert {p["username"] for p in api_as(alice).get("/people").json()["items"]} == {
        "alice", "bob"}
    assert {p["username"] for p in api_as(carol).get("/people").json()["items"]} == {"carol"}


def test_alice_creates_a_team_and_grants_roles(api_as, alice, bob, government):
    transport = government["transport"].pk
    alice_api = api_as(alice)
    response = alice_api.post(f"/organisations/{transport}/teams",
                              {"name": "Rail", "translations": {"ar": {"name": "السكك"}}})
    assert response.status_code == 201, response.content
    team = response.json()
    assert team["name"] == "Rail"
    assert team["translations"] == {"ar": {"name": "السكك"}}
    response = alice_api.post(f"/organisations/{transport}/members",
                              {"username": "bob", "role": "editor", "team_id": team["id"]})
    assert response.status_code == 201, response.content
    granted = Membership.objects.get(pk=response.json()["id"])
    assert (granted.user, granted.role, granted.team_id) == (bob, "editor", team["id"])
    again = alice_api.post(f"/organisations/{transport}/members",
                           {"username": "bob", "role": "editor", "team_id": team["id"]})
    assert again.status_code == 200
    assert alice_api.delete(f"/memberships/{granted.pk}").status_code == 204
    assert not Membership.objects.filter(pk=granted.pk).exists()


def test_bob_cannot_write(api_as, alice, bob, government):
    transport = government["transport"].pk
    bob_api = api_as(bob)
    assert_error(bob_api.post(f"/organisations/{transport}/teams", {"name": "Bob's"}), 403,
                 "forbidden")
    assert_error(bob_api.post(f"/organisations/{transport}/members",
                              {"username": "bob", "role": "administrator"}), 403, "forbidden")
    alices_role = Membership.objects.get(user=alice)
    assert_error(bob_api.delete(f"/memberships/{alices_role.pk}"), 403, "forbidden")
    assert Membership.objects.filter(pk=alices_role.pk).exists()
    assert not Membership.objects.filter(user=bob, role="administrator").exists()


@pytest.mark.usefixtures("government")
def test_audit_events_for_administrators_only(api_as, alice, bob, carol, dana):
    transport = alice.memberships.get().organisation_id
    api_as(alice).post(f"/organisations/{transport}/teams", {"name": "Ferries"})
    alice_events = api_as(alice).get("/audit-events", action="team.").json()["items"]
    assert [e["target_label"] for e in alice_events] == ["Ferries", "Bus services"]
    assert {e["organisation_id"] for e in alice_events} == {transport}
    carol_events = api_as(carol).get("/audit-events").json()["items"]
    assert all(e["organisation_id"] != transport for e in carol_events)
    assert not any(e["target_label"] == "Ferries" for e in carol_events)
    assert_error(api_as(bob).get("/audit-events"), 403, "forbidden")
    assert_error(api_as(dana).get("/audit-events"), 403, "forbidden")


def test_accept_language_localises_names(api_as, alice, government):
    alice_api = api_as(alice)
    path = f"/organisations/{government['transport'].pk}"
    arabic = alice_api.client.get(f"/api/v1{path}", headers={**alice_api.headers,
                                                             "Accept-Language": "ar"}).json()
    assert arabic["name"] == "هيئة النقل"
    assert arabic["default_name"] == "Transport Agency"
    assert arabic["translations"]["zh-hans"] == {"name": "交通局"}
    chinese = alice_api.client.get(f"/api/v1{path}", headers={**alice_api.headers,
                                                              "Accept-Language": "zh-hans"})
    assert chinese.json()["name"] == "交通局"
