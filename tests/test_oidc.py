"""Single sign-on through OpenID Connect, against a small identity provider run here.

allauth's openid_connect provider reads ``<server_url>/.well-known/openid-configuration``
and then calls the token and userinfo endpoints (and the JWKS endpoint) over HTTP with
``requests``; so the fake provider is a real HTTP server on 127.0.0.1 that signs its
ID tokens with an RS256 key made for the test and checks the PKCE verifier.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

CLIENT_ID = "townsquare-test"
CLIENT_SECRET = "test-client-secret-9f2c"
PROVIDER_ID = "government-sso"


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class FakeIdentityProvider:
    """Authorization-code flow with PKCE, client_secret_post, RS256 ID tokens."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        self.user_claims: dict[str, object] = {}
        self.pending: dict[str, dict[str, str]] = {}  # code -> authorize request
        self.token_requests: list[dict[str, list[str]]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeIdentityProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def discovery(self) -> dict[str, object]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict[str, object]:
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": self.kid,
                    "n": _b64(numbers.n),
                    "e": _b64(numbers.e),
                }
            ]
        }

    def authorize(self, query: dict[str, str]) -> str:
        """What the provider does after the person signs in there: redirect with a code."""
        code = secrets.token_urlsafe(16)
        self.pending[code] = query
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"

    def id_token(self, nonce: str | None) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            **self.user_claims,
        }
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    def token(self, form: dict[str, list[str]]) -> tuple[int, dict[str, object]]:
        self.token_requests.append(form)
        value = {k: v[0] for k, v in form.items()}
        request = self.pending.pop(value.get("code", ""), None)
        if request is None:
            return 400, {"error": "invalid_grant"}
        if value.get("client_id") != CLIENT_ID or value.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client"}
        if value.get("redirect_uri") != request["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        verifier = value.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if challenge != request.get("code_challenge"):
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        return 200, {
            "access_token": "access-" + secrets.token_hex(8),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.id_token(request.get("nonce")),
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return None

            def _json(self, status: int, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json(200, provider.discovery())
                elif url.path == "/jwks":
                    self._json(200, provider.jwks())
                elif url.path == "/userinfo":
                    if not self.headers.get("Authorization", "").startswith("Bearer access-"):
                        self._json(401, {"error": "invalid_token"})
                    else:
                        self._json(200, dict(provider.user_claims))
                elif url.path == "/authorize":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    self.send_response(302)
                    self.send_header("Location", provider.authorize(query))
                    self.end_headers()
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                if urlparse(self.path).path == "/token":
                    self._json(*provider.token(form))
                else:
                    self._json(404, {"error": "not_found"})

        return Handler


@pytest.fixture
def idp():
    with FakeIdentityProvider() as provider:
        providers = {
            "openid_connect": {
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [
                    {
                        "provider_id": PROVIDER_ID,
                        "name": "Government single sign-on",
                        "client_id": CLIENT_ID,
                        "secret": CLIENT_SECRET,
                        "settings": {
                            "server_url": provider.issuer,
                            "token_auth_method": "client_secret_post",
                        },
                    }
                ],
            }
        }
        with override_settings(SOCIALACCOUNT_PROVIDERS=providers):
            yield provider


def sso_sign_in(client: Client, idp: FakeIdentityProvider):
    """Press the SSO button, sign in at the provider, come back: the response of the callback."""
    import requests

    start = client.post(reverse("openid_connect_login", kwargs={"provider_id": PROVIDER_ID}))
    assert start.status_code == 302, start.content[:400]
    authorize_url = start["Location"]
    assert authorize_url.startswith(f"{idp.issuer}/authorize?")
    query = parse_qs(urlparse(authorize_url).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"]
    assert "openid" in query["scope"][0].split()
    at_provider = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302
    back = urlparse(at_provider.headers["Location"])
    return client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})


def _staff_with_verified_email(government):
    from allauth.account.models import EmailAddress

    from conftest import _make_user

    user = _make_user("olivia", government["transport"], "responder")
    # staff_user_create records the administrator-vouched address as verified.
    assert EmailAddress.objects.filter(
        user=user, email=user.email, verified=True, primary=True
    ).exists()
    return user


def test_login_page_offers_the_sso_button(idp):
    response = Client().get(reverse("account_login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Government single sign-on" in html
    assert reverse("openid_connect_login", kwargs={"provider_id": PROVIDER_ID}) in html


def test_login_page_has_no_sso_button_when_not_configured(db, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    html = Client().get(reverse("account_login")).content.decode()
    assert "openid_connect" not in html
    assert "/accounts/oidc/" not in html


def test_existing_staff_member_signs_in_through_sso(idp, government):
    from allauth.socialaccount.models import SocialAccount

    user = _staff_with_verified_email(government)
    idp.user_claims = {
        "sub": "gov-id-0001",
        "email": "OLIVIA@example.org",
        "email_verified": True,
        "name": "Olivia Staff",
    }
    client = Client()
    response = sso_sign_in(client, idp)
    assert response.status_code == 302, response.content[:600]
    assert response["Location"] == reverse("console:home")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("console:home")).status_code == 200
    # The provider account is now linked, the token call used client_secret_post + PKCE.
    link = SocialAccount.objects.get(provider=PROVIDER_ID, uid="gov-id-0001")
    assert link.user == user
    form = idp.token_requests[-1]
    assert form["client_secret"] == [CLIENT_SECRET]
    assert form["code_verifier"]
    user.refresh_from_db()
    assert user.has_usable_password()  # a verified match keeps the password
    from townsquare.core.models import AuditEvent

    assert AuditEvent.objects.filter(actor=user, action="auth.sign_in").exists()

    # Next time the link (sub) is used, whatever the e-mail says.
    idp.user_claims = {"sub": "gov-id-0001", "email": "renamed@example.org", "email_verified": True}
    again = Client()
    response = sso_sign_in(again, idp)
    assert response.status_code == 302
    assert again.session["_auth_user_id"] == str(user.pk)


@override_settings(OIDC_CREATE_USERS=False)
def test_unknown_person_is_refused_when_account_creation_is_off(idp, government):
    from django.contrib.auth import get_user_model

    before = get_user_model().objects.count()
    idp.user_claims = {
        "sub": "gov-id-9999",
        "email": "stranger@example.org",
        "email_verified": True,
    }
    client = Client()
    response = sso_sign_in(client, idp)
    assert "_auth_user_id" not in client.session
    if response.status_code == 302:
        response = client.get(response["Location"])
    assert response.status_code == 200
    assert b"closed" in response.content.lower()
    assert get_user_model().objects.count() == before


def test_unverified_email_does_not_match_a_staff_account(idp, government):
    _staff_with_verified_email(government)
    idp.user_claims = {"sub": "gov-id-0002", "email": "olivia@example.org", "email_verified": False}
    client = Client()
    sso_sign_in(client, idp)
    assert "_auth_user_id" not in client.session


@override_settings(OIDC_CREATE_USERS=True)
def test_unknown_person_gets_an_account_when_creation_is_on(idp, government):
    from django.contrib.auth import get_user_model

    idp.user_claims = {
        "sub": "gov-id-7777",
        "email": "newcomer@example.org",
        "email_verified": True,
        "preferred_username": "newcomer",
    }
    client = Client()
    response = sso_sign_in(client, idp)
    assert response.status_code == 302, response.content[:600]
    user = get_user_model().objects.get(email="newcomer@example.org")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert not user.has_usable_password()


def test_wrong_client_secret_fails_cleanly(idp, government, settings):
    _staff_with_verified_email(government)
    providers = json.loads(json.dumps(settings.SOCIALACCOUNT_PROVIDERS))
    providers["openid_connect"]["APPS"][0]["secret"] = "not-the-secret"
    settings.SOCIALACCOUNT_PROVIDERS = providers
    idp.user_claims = {"sub": "gov-id-0001", "email": "olivia@example.org", "email_verified": True}
    client = Client()
    response = sso_sign_in(client, idp)
    assert "_auth_user_id" not in client.session
    assert response.status_code == 401
    assert b"ts-brand" in response.content  # allauth's error page, inside our shell
    assert b"<script>" not in response.content
