"""An administrator connects an X account through the console, against a fake of X's
documented OAuth 2.0 endpoints: state, PKCE (S256) and token storage, for real."""

import base64
import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from townsquare.channels.adapters.testing import FakeNetwork, FakeRequest, FakeResponse
from townsquare.channels.models import ConnectionState, Credential
from townsquare.channels.services.credentials import credentials_load

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "adapters" / "x" / "fixtures"


def fixture(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def fake_x():
    with FakeNetwork() as fake:
        yield fake


def test_administrator_connects_an_x_account(client_for, alice, government, fake_x, settings):
    from townsquare.channels.services.accounts import account_create

    settings.CHANNEL_OAUTH_APPS = {"x": {"client_id": "cid", "client_secret": "csecret"}}
    account = account_create(
        actor=alice, organisation=government["transport"], network="x", handle="@TransportGov",
        config={"api_host": fake_x.url,
                "oauth": {"authorize_url": f"{fake_x.url}/i/oauth2/authorize",
                          "api_host": fake_x.url}},
    )
    challenges = {}

    def token(request: FakeRequest) -> FakeResponse:
        form = {k: v[0] for k, v in request.form().items()}
        digest = hashlib.sha256(form["code_verifier"].encode()).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if form.get("code") != "the-code" or computed != challenges["challenge"]:
            return FakeResponse(400, {"error": "invalid_grant"})
        return FakeResponse(200, fixture("oauth2_token.json"))

    fake_x.route("POST", "/2/oauth2/token", token)
    fake_x.route("GET", "/2/users/me", FakeResponse(200, fixture("users_me.json")))

    client = client_for(alice)
    started = client.post(f"/console/channels/{account.pk}/connect/")
    assert started.status_code == 302
    consent = urlsplit(started["Location"])
    assert consent.path == "/i/oauth2/authorize"
    query = {k: v[0] for k, v in parse_qs(consent.query).items()}
    assert query["code_challenge_method"] == "S256"
    assert query["client_id"] == "cid"
    challenges["challenge"] = query["code_challenge"]

    done = client.get("/console/channels/oauth/callback/",
                      {"state": query["state"], "code": "the-code"})
    assert done.status_code == 302
    account.refresh_from_db()
    assert account.connection_state == ConnectionState.CONNECTED
    stored = credentials_load(account)
    assert stored.access_token == fixture("oauth2_token.json")["access_token"]
    assert stored.access_token not in Credential.objects.get(account=account).ciphertext
    # The same state cannot be used twice.
    again = client.get("/console/channels/oauth/callback/",
                       {"state": query["state"], "code": "the-code"})
    assert Credential.objects.get(account=account).version == 1
    assert again.status_code in (200, 302, 400)
    page = client.get(f"/console/channels/{account.pk}/").content.decode()
    assert stored.access_token not in page
    assert stored.refresh_token not in page
