"""Connecting an X account: OAuth 2.0 authorization code with PKCE (S256).

The console keeps ``state`` and the PKCE verifier; this class builds the authorize URL,
trades the code for tokens and refreshes them. With the ``offline.access`` scope X returns
a refresh token, and rotates it on every refresh: store the returned Credentials.
Confidential clients (those with a client secret) authenticate with HTTP Basic; public
clients send ``client_id`` in the form. tweepy's OAuth2UserHandler generates its own PKCE
verifier and hard-codes the hosts, which does not fit a console that keeps the verifier,
so this is a thin httpx client.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from townsquare.channels.adapters.base import (
    AuthExpired,
    Credentials,
    MalformedResponse,
    Network,
    OAuthClient,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.http import json_body, raise_for_status

DEFAULT_SCOPES = (
    "tweet.read",
    "tweet.write",
    "users.read",
    "media.write",
    "offline.access",
    "dm.read",
    "dm.write",
)


class XOAuthConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str = Field(min_length=1)
    client_secret: str = ""  # empty for a public client
    authorize_url: HttpUrl = HttpUrl("https://twitter.com/i/oauth2/authorize")
    api_host: HttpUrl = HttpUrl("https://api.x.com")
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)


def _config(config: Mapping[str, Any]) -> XOAuthConfig:
    try:
        return XOAuthConfig.model_validate(dict(config))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'config'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ValueError(f"Invalid X OAuth configuration: {problems}") from None


class XOAuth(OAuthClient):
    network: ClassVar[Network] = Network.X
    uses_pkce: ClassVar[bool] = True

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.settings = _config(config)
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)

    def __repr__(self) -> str:
        return f"XOAuth(client_id={self.settings.client_id!r})"

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.settings.client_id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(self.settings.scopes),
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.settings.authorize_url}?{query}"

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> Credentials:
        tokens = self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            },
            refused=RemoteRejected("x: the authorization code was refused"),
        )
        credentials = self._credentials(tokens, previous=None)
        return self._with_account(credentials)

    def refresh(self, credentials: Credentials) -> Credentials:
        if not credentials.refresh_token:
            raise AuthExpired("x: no refresh token (was offline.access granted?); reconnect")
        tokens = self._token_request(
            {"grant_type": "refresh_token", "refresh_token": credentials.refresh_token},
            refused=AuthExpired("x: the refresh token was refused; reconnect the account"),
        )
        return self._credentials(tokens, previous=credentials)

    # --- plumbing ---------------------------------------------------------------------

    def _client(self, auth: httpx.BasicAuth | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=str(self.settings.api_host).rstrip("/"),
            timeout=httpx.Timeout(self.settings.timeout_seconds),
            auth=auth,
        )

    def _token_request(self, form: dict[str, str], *, refused: Exception) -> dict[str, Any]:
        auth: httpx.BasicAuth | None = None
        if self.settings.client_secret:
            auth = httpx.BasicAuth(self.settings.client_id, self.settings.client_secret)
        else:
            form = {**form, "client_id": self.settings.client_id}
        try:
            with self._client(auth) as client:
                response = client.post("/2/oauth2/token", data=form)
        except httpx.TimeoutException:
            raise TransientError("x: the token request timed out") from None
        except httpx.HTTPError:
            raise TransientError("x: the token request failed") from None
        if response.status_code in (400, 401):
            # invalid_grant / invalid_client: the code or refresh token is no longer good.
            raise refused
        raise_for_status(response, network="x")
        tokens = json_body(response, network="x")
        if not isinstance(tokens, dict) or not isinstance(tokens.get("access_token"), str):
            raise MalformedResponse("x: the token response has no access_token")
        return tokens

    def _credentials(self, tokens: dict[str, Any], *, previous: Credentials | None) -> Credentials:
        expires_in = tokens.get("expires_in")
        expires_at = None
        if isinstance(expires_in, int | float) and expires_in > 0:
            expires_at = self.clock() + dt.timedelta(seconds=float(expires_in))
        extra = dict(previous.extra) if previous else {}
        if isinstance(tokens.get("scope"), str):
            extra["scope"] = tokens["scope"]
        return Credentials(
            access_token=tokens["access_token"],
            # X rotates the refresh token; keep the old one only if none came back.
            refresh_token=str(
                tokens.get("refresh_token") or (previous.refresh_token if previous else "")
            ),
            expires_at=expires_at,
            extra=extra,
        )

    def _with_account(self, credentials: Credentials) -> Credentials:
        """Add the account's user id and username (GET /2/users/me) to the credentials."""
        try:
            with self._client() as client:
                response = client.get(
                    "/2/users/me",
                    headers={"Authorization": f"Bearer {credentials.access_token}"},
                )
        except httpx.HTTPError:
            raise TransientError("x: could not read the connected account") from None
        raise_for_status(response, network="x")
        body = json_body(response, network="x")
        user = body.get("data") if isinstance(body, dict) else None
        if not isinstance(user, dict) or not user.get("id"):
            raise MalformedResponse("x: /2/users/me returned no user")
        extra = {
            **dict(credentials.extra),
            "user_id": str(user["id"]),
            "username": str(user.get("username") or ""),
        }
        return Credentials(
            access_token=credentials.access_token,
            refresh_token=credentials.refresh_token,
            expires_at=credentials.expires_at,
            extra=extra,
        )
