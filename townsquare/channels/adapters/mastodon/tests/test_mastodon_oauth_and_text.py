"""MastodonOAuth (PKCE) against a fake token endpoint; Mastodon's length counting."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from townsquare.channels.adapters.base import (
    Credentials,
    MalformedResponse,
    NotSupported,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.mastodon.client import MastodonConfigError
from townsquare.channels.adapters.mastodon.oauth import MastodonOAuth
from townsquare.channels.adapters.mastodon.tests.fakes import fixture, ok
from townsquare.channels.adapters.mastodon.text import html_to_text, mastodon_length
from townsquare.channels.adapters.registry import oauth_client
from townsquare.channels.adapters.testing import FakeResponse

SECRET = "client-SECRET-abc123"



def client(fake) -> MastodonOAuth:
    return MastodonOAuth({"api_base_url": fake.url, "client_id": "cid", "client_secret": SECRET})


def test_authorization_url_uses_pkce_s256(fake):
    url = client(fake).authorization_url(
        state="st4te", code_challenge="chal", redirect_uri="https://ts.example/cb"
    )
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{fake.url}/oauth/authorize"
    assert query["code_challenge"] == ["chal"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] == ["st4te"]
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["read write"]
    assert SECRET not in url


def test_exchange_code_sends_the_verifier(fake):
    fake.route("POST", "/oauth/token", ok(fixture("oauth_token")))
    credentials = client(fake).exchange_code(
        code="c0de", code_verifier="v" * 43, redirect_uri="https://ts.example/cb"
    )
    assert credentials.access_token == fixture("oauth_token")["access_token"]
    assert credentials.refresh_token == ""
    assert credentials.expires_at is None
    assert credentials.access_token not in repr(credentials)
    form = fake.requests[0].form()
    assert form["grant_type"] == ["authorization_code"]
    assert form["code_verifier"] == ["v" * 43]
    assert form["client_secret"] == [SECRET]


def test_a_refused_code_is_a_clear_error_without_secrets(fake):
    body = {
        "error": "invalid_grant",
        "error_description": "The provided authorization grant is invalid",
    }
    fake.route("POST", "/oauth/token", ok(body, status=400))
    with pytest.raises(RemoteRejected, match="authorization grant is invalid") as caught:
        client(fake).exchange_code(code="bad", code_verifier="v", redirect_uri="https://x/cb")
    assert SECRET not in str(caught.value)


def test_token_endpoint_faults(fake):
    fake.route("POST", "/oauth/token", FakeResponse(200, b"<html>", {"Content-Type": "text/html"}))
    with pytest.raises(MalformedResponse):
        client(fake).exchange_code(code="c", code_verifier="v", redirect_uri="https://x/cb")
    fake.route("POST", "/oauth/token", ok({"token_type": "Bearer"}))
    with pytest.raises(MalformedResponse):
        client(fake).exchange_code(code="c", code_verifier="v", redirect_uri="https://x/cb")
    fake.route("POST", "/oauth/token", FakeResponse(503, b""))
    with pytest.raises(TransientError):
        client(fake).exchange_code(code="c", code_verifier="v", redirect_uri="https://x/cb")


def test_tokens_do_not_expire_so_refresh_is_not_supported(fake):
    with pytest.raises(NotSupported):
        client(fake).refresh(Credentials(access_token="x"))


def test_registry_and_config_validation():
    found = oauth_client(
        "mastodon", {"api_base_url": "https://m.example", "client_id": "a", "client_secret": SECRET}
    )
    assert isinstance(found, MastodonOAuth)
    assert SECRET not in repr(found)
    assert SECRET not in repr(found.settings)
    with pytest.raises(MastodonConfigError, match="client_secret") as caught:
        MastodonOAuth({"api_base_url": "https://m.example", "client_id": "a"})
    assert "m.example" not in str(caught.value) or SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        ("https://example.org/" + "a" * 100, 23),
        ("see http://x.example/a and https://y.example/" + "b" * 50, 4 + 23 + 5 + 23),
        ("@layla@other.example hi", len("@layla hi")),
        ("مرحبا", 5),
        ("你好世界", 4),
        ("👨\u200d👩\u200d👧", 5),  # code points: the server (graphemes) counts fewer
        ("", 0),
    ],
)
def test_mastodon_length(text, length):
    assert mastodon_length(text) == length


def test_html_to_text_keeps_characters():
    html = (
        "<p>One &amp; two<br>three</p>"
        '<p>four <a href="https://x"><span class="invisible">https://</span>x</a> 😀</p>'
    )
    assert html_to_text(html) == "One & two\nthree\n\nfour https://x 😀"
    assert html_to_text("plain 你好") == "plain 你好"
