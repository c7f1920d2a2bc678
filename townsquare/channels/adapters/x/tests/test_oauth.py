"""XOAuth: authorization code with PKCE, token exchange and refresh-token rotation."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from townsquare.channels.adapters.base import (
    AuthExpired,
    Credentials,
    RateLimited,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.registry import oauth_client
from townsquare.channels.adapters.testing import FakeNetwork, FakeResponse
from townsquare.channels.adapters.x.oauth import XOAuth

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NOW = dt.datetime(2025, 3, 4, 12, 0, tzinfo=dt.UTC)


def load(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))



def make_oauth(fake: FakeNetwork, **config: Any) -> XOAuth:
    oauth = XOAuth({"client_id": "client-123", "api_host": fake.url, **config})
    oauth.clock = lambda: NOW
    return oauth


def test_the_registry_finds_xoauth() -> None:
    assert isinstance(oauth_client("x", {"client_id": "c"}), XOAuth)


def test_missing_client_id_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="client_id"):
        XOAuth({"client_secret": "SECRET"})


def test_authorization_url_carries_state_pkce_and_offline_access(fake: FakeNetwork) -> None:
    url = make_oauth(fake).authorization_url(
        state="st4te", code_challenge="ch4llenge", redirect_uri="https://ts.example/cb"
    )
    parts = urlsplit(url)
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://twitter.com/i/oauth2/authorize"
    )
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == "client-123"
    assert query["state"] == "st4te"
    assert query["code_challenge"] == "ch4llenge"
    assert query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "https://ts.example/cb"
    assert {"tweet.write", "offline.access", "users.read"} <= set(query["scope"].split())


def test_exchange_code_as_a_public_client(fake: FakeNetwork) -> None:
    fake.route("POST", "/2/oauth2/token", FakeResponse(200, load("oauth2_token")))
    fake.route("GET", "/2/users/me", FakeResponse(200, load("users_me")))

    credentials = make_oauth(fake).exchange_code(
        code="c0de", code_verifier="v" * 50, redirect_uri="https://ts.example/cb"
    )

    token_request = fake.requests[0]
    form = {k: v[0] for k, v in token_request.form().items()}
    assert form == {
        "grant_type": "authorization_code",
        "code": "c0de",
        "redirect_uri": "https://ts.example/cb",
        "code_verifier": "v" * 50,
        "client_id": "client-123",
    }
    assert "authorization" not in token_request.headers
    tokens = load("oauth2_token")
    assert credentials.access_token == tokens["access_token"]
    assert credentials.refresh_token == tokens["refresh_token"]
    assert credentials.expires_at == NOW + dt.timedelta(seconds=7200)
    assert credentials.extra["user_id"] == "1500000000000000001"
    assert credentials.extra["username"] == "TransportGov"
    assert "dm.read" in credentials.extra["scope"].split()
    assert fake.requests[1].headers["authorization"] == f"Bearer {tokens['access_token']}"
    assert tokens["access_token"] not in repr(credentials)


def test_a_confidential_client_uses_basic_auth(fake: FakeNetwork) -> None:
    fake.route("POST", "/2/oauth2/token", FakeResponse(200, load("oauth2_token")))
    fake.route("GET", "/2/users/me", FakeResponse(200, load("users_me")))
    make_oauth(fake, client_secret="s3cret").exchange_code(
        code="c", code_verifier="v", redirect_uri="https://ts.example/cb"
    )
    expected = base64.b64encode(b"client-123:s3cret").decode()
    assert fake.requests[0].headers["authorization"] == f"Basic {expected}"


def test_a_refused_code_is_remote_rejected(fake: FakeNetwork) -> None:
    fake.route("POST", "/2/oauth2/token", FakeResponse(400, load("error_oauth_invalid_grant")))
    with pytest.raises(RemoteRejected):
        make_oauth(fake).exchange_code(code="c", code_verifier="v", redirect_uri="https://x/cb")


def test_refresh_returns_the_rotated_refresh_token(fake: FakeNetwork) -> None:
    fake.route("POST", "/2/oauth2/token", FakeResponse(200, load("oauth2_token")))
    old = Credentials(
        access_token="old-SECRET", refresh_token="old-refresh-SECRET", extra={"user_id": "1"}
    )

    new = make_oauth(fake).refresh(old)

    form = {k: v[0] for k, v in fake.requests[0].form().items()}
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": "old-refresh-SECRET",
        "client_id": "client-123",
    }
    assert new.refresh_token == load("oauth2_token")["refresh_token"]
    assert new.extra["user_id"] == "1"


def test_a_refused_refresh_token_is_auth_expired_without_the_token(fake: FakeNetwork) -> None:
    fake.route("POST", "/2/oauth2/token", FakeResponse(400, load("error_oauth_invalid_grant")))
    old = Credentials(access_token="a-SECRET", refresh_token="r-SECRET")
    with pytest.raises(AuthExpired) as caught:
        make_oauth(fake).refresh(old)
    assert "SECRET" not in str(caught.value)


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (FakeResponse(429, {"title": "Too Many Requests"}, {"Retry-After": "60"}), RateLimited),
        (FakeResponse(503, {"title": "Service Unavailable"}), TransientError),
    ],
)
def test_token_endpoint_failures(fake: FakeNetwork, response: FakeResponse, error: type) -> None:
    fake.route("POST", "/2/oauth2/token", response)
    with pytest.raises(error):
        make_oauth(fake).refresh(Credentials(refresh_token="r"))
