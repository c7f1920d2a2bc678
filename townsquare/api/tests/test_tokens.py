"""Personal access tokens: hashed at rest, expiry, revocation, scopes, audit, console."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from townsquare.api.models import ApiToken
from townsquare.api.services import (
    api_token_create,
    api_token_revoke,
    api_tokens_notify_expiring,
)
from townsquare.api.tests.conftest import ApiClient, assert_error
from townsquare.core.models import AuditEvent, Notification

pytestmark = pytest.mark.django_db


def test_token_is_hashed_at_rest(alice, token_for):
    plaintext = token_for(alice)
    assert plaintext.startswith("tsq_")
    _tsq, prefix, secret = plaintext.split("_", 2)
    token = ApiToken.objects.get(prefix=prefix)
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    for row in ApiToken.objects.values():
        assert all(secret not in str(value) for value in row.values())
    for event in AuditEvent.objects.values():
        assert all(secret not in str(value) for value in event.values())


def test_create_and_revoke_are_audited(alice, token_for):
    plaintext = token_for(alice, name="Exporter")
    token = ApiToken.objects.get(user=alice)
    created = AuditEvent.objects.get(action="api_token.create")
    assert created.actor == alice
    assert created.details["name"] == "Exporter"
    assert created.target_id == str(token.pk)
    api_token_revoke(actor=alice, token=token)
    revoked = AuditEvent.objects.get(action="api_token.revoke")
    assert revoked.actor == alice
    assert_error(ApiClient(plaintext).get("/me"), 401, "invalid_token")


def test_only_the_owner_revokes(alice, carol, token_for):
    token_for(alice)
    token = ApiToken.objects.get(user=alice)
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=carol, token=token)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_expiry_is_required_and_bounded(alice, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    now = timezone.now()
    with pytest.raises(ValidationError):
        api_token_create(user=alice, name="Long", scopes=["read:people"],
                         expires_at=now + dt.timedelta(days=31))
    with pytest.raises(ValidationError):
        api_token_create(user=alice, name="Past", scopes=["read:people"],
                         expires_at=now - dt.timedelta(minutes=1))
    with pytest.raises(ValidationError):
        api_token_create(user=alice, name="Odd", scopes=["admin:everything"],
                         expires_at=now + dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        api_token_create(user=alice, name="Trick\u202e", scopes=["read:people"],
                         expires_at=now + dt.timedelta(days=1))
    assert not ApiToken.objects.exists()


def test_expired_token_is_refused(alice, token_for):
    plaintext = token_for(alice)
    ApiToken.objects.filter(user=alice).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    error = assert_error(ApiClient(plaintext).get("/me"), 401, "invalid_token")
    assert "expired" in error["message"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer tsq_",
        "Bearer tsq_abcdefghij_wrongsecret",
        "Bearer not-a-token",
        "Bearer ",
        "Basic YWxpY2U6cGFzcw==",
        "Bearer tsq_ABCDEFGHIJ_x",
        "Bearer tsq_abcdefghij_" + "x" * 5000,
    ],
)
def test_malformed_or_unknown_tokens_are_refused(alice, token_for, client, header):
    token_for(alice)
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert_error(response, 401)


def test_missing_token_is_refused(client, db):
    error = assert_error(client.get("/api/v1/organisations"), 401, "unauthenticated")
    assert error["details"] == []


def test_wrong_secret_with_a_real_prefix_is_refused(alice, token_for):
    plaintext = token_for(alice)
    tampered = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    assert_error(ApiClient(tampered).get("/me"), 401, "invalid_token")


def test_deactivated_staff_are_refused(alice, token_for):
    plaintext = token_for(alice)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert_error(ApiClient(plaintext).get("/me"), 401, "invalid_token")


def test_missing_scope_is_403(alice, api_as, government):
    people_only = api_as(alice, scopes=["read:people"])
    assert_error(people_only.get("/organisations"), 403, "insufficient_scope")
    assert_error(people_only.get("/audit-events"), 403, "insufficient_scope")
    read_only = api_as(alice, scopes=["read:organisations"])
    response = read_only.post(f"/organisations/{government['transport'].pk}/teams",
                              {"name": "Rail"})
    assert_error(response, 403, "insufficient_scope")
    assert people_only.get("/people").status_code == 200


def test_last_used_is_recorded(alice, token_for):
    plaintext = token_for(alice)
    assert ApiToken.objects.get(user=alice).last_used_at is None
    assert ApiClient(plaintext).get("/me").status_code == 200
    assert ApiToken.objects.get(user=alice).last_used_at is not None


def test_owners_are_told_once_about_expiring_tokens(alice, bob, token_for):
    token_for(alice, days=3, name="Soon")
    token_for(alice, days=60, name="Later")
    token_for(bob, days=2, name="Revoked soon")
    api_token_revoke(actor=bob, token=ApiToken.objects.get(user=bob))
    from townsquare.api.tasks import notify_expiring_api_tokens

    notify_expiring_api_tokens.call_local()
    notify_expiring_api_tokens.call_local()
    sent = Notification.objects.filter(message_key="api_token.expiring")
    assert [(n.recipient, n.params, n.url) for n in sent] == [
        (alice, {"name": "Soon"}, "/console/tokens/")]
    assert api_tokens_notify_expiring() == 0


# --- Console pages ---------------------------------------------------------------------


def test_console_creates_a_token_shown_once(client_for, bob):
    client = client_for(bob)
    page = client.get("/console/tokens/")
    assert page.status_code == 200
    expires = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    response = client.post("/console/tokens/", {"name": "Reports", "scopes": ["read:people"],
                                                "expires_on": expires})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=bob)
    plaintext = response.context["new_token"]
    assert plaintext.startswith(f"tsq_{token.prefix}_")
    assert plaintext in response.text
    assert response["Cache-Control"] == "no-store"
    assert token.scopes == ["read:people"]
    assert plaintext not in client.get("/console/tokens/").text
    assert ApiClient(plaintext).get("/people").status_code == 200


def test_console_refuses_bad_input(client_for, bob, settings):
    client = client_for(bob)
    too_late = (timezone.localdate() + dt.timedelta(days=settings.API_TOKEN_MAX_DAYS + 2))
    response = client.post("/console/tokens/", {"name": "X", "scopes": ["read:people"],
                                                "expires_on": too_late.isoformat()})
    assert response.status_code == 422
    response = client.post("/console/tokens/", {"name": "X", "expires_on": "2030-01-01"})
    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_console_lists_and_revokes_only_own_tokens(client_for, alice, bob, token_for):
    token_for(alice, name="Alice's exporter")
    token_for(bob, name="Bob's script")
    alice_token = ApiToken.objects.get(user=alice)
    bob_client = client_for(bob)
    page = bob_client.get("/console/tokens/")
    assert "Bob&#x27;s script" in page.text or "Bob's script" in page.text
    assert "exporter" not in page.text
    assert bob_client.post(f"/console/tokens/{alice_token.pk}/revoke/").status_code == 404
    alice_token.refresh_from_db()
    assert alice_token.revoked_at is None
    bob_token = ApiToken.objects.get(user=bob)
    response = bob_client.post(f"/console/tokens/{bob_token.pk}/revoke/")
    assert response.status_code == 302
    bob_token.refresh_from_db()
    assert bob_token.revoked_at is not None


def test_preferences_link_to_tokens(client_for, bob):
    assert 'href="/console/tokens/"' in client_for(bob).get("/console/preferences/").text
