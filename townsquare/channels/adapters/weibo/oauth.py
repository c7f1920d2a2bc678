"""Weibo OAuth 2 (authorization code).

Weibo does not implement PKCE (RFC 7636): its authorize endpoint ignores
code_challenge and its access_token endpoint has no code_verifier, so ``uses_pkce`` is
False and the client secret (kept server side) authenticates the exchange; ``state``
still protects the callback. Ordinary web apps get no refresh token (refresh tokens are
issued only to mobile SDK apps): when the token expires (``expires_in``; days for
unverified apps, longer for audited ones) the account owner connects again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from townsquare.channels.adapters.base import (
    AuthExpired,
    Credentials,
    MalformedResponse,
    Network,
    NotSupported,
    OAuthClient,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.http import raise_for_status

NETWORK = "weibo"
CLIENT_ERRORS = frozenset({21323, 21324})  # invalid_request / invalid_client


class WeiboOAuthConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    client_id: str = Field(min_length=1)  # the App Key
    client_secret: str = Field(min_length=1)  # the App Secret
    oauth_base_url: str = Field(default="https://api.weibo.com/oauth2", pattern=r"^https?://")
    scope: str = ""
    timeout: float = Field(default=10.0, gt=0, le=120)


class WeiboOAuth(OAuthClient):
    network: ClassVar[Network] = Network.WEIBO
    uses_pkce: ClassVar[bool] = False

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        try:
            self.settings = WeiboOAuthConfig.model_validate(dict(config))
        except ValidationError as exc:
            # Pydantic would echo the input values, including the secret.
            fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
            raise ValueError(f"invalid Weibo OAuth configuration: {fields}") from None
        self._base = self.settings.oauth_base_url.rstrip("/")

    def __repr__(self) -> str:
        return f"WeiboOAuth(client_id={self.settings.client_id!r})"

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        params = {
            "client_id": self.settings.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "state": state,
        }
        if self.settings.scope:
            params["scope"] = self.settings.scope
        return f"{self._base}/authorize?{urlencode(params)}"

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> Credentials:
        form = {
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
        }
        try:
            response = httpx.post(
                f"{self._base}/access_token",
                data=form,
                timeout=httpx.Timeout(self.settings.timeout, connect=5.0),
            )
        except httpx.TimeoutException:
            raise TransientError(f"{NETWORK}: the token endpoint timed out") from None
        except httpx.TransportError:
            raise TransientError(f"{NETWORK}: could not reach the token endpoint") from None
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise_for_status(response, network=NETWORK)
            raise MalformedResponse(f"{NETWORK}: the token answer is not JSON") from None
        if not isinstance(data, dict):
            raise MalformedResponse(f"{NETWORK}: the token answer is not an object")
        if "error_code" in data or "error" in data:
            error = str(data.get("error") or "")[:100]
            if response.status_code >= 500:
                raise TransientError(f"{NETWORK}: token endpoint error {response.status_code}")
            if data.get("error_code") in CLIENT_ERRORS or error == "invalid_client":
                raise AuthExpired(f"{NETWORK}: the app key or secret was refused ({error})")
            raise RemoteRejected(f"{NETWORK}: the authorisation code was refused ({error})")
        raise_for_status(response, network=NETWORK)
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise MalformedResponse(f"{NETWORK}: the token answer has no access_token")
        expires_at = None
        expires_in = data.get("expires_in")
        if isinstance(expires_in, int | str) and str(expires_in).isdigit():
            expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=int(expires_in))
        extra = {"uid": str(data["uid"])} if data.get("uid") is not None else {}
        return Credentials(access_token=token, expires_at=expires_at, extra=extra)

    def refresh(self, credentials: Credentials) -> Credentials:
        raise NotSupported(
            f"{NETWORK}: web apps get no refresh token; the account owner must connect again"
        )
