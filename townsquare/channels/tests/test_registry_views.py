"""Console pages of the account registry, with the named users and their boundaries."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from townsquare.channels.adapters import registry
from townsquare.channels.adapters.base import (
    Credentials,
    Network,
    OAuthClient,
    RemoteRejected,
)
from townsquare.channels.models import (
    Account,
    AccountStatus,
    ConnectionState,
    Credential,
    OAuthState,
)
from townsquare.channels.services.credentials import credentials_load, credentials_store

pytestmark = pytest.mark.django_db

SECRET = "tok-SECRET-9a8b7c-never-show"


def _messages(response):
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def _account_urls(account):
    return [reverse(f"channels:{name}", args=[account.pk])
            for name in ("detail", "edit", "credentials")]


def _post_urls(account):
    return [reverse(f"channels:{name}", args=[account.pk])
            for name in ("retire", "confirm", "connect", "credentials", "edit")]


# --- Boundaries ------------------------------------------------------------------------


def test_list_is_scoped(client_for, alice, carol, dana, transport_account):
    url = reverse("channels:list")
    assert transport_account.handle in client_for(alice).get(url).content.decode()
    assert transport_account.handle not in client_for(carol).get(url).content.decode()
    assert transport_account.handle in client_for(dana).get(url).content.decode()


def test_carol_gets_404_for_transport_accounts(client_for, carol, transport_account,
                                               government):
    carol_client = client_for(carol)
    for url in _account_urls(transport_account):
        assert carol_client.get(url).status_code == 404, url
    for url in _post_urls(transport_account):
        assert carol_client.post(url, {"handle": "stolen", "status": "active",
                                       "bot_token": "x", "access_token": "x"}).status_code == 404
    # Naming Transport in a form body does not work either.
    response = carol_client.post(reverse("channels:new"), {
        "organisation": government["transport"].pk, "network": "x", "handle": "carol_x",
        "status": "active",
    })
    assert response.status_code == 200
    assert not Account.objects.filter(handle="carol_x").exists()
    transport_account.refresh_from_db()
    assert transport_account.status == AccountStatus.ACTIVE
    assert transport_account.handle == "@transport@sandbox.local"
    assert not Credential.objects.exists() and not OAuthState.objects.exists()
    search = carol_client.get(reverse("console:search"), {"q": "transport@sandbox"})
    assert transport_account.handle not in search.content.decode()


def test_bob_reads_but_cannot_manage(client_for, bob, transport_account):
    bob_client = client_for(bob)
    page = bob_client.get(reverse("channels:detail", args=[transport_account.pk]))
    assert page.status_code == 200
    assert reverse("channels:edit", args=[transport_account.pk]) not in page.content.decode()
    assert bob_client.get(reverse("channels:new")).status_code == 403
    assert bob_client.get(reverse("channels:import")).status_code == 403
    assert bob_client.get(reverse("channels:edit", args=[transport_account.pk])).status_code == 403
    for url in _post_urls(transport_account):
        assert bob_client.post(url, {"handle": "x", "status": "retired"}).status_code == 403
    transport_account.refresh_from_db()
    assert transport_account.status == AccountStatus.ACTIVE


def test_dana_sees_all_but_does_not_manage(client_for, dana, transport_account):
    dana_client = client_for(dana)
    assert dana_client.get(reverse("channels:detail", args=[transport_account.pk])).status_code \
        == 200
    assert dana_client.get(reverse("channels:edit", args=[transport_account.pk])).status_code \
        == 403
    export = dana_client.get(reverse("channels:export"))
    assert transport_account.handle.encode() in export.content


# --- Managing accounts -----------------------------------------------------------------


def test_alice_creates_edits_confirms_and_retires(client_for, alice, government):
    alice_client = client_for(alice)
    assert alice_client.get(reverse("channels:new")).status_code == 200
    response = alice_client.post(reverse("channels:new"), {
        "organisation": government["transport"].pk, "network": "telegram",
        "handle": "TransportBot", "url": "https://t.me/TransportBot", "status": "active",
        "languages": ["en", "ar"], "listed_publicly": "on", "responsible": alice.pk,
    })
    account = Account.objects.get(handle="TransportBot")
    assert response.status_code == 302 and response["Location"].endswith(f"/{account.pk}/")
    assert account.languages == ["en", "ar"] and account.listed_publicly

    response = alice_client.post(reverse("channels:edit", args=[account.pk]), {
        "handle": "TransportBot", "status": "dormant", "purpose": "Timetable changes",
        "languages": ["zh-hans"],
    })
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.status == AccountStatus.DORMANT and not account.listed_publicly
    assert account.languages == ["zh-hans"]

    account.status = AccountStatus.UNDER_REVIEW
    account.save()
    alice_client.post(reverse("channels:confirm", args=[account.pk]))
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE and account.review_due_at is not None

    alice_client.post(reverse("channels:retire", args=[account.pk]))
    account.refresh_from_db()
    assert account.status == AccountStatus.RETIRED


def test_duplicate_handle_is_a_form_error(client_for, alice, government, transport_account):
    response = client_for(alice).post(reverse("channels:new"), {
        "organisation": government["transport"].pk, "network": "mastodon",
        "handle": "@TRANSPORT@sandbox.local", "status": "active",
    })
    assert response.status_code == 200
    assert "already in the registry" in response.content.decode()


def test_bidi_handle_is_refused(client_for, alice, government):
    response = client_for(alice).post(reverse("channels:new"), {
        "organisation": government["transport"].pk, "network": "x",
        "handle": "gov\u202etransport", "status": "active",
    })
    assert response.status_code == 200 and not Account.objects.exists()


def test_filters(client_for, alice, transport_account, government):
    from townsquare.channels.services.accounts import account_create

    account_create(actor=alice, organisation=government["transport"], network="rss",
                   handle="news-feed.example", status=AccountStatus.DORMANT)
    alice_client = client_for(alice)
    body = alice_client.get(reverse("channels:list"), {"network": "rss"}).content.decode()
    assert "news-feed.example" in body and transport_account.handle not in body
    body = alice_client.get(reverse("channels:list"), {"status": "active"}).content.decode()
    assert "news-feed.example" not in body and transport_account.handle in body
    body = alice_client.get(reverse("channels:list"),
                            {"connection": "connected"}).content.decode()
    assert "news-feed.example" not in body and transport_account.handle not in body
    body = alice_client.get(reverse("channels:list"), {"q": "news-feed"}).content.decode()
    assert "news-feed.example" in body and transport_account.handle not in body
    export = alice_client.get(reverse("channels:export"), {"network": "rss"}).content.decode()
    assert "news-feed.example" in export and transport_account.handle not in export


# --- Secrets never shown ---------------------------------------------------------------


def test_tokens_appear_nowhere(client_for, alice, dana, transport_account, caplog):
    credentials_store(actor=alice, account=transport_account, credentials=Credentials(
        access_token=SECRET, refresh_token=SECRET + "-refresh",
        extra={"app_secret": SECRET + "-app"}))
    alice_client = client_for(alice)
    pages = [
        alice_client.get(reverse("channels:detail", args=[transport_account.pk])),
        alice_client.get(reverse("channels:edit", args=[transport_account.pk])),
        alice_client.get(reverse("channels:credentials", args=[transport_account.pk])),
        alice_client.get(reverse("channels:list")),
        alice_client.get(reverse("channels:export")),
        client_for(dana).get(reverse("channels:export")),
        alice_client.get(reverse("console:search"), {"q": "transport"}),
        alice_client.get(reverse("portal:directory")),
    ]
    for response in pages:
        assert response.status_code == 200
        assert b"SECRET" not in response.content
    assert "SECRET" not in caplog.text


# Entering keys (checked with the network first): test_connect_with_keys.py


def test_rss_needs_no_credentials(client_for, alice, government):
    from townsquare.channels.services.accounts import account_create

    feed = account_create(actor=alice, organisation=government["transport"], network="rss",
                          handle="feed.example")
    assert client_for(alice).get(reverse("channels:credentials", args=[feed.pk])).status_code \
        == 404


# --- OAuth -----------------------------------------------------------------------------


class FakeOAuth(OAuthClient):
    network: ClassVar[Network] = Network.MASTODON
    exchanged: ClassVar[list[dict[str, str]]] = []

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        return ("https://auth.example.test/authorize?"
                f"state={state}&code_challenge={code_challenge}&redirect_uri={redirect_uri}")

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> Credentials:
        if code == "refused":
            raise RemoteRejected("invalid_grant")
        self.exchanged.append({"code": code, "verifier": code_verifier})
        return Credentials(access_token=SECRET, refresh_token=SECRET + "-r")


@pytest.fixture
def fake_oauth(monkeypatch):
    FakeOAuth.exchanged = []
    monkeypatch.setattr(
        registry, "OAUTH", {Network.MASTODON: f"{__name__}.FakeOAuth"}
    )
    return FakeOAuth


def _start(client, account):
    response = client.post(reverse("channels:connect", args=[account.pk]))
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    return query["state"][0], query["code_challenge"][0]


def test_oauth_connects_with_state_and_pkce(client_for, alice, transport_account, fake_oauth):
    alice_client = client_for(alice)
    detail = alice_client.get(reverse("channels:detail", args=[transport_account.pk]))
    assert reverse("channels:connect", args=[transport_account.pk]) in detail.content.decode()
    state, challenge = _start(alice_client, transport_account)
    callback = reverse("channels:oauth_callback")
    response = alice_client.get(callback, {"state": state, "code": "good-code"})
    assert response.status_code == 302
    assert response["Location"] == reverse("channels:detail", args=[transport_account.pk])
    (exchange,) = fake_oauth.exchanged
    digest = hashlib.sha256(exchange["verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == challenge
    transport_account.refresh_from_db()
    assert transport_account.connection_state == ConnectionState.CONNECTED
    assert credentials_load(transport_account).access_token == SECRET

    # The same state a second time is refused and changes nothing.
    again = alice_client.get(callback, {"state": state, "code": "another"})
    assert "already used" in _messages(again)
    assert len(fake_oauth.exchanged) == 1


def test_oauth_state_expires(client_for, alice, transport_account, fake_oauth):
    alice_client = client_for(alice)
    state, _challenge = _start(alice_client, transport_account)
    OAuthState.objects.filter(state=state).update(
        created_at=OAuthState.objects.get(state=state).created_at - dt.timedelta(minutes=11))
    response = alice_client.get(reverse("channels:oauth_callback"),
                                {"state": state, "code": "good-code"})
    assert "expired" in _messages(response)
    assert fake_oauth.exchanged == []
    transport_account.refresh_from_db()
    assert transport_account.connection_state == ConnectionState.NOT_CONNECTED


def test_oauth_unknown_state_refusal_and_other_user(client_for, alice, carol, transport_account,
                                                    fake_oauth):
    alice_client = client_for(alice)
    callback = reverse("channels:oauth_callback")
    response = alice_client.get(callback, {"state": "made-up", "code": "x"})
    assert "unknown" in _messages(response)
    response = alice_client.get(callback, {"state": "made-up", "error": "access_denied",
                                           "error_description": "The user denied access"})
    assert "did not grant access" in _messages(response)
    state, _ = _start(alice_client, transport_account)
    response = alice_client.get(callback, {"state": state, "code": "refused"})
    assert "refused" in _messages(response)
    state, _ = _start(alice_client, transport_account)
    response = client_for(carol).get(callback, {"state": state, "code": "good-code"})
    assert response.status_code == 302 and "someone else" in _messages(response)
    assert not Credential.objects.exists()


def test_connect_without_oauth_goes_to_credentials(client_for, alice, government, monkeypatch):
    from townsquare.channels.services.accounts import account_create

    monkeypatch.setattr(registry, "OAUTH", {})
    bot = account_create(actor=alice, organisation=government["transport"],
                         network="telegram", handle="TransportBot")
    response = client_for(alice).post(reverse("channels:connect", args=[bot.pk]))
    assert response["Location"] == reverse("channels:credentials", args=[bot.pk])


# --- Import and export pages -----------------------------------------------------------


def _upload(client, content: bytes, name="accounts.csv"):
    return client.post(reverse("channels:import"),
                       {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


def test_import_check_then_apply(client_for, alice):
    alice_client = client_for(alice)
    content = ("network,handle,organisation,languages\r\n"
               "x,gov_transport,transport,en;ar\r\n"
               "bluesky,transport.example,transport,\r\n").encode("utf-8-sig")
    response = _upload(alice_client, content)
    body = response.content.decode()
    assert "Will be added" in body and 'name="apply"' in body
    assert not Account.objects.exists()
    response = alice_client.post(reverse("channels:import"), {"apply": "1"})
    assert response.status_code == 302
    assert Account.objects.count() == 2
    # Applying again without a new check does nothing.
    response = alice_client.post(reverse("channels:import"), {"apply": "1"})
    assert "Upload it again" in _messages(response)


def test_import_with_errors_shows_every_row_and_cannot_apply(client_for, alice):
    alice_client = client_for(alice)
    content = (b"network,handle,organisation\r\n"
               b"x,gov_transport,transport\r\n"
               b"x,GOV_transport,transport\r\n"
               b"fax,123,transport\r\n")
    body = _upload(alice_client, content).content.decode()
    assert "same account is already on line 2" in body and "Unknown network" in body
    assert 'name="apply"' not in body
    assert "apply" not in alice_client.post(reverse("channels:import"), {"apply": "1"})["Location"]
    assert not Account.objects.exists()


def test_import_refuses_files_that_are_not_utf8(client_for, alice):
    content = "network,handle,organisation\r\nx,Société,transport\r\n".encode("latin-1")
    body = _upload(client_for(alice), content).content.decode()
    assert "not UTF-8" in body and not Account.objects.exists()
    body = _upload(client_for(alice), b"handle,url\r\nx,y\r\n").content.decode()
    assert "Required columns are missing: network, organisation" in body


def test_export_download_round_trips(client_for, alice, transport_account):
    alice_client = client_for(alice)
    export = alice_client.get(reverse("channels:export"))
    assert export["Content-Type"].startswith("text/csv")
    assert "attachment" in export["Content-Disposition"]
    assert export.content.startswith(b"\xef\xbb\xbf")
    body = _upload(alice_client, export.content).content.decode()
    assert "Unchanged" in body and 'name="apply"' in body
