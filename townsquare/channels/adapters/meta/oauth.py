"""Facebook Login (server-side code flow), used for Facebook Pages and Instagram.

https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow
https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived

No PKCE: Facebook documents PKCE only for its OIDC flow, which is marked "in testing"
and issues identity tokens for login, not the user/Page access tokens the Graph API
needs. This is a confidential server-side client: the code is exchanged with the app
secret (sent in the POST body, never in a URL), and ``state`` protects the callback.

Facebook has no refresh tokens. A long-lived user token (about 60 days) can be traded
for a fresh one while it is still valid; Page tokens derived from a long-lived user token
do not expire. So after the exchange we keep the Page token as ``access_token`` and the
long-lived user token as ``refresh_token``; ``refresh`` re-exchanges it (rotation) and
derives the Page token again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode

from pydantic import Field

from townsquare.channels.adapters.base import (
    AuthExpired,
    Credentials,
    MalformedResponse,
    OAuthClient,
    RemoteRejected,
)
from townsquare.channels.adapters.meta.common import GraphConfig, load_config, str_at
from townsquare.channels.adapters.meta.graph import GraphClient


class MetaOAuthConfig(GraphConfig):
    app_id: str = Field(min_length=1)
    app_secret: str = Field(min_length=1, repr=False)
    dialog_base_url: str = Field(default="https://www.facebook.com", pattern=r"^https?://")
    scopes: tuple[str, ...] = ()
    # Facebook Login for Business uses a configuration id instead of a scope list.
    login_config_id: str = ""
    # Which Page (or Instagram account) to connect; empty: return the user token and let
    # the console list the Pages with list_pages().
    page_id: str = ""
    ig_user_id: str = ""


@dataclass(frozen=True)
class ConnectedPage:
    page_id: str
    name: str
    instagram_user_id: str
    credentials: Credentials


class MetaOAuth(OAuthClient):
    uses_pkce: ClassVar[bool] = False
    default_scopes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.settings = load_config(MetaOAuthConfig, config, network=str(self.network))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(app_id={self.settings.app_id!r})"

    def _graph(self, token: str = "") -> GraphClient:
        return GraphClient(
            network=str(self.network),
            base_url=self.settings.graph_base_url,
            api_version=self.settings.api_version,
            access_token=token,
            timeout_seconds=self.settings.timeout_seconds,
            app_secret=self.settings.app_secret,
        )

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        params = {
            "client_id": self.settings.app_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "response_type": "code",
        }
        if self.settings.login_config_id:
            params["config_id"] = self.settings.login_config_id
        else:
            params["scope"] = ",".join(self.settings.scopes or self.default_scopes)
        version = f"/{self.settings.api_version}" if self.settings.api_version else ""
        base = self.settings.dialog_base_url.rstrip("/")
        return f"{base}{version}/dialog/oauth?{urlencode(params)}"

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> Credentials:
        short = self._token_request({"redirect_uri": redirect_uri, "code": code})
        return self._from_short_lived(str_at(short, "access_token"))

    def refresh(self, credentials: Credentials) -> Credentials:
        user_token = credentials.refresh_token or credentials.access_token
        if not user_token:
            raise AuthExpired(f"{self.network}: nothing to refresh; reconnect the account")
        return self._from_short_lived(user_token)

    def list_pages(self, user_credentials: Credentials) -> list[ConnectedPage]:
        """The Pages the user granted, each with its own Page token (and linked Instagram)."""
        graph = self._graph(user_credentials.access_token)
        found = graph.get(
            "me/accounts",
            params={"fields": "id,name,access_token,instagram_business_account", "limit": 100},
        )
        pages: list[ConnectedPage] = []
        for page in found.get("data") or []:
            if not isinstance(page, dict) or not str_at(page, "access_token"):
                continue
            page_id = str_at(page, "id")
            ig_id = str_at(page, "instagram_business_account", "id")
            extra = {"page_id": page_id}
            if ig_id:
                extra["ig_user_id"] = ig_id
            pages.append(
                ConnectedPage(
                    page_id=page_id,
                    name=str_at(page, "name"),
                    instagram_user_id=ig_id,
                    credentials=Credentials(
                        access_token=str_at(page, "access_token"),
                        refresh_token=user_credentials.access_token,
                        expires_at=None,
                        extra={
                            **extra,
                            "user_token_expires_at": _iso(user_credentials.expires_at),
                        },
                    ),
                )
            )
        return pages

    # --- internals ---------------------------------------------------------------------

    def _token_request(self, params: dict[str, str]) -> dict[str, Any]:
        graph = self._graph()
        body = {
            "client_id": self.settings.app_id,
            "client_secret": self.settings.app_secret,
            **params,
        }
        answer = graph.request("POST", "oauth/access_token", data=body, authenticated=False)
        if not str_at(answer, "access_token"):
            raise MalformedResponse(f"{self.network}: the token response has no access_token")
        return answer

    def _from_short_lived(self, token: str) -> Credentials:
        long_lived = self._token_request(
            {"grant_type": "fb_exchange_token", "fb_exchange_token": token}
        )
        expires_in = long_lived.get("expires_in")
        expires_at = (
            dt.datetime.now(dt.UTC) + dt.timedelta(seconds=int(expires_in))
            if isinstance(expires_in, int) and not isinstance(expires_in, bool)
            else None
        )
        user = Credentials(access_token=str_at(long_lived, "access_token"), expires_at=expires_at)
        wanted_page, wanted_ig = self.settings.page_id, self.settings.ig_user_id
        if not wanted_page and not wanted_ig:
            return user
        for page in self.list_pages(user):
            if (wanted_page and page.page_id == wanted_page) or (
                wanted_ig and page.instagram_user_id == wanted_ig
            ):
                return page.credentials
        raise RemoteRejected(
            f"{self.network}: the account to connect was not among those the user granted"
        )


def _iso(moment: dt.datetime | None) -> str:
    return moment.isoformat() if moment else ""
