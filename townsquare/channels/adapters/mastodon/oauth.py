"""Connecting a Mastodon account: OAuth 2 authorisation code with PKCE (S256).

Apps are registered per server (POST /api/v1/apps), so ``client_id`` and
``client_secret`` come from the account's configuration, next to ``api_base_url``.
Mastodon.py's ``log_in`` cannot send a PKCE verifier, so the token request is a thin
httpx call. Mastodon access tokens do not expire and there are no refresh tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from townsquare.channels.adapters.base import (
    Credentials,
    MalformedResponse,
    Network,
    NotSupported,
    OAuthClient,
    TransientError,
)
from townsquare.channels.adapters.http import DEFAULT_TIMEOUT, json_body, raise_for_status
from townsquare.channels.adapters.mastodon.client import MastodonConfig, MastodonConfigError

DEFAULT_SCOPES = "read write"


class MastodonOAuthConfig(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    api_base_url: str
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    scopes: str = DEFAULT_SCOPES

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return MastodonConfig.model_validate({"api_base_url": value}).api_base_url

    def __repr__(self) -> str:  # the client secret stays out of logs
        return f"MastodonOAuthConfig(api_base_url={self.api_base_url!r})"

    __str__ = __repr__


class MastodonOAuth(OAuthClient):
    network: ClassVar[Network] = Network.MASTODON
    uses_pkce: ClassVar[bool] = True  # Mastodon 4.3+ accepts code_challenge_method=S256

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        try:
            self.settings = MastodonOAuthConfig.model_validate(dict(config))
        except ValidationError as exc:
            fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
            raise MastodonConfigError(
                f"Mastodon OAuth settings are not valid (check: {fields})"
            ) from None

    def __repr__(self) -> str:
        return f"MastodonOAuth(api_base_url={self.settings.api_base_url!r})"

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.settings.client_id,
                "redirect_uri": redirect_uri,
                "scope": self.settings.scopes,
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.settings.api_base_url}/oauth/authorize?{query}"

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> Credentials:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": code_verifier,
            "redirect_uri": redirect_uri,
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret,
            "scope": self.settings.scopes,
        }
        try:
            response = httpx.post(
                f"{self.settings.api_base_url}/oauth/token",
                data=form,
                timeout=DEFAULT_TIMEOUT,
                headers={"Accept": "application/json"},
            )
        except httpx.HTTPError:
            raise TransientError("mastodon: the token endpoint did not answer") from None
        raise_for_status(response, network="mastodon")
        data = json_body(response, network="mastodon")
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise MalformedResponse("mastodon: the token answer has no access_token")
        return Credentials(
            access_token=token,
            extra={"scope": str(data.get("scope") or ""), "token_type": "Bearer"},
        )

    def refresh(self, credentials: Credentials) -> Credentials:
        raise NotSupported("mastodon: access tokens do not expire and cannot be refreshed")
