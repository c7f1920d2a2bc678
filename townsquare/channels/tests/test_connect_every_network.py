"""An administrator connects an account on each remaining network through the console's
key form, against local fakes of each network's documented API (X's OAuth flow:
test_connect_x_end_to_end.py; Telegram, WhatsApp, SMS, WeChat: test_connect_with_keys.py;
email against Dovecot: adapters/email/tests)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from townsquare.channels.adapters.testing import FakeNetwork, FakeResponse
from townsquare.channels.models import Account, ConnectionState, Credential
from townsquare.channels.services.accounts import account_create
from townsquare.channels.services.credentials import credentials_load

pytestmark = pytest.mark.django_db

ADAPTERS = Path(__file__).resolve().parents[1] / "adapters"
TOKEN = "tok-SECRET-every-network"
PAGE = "104578965432101"
IG_USER = "17841400000000001"


def fixture(network: str, name: str) -> Any:
    return json.loads((ADAPTERS / network / "fixtures" / name).read_text(encoding="utf-8"))


@dataclass
class Case:
    network: str
    handle: str
    config: Callable[[str], dict[str, Any]]
    form: Callable[[str], dict[str, str]]
    routes: list[tuple[str, str, str]]  # method, path, fixture file
    remote_id: str
    followers: int | None
    learned: dict[str, str] = field(default_factory=dict)


CASES = [
    Case("mastodon", "@transport@social.example", lambda url: {},
         lambda url: {"api_base_url": url, "access_token": TOKEN},
         [("GET", "/api/v1/accounts/verify_credentials", "account.json")],
         "109302419863527245", 1523, {"account_id": "109302419863527245"}),
    Case("x", "TransportGov", lambda url: {"api_host": url},
         lambda url: {"access_token": TOKEN},
         [("GET", "/2/users/me", "users_me.json")], "1500000000000000001", 152340),
    Case("bluesky", "transport.gov.example",
         lambda url: {"service_url": url, "use_session_pds": False},
         lambda url: {"identifier": "transport.gov.example", "app_password": "SECRET-app-pw"},
         [("POST", "/xrpc/com.atproto.server.createSession", "create_session.json"),
          ("GET", "/xrpc/app.bsky.actor.getProfile", "get_profile.json")],
         "did:plc:transport0000000000000000", 48211),
    Case("facebook", "transportgov", lambda url: {"graph_base_url": url},
         lambda url: {"page_id": PAGE, "access_token": TOKEN, "app_secret": "SECRET-app"},
         [("GET", f"/v21.0/{PAGE}", "page_profile.json")], PAGE, 48213),
    Case("instagram", "transportgov", lambda url: {"graph_base_url": url},
         lambda url: {"ig_user_id": IG_USER, "access_token": TOKEN, "app_secret": "SECRET-app"},
         [("GET", f"/v21.0/{IG_USER}", "user_profile.json")], IG_USER, 120530),
    Case("weibo", "交通运输局", lambda url: {"api_base_url": f"{url}/2"},
         lambda url: {"access_token": TOKEN},
         [("GET", "/2/account/get_uid.json", "get_uid.json"),
          ("GET", "/2/users/show.json", "users_show.json")],
         "1904178193", 1284567, {"uid": "1904178193"}),
]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeNetwork]:
    with FakeNetwork() as network:
        yield network


@pytest.fixture
def fake(server: FakeNetwork) -> FakeNetwork:
    server.reset()
    return server


def _account(alice, government, case: Case, fake: FakeNetwork) -> Account:
    return account_create(actor=alice, organisation=government["transport"],
                          network=case.network, handle=case.handle, config=case.config(fake.url))


@pytest.mark.parametrize("case", CASES, ids=[case.network for case in CASES])
def test_connect_with_keys_checked_by_the_network(client_for, alice, government, fake, case):
    for method, path, name in case.routes:
        fake.route(method, path, FakeResponse(200, fixture(case.network, name)))
    account = _account(alice, government, case, fake)
    client = client_for(alice)
    response = client.post(reverse("channels:credentials", args=[account.pk]),
                           case.form(fake.url))
    assert response.status_code == 302, response.content.decode()[:2000]
    account.refresh_from_db()
    assert account.connection_state == ConnectionState.CONNECTED
    assert (account.remote_id, account.followers) == (case.remote_id, case.followers)
    for key, value in case.learned.items():
        assert account.config[key] == value
    stored = credentials_load(account)
    assert stored.access_token  # a token (Bluesky: a session, never the app password)
    assert "SECRET-app-pw" not in json.dumps(dict(stored.extra))
    page = client.get(reverse("channels:detail", args=[account.pk])).content.decode()
    assert "SECRET" not in page and TOKEN not in page


@pytest.mark.parametrize("case", CASES, ids=[case.network for case in CASES])
def test_a_refused_key_stores_nothing(client_for, alice, government, fake, case):
    for method, path, _name in case.routes:
        fake.route(method, path, FakeResponse(401, {"error": "invalid_token"}))
    account = _account(alice, government, case, fake)
    config = dict(account.config)
    response = client_for(alice).post(reverse("channels:credentials", args=[account.pk]),
                                      case.form(fake.url))
    body = response.content.decode()
    assert response.status_code == 200
    assert "refused these credentials" in body and "Nothing was stored" in body
    assert "SECRET" not in body
    account.refresh_from_db()
    assert account.connection_state == ConnectionState.NOT_CONNECTED
    assert account.config == config and not Credential.objects.exists()


@pytest.mark.parametrize("case", CASES, ids=[case.network for case in CASES])
def test_a_failing_network_is_reported_as_unreachable(client_for, alice, government, fake,
                                                      case):
    for method, path, _name in case.routes:
        fake.route(method, path, FakeResponse(503, {"error": "Service Unavailable"}))
    account = _account(alice, government, case, fake)
    body = client_for(alice).post(reverse("channels:credentials", args=[account.pk]),
                                  case.form(fake.url)).content.decode()
    assert "Could not reach" in body and "Nothing was stored" in body
    assert not Credential.objects.exists()
