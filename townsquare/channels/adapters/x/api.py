"""tweepy's API v2 client, pointed at a configurable host and made safe to run unattended.

``tweepy.client.BaseClient.request`` builds every URL as ``"https://api.twitter.com" +
route``, sends requests without a timeout and logs the request headers — including the
``Authorization: Bearer`` token — at DEBUG level. ``XApiClient`` overrides ``request``
(keeping tweepy's endpoint methods, parameter handling and routes) so that:

- the host is configurable (the real API by default, the local fake in tests);
- every request has a timeout;
- nothing is logged that contains a token;
- errors come out as the adapter errors (RateLimited with the delay from Retry-After or
  ``x-rate-limit-reset``, AuthExpired, TransientError, RemoteRejected, MalformedResponse);
- a multipart upload (POST /2/media/upload) goes through the same path.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import requests
import tweepy

from townsquare.channels.adapters.base import (
    AuthExpired,
    MalformedResponse,
    RateLimited,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.http import MAX_BACKOFF_SECONDS, parse_retry_after

NETWORK = "x"
DEFAULT_API_HOST = "https://api.x.com"

log = logging.getLogger(__name__)


def rate_limit_delay(headers: Any, now: dt.datetime) -> float | None:
    """Seconds to wait: Retry-After (seconds or HTTP date), else x-rate-limit-reset (epoch)."""
    retry_after = parse_retry_after(headers.get("retry-after"), now=now)
    if retry_after is not None:
        return retry_after
    reset = str(headers.get("x-rate-limit-reset") or "").strip()
    if reset.isdigit():
        return max(0.0, min(int(reset) - now.timestamp(), float(MAX_BACKOFF_SECONDS)))
    return None


def _problem(response: requests.Response) -> str:
    """A short reason from an X error body: RFC 7807 "title"/"detail", or v1.1 "errors"."""
    try:
        data = response.json()
    except ValueError:
        return response.reason or ""
    if not isinstance(data, dict):
        return ""
    for key in ("detail", "title", "error"):
        if isinstance(data.get(key), str):
            return str(data[key])[:120]
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message") or errors[0].get("title") or "")[:120]
    return ""


class XApiClient(tweepy.Client):
    """``tweepy.Client`` with an OAuth 2 user-context bearer token (pass user_auth=False)."""

    def __init__(
        self,
        bearer_token: str,
        *,
        api_host: str = DEFAULT_API_HOST,
        timeout: float = 10.0,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        super().__init__(bearer_token=bearer_token, return_type=dict)
        self.api_host = api_host.rstrip("/")
        self.timeout = timeout
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def __repr__(self) -> str:
        return f"XApiClient(api_host={self.api_host!r})"

    def request(  # tweepy's positional signature: its endpoint methods call it
        self,
        method: str,
        route: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        user_auth: bool = False,
        *,
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
    ) -> requests.Response:
        if user_auth:
            raise RemoteRejected(f"{NETWORK}: OAuth 1.0a user context is not used")
        headers = {"User-Agent": self.user_agent, "Authorization": f"Bearer {self.bearer_token}"}
        log.debug("X API request %s %s", method, route)
        try:
            response = self.session.request(
                method,
                self.api_host + route,
                params=params,
                json=json,
                files=files,
                data=data,
                headers=headers,
                timeout=self.timeout,
            )
        except requests.Timeout:
            raise TransientError(f"{NETWORK}: the request timed out") from None
        except requests.RequestException:
            raise TransientError(f"{NETWORK}: the connection failed") from None
        # JSON is UTF-8 (RFC 8259): decode it as such, invalid bytes becoming U+FFFD, rather
        # than letting requests guess another codec.
        response.encoding = "utf-8"
        self._raise_for_status(response)
        return response

    def _raise_for_status(self, response: requests.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        if status == 429:
            raise RateLimited(
                f"{NETWORK}: rate limited",
                retry_after=rate_limit_delay(response.headers, self.clock()),
            )
        if status == 401:
            raise AuthExpired(f"{NETWORK}: the access token was refused (401)")
        if status >= 500:
            raise TransientError(f"{NETWORK}: server error {status}")
        raise RemoteRejected(f"{NETWORK}: request refused ({status}): {_problem(response)}")

    def call(self, method: str, route: str, **kwargs: Any) -> dict[str, Any]:
        """A request for an endpoint tweepy has no method for; the decoded JSON object."""
        return as_object(self.request(method, route, **kwargs).json)


def as_object(decode: Callable[[], Any]) -> dict[str, Any]:
    """Run a JSON decode, turning bad JSON (or a non-object) into MalformedResponse."""
    try:
        data = decode()
    except (ValueError, UnicodeDecodeError):
        raise MalformedResponse(f"{NETWORK}: the response is not valid JSON") from None
    if not isinstance(data, dict):
        raise MalformedResponse(f"{NETWORK}: the response is not a JSON object")
    return data
