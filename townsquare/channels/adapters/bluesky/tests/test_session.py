"""Connecting a Bluesky account: createSession, refreshSession, configuration."""

from __future__ import annotations

import pytest

from townsquare.channels.adapters.base import (
    AuthExpired,
    Credentials,
)
from townsquare.channels.adapters.bluesky.client import BlueskyConfig
from townsquare.channels.adapters.bluesky.session import create_session, refresh_session
from townsquare.channels.adapters.bluesky.tests.support import (
    ACCESS,
    DID,
    REFRESH,
    X,
    assert_no_secrets,
    calls,
    load,
    make_adapter,
)
from townsquare.channels.adapters.testing import FakeNetwork, FakeResponse

# --- connecting ------------------------------------------------------------------------


def test_create_session_stores_tokens_did_and_pds(fake: FakeNetwork) -> None:
    body = load("create_session")
    body["didDoc"]["service"][0]["serviceEndpoint"] = fake.url + "/"
    fake.route("POST", X + "com.atproto.server.createSession", FakeResponse(200, body))

    credentials = create_session(
        service_url=fake.url, identifier="transport.gov.example", password="app-pass-word"
    )

    sent = calls(fake, "com.atproto.server.createSession")[0].json()
    assert sent == {"identifier": "transport.gov.example", "password": "app-pass-word"}
    assert credentials.access_token == body["accessJwt"]
    assert credentials.refresh_token == body["refreshJwt"]
    assert credentials.extra == {"did": DID, "handle": "transport.gov.example", "pds": fake.url}
    assert body["accessJwt"] not in repr(credentials)


def test_create_session_with_a_wrong_password_is_auth_expired(fake: FakeNetwork) -> None:
    fake.route(
        "POST",
        X + "com.atproto.server.createSession",
        FakeResponse(
            401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
        ),
    )
    with pytest.raises(AuthExpired) as caught:
        create_session(service_url=fake.url, identifier="x.bsky.social", password="SECRET-pw")
    assert_no_secrets(str(caught.value), repr(caught.value))


def test_refresh_session_sends_the_refresh_jwt_and_returns_rotated_tokens(
    fake: FakeNetwork,
) -> None:
    fake.route(
        "POST", X + "com.atproto.server.refreshSession", FakeResponse(200, load("refresh_session"))
    )
    old = Credentials(
        access_token=ACCESS, refresh_token=REFRESH, extra={"did": DID, "pds": fake.url}
    )

    new = refresh_session(old, service_url=fake.url)

    request = calls(fake, "com.atproto.server.refreshSession")[0]
    assert request.headers["authorization"] == f"Bearer {REFRESH}"
    assert new.refresh_token == load("refresh_session")["refreshJwt"] != REFRESH
    assert new.access_token == load("refresh_session")["accessJwt"]
    assert new.extra["did"] == DID
    assert new.extra["pds"] == fake.url


def test_a_refused_refresh_token_is_auth_expired(fake: FakeNetwork) -> None:
    fake.route(
        "POST",
        X + "com.atproto.server.refreshSession",
        FakeResponse(400, load("error_expired_token")),
    )
    old = Credentials(access_token=ACCESS, refresh_token=REFRESH, extra={"pds": fake.url})
    with pytest.raises(AuthExpired) as caught:
        refresh_session(old, service_url=fake.url)
    assert_no_secrets(str(caught.value))


def test_bad_config_gives_a_clear_error_without_values() -> None:
    with pytest.raises(ValueError, match="timeout_seconds") as caught:
        BlueskyConfig.from_mapping({"timeout_seconds": -1, "app_password": "SECRET-pw"})
    assert "app_password" in str(caught.value)
    assert_no_secrets(str(caught.value))
    with pytest.raises(ValueError, match="service_url"):
        BlueskyConfig.from_mapping({"service_url": "not a url"})


def test_repr_of_adapter_hides_tokens(fake: FakeNetwork) -> None:
    adapter = make_adapter(fake)
    assert_no_secrets(repr(adapter), repr(adapter.credentials))
