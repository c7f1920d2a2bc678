"""A thin Graph API client over httpx, and the mapping of Graph errors to adapter errors.

The access token travels in the Authorization header (never in a URL, so httpx's
request log lines cannot leak it), and is scrubbed from any text the network echoes back.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import ssl
from collections.abc import Mapping
from typing import Any

import httpx

from townsquare.channels.adapters.base import (
    AdapterError,
    AuthExpired,
    MalformedResponse,
    RateLimited,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.http import json_body, parse_retry_after, raise_for_status

# https://developers.facebook.com/docs/graph-api/guides/error-handling
AUTH_CODES = frozenset({102, 190})
RATE_LIMIT_CODES = frozenset(
    {4, 17, 32, 613}  # app, user, page and custom rate limits
    | set(range(80001, 80015))  # business use case rate limits (pages, instagram, …)
    | {130429, 131048, 131056}  # WhatsApp: throughput, spam rate limit, pair rate limit
)
TRANSIENT_CODES = frozenset({1, 2, 131000, 131016, 9007})
# Refusals that deserve a clear sentence for the person who pressed "send".
REASONS: dict[tuple[int, int | None], str] = {
    (131047, None): (
        "more than 24 hours have passed since the customer last wrote; outside the "
        "customer service window WhatsApp only delivers approved template messages"
    ),
    (10, 2018278): (
        "the person last wrote more than 24 hours ago; Messenger does not allow a "
        "standard reply outside that window"
    ),
    (551, None): "this person is not available to receive messages right now",
    (131026, None): "the message could not be delivered to this WhatsApp number",
    (131051, None): "WhatsApp does not support this message type",
    (10903, None): "this comment can no longer be replied to privately",
}


def graph_error(
    response: httpx.Response, *, network: str, secrets: tuple[str, ...] = ()
) -> AdapterError | None:
    """The adapter error for a Graph response, or None when it succeeded."""
    data: Any = None
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        if response.status_code < 400:
            return None
        try:
            raise_for_status(response, network=network)
        except AdapterError as exc:
            return _scrubbed(exc, secrets)
        return None  # pragma: no cover - raise_for_status raises for >= 400

    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    message = _redact(str(error.get("message") or ""), secrets)[:300]
    label = f"Graph error {code}" + (f"/{subcode}" if subcode else "")
    if code in AUTH_CODES or response.status_code == 401:
        return AuthExpired(f"{network}: the access token was refused ({label})")
    if code in RATE_LIMIT_CODES or response.status_code == 429:
        return RateLimited(f"{network}: rate limited ({label})", retry_after=_retry_after(response))
    if error.get("is_transient") is True or code in TRANSIENT_CODES or response.status_code >= 500:
        return TransientError(f"{network}: temporary failure ({label})")
    reason = REASONS.get((code or 0, subcode)) or REASONS.get((code or 0, None))
    if reason:
        return RemoteRejected(f"{network}: {reason} ({label})")
    return RemoteRejected(f"{network}: request refused ({label}): {message}")


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After when present; else Meta's own estimate in X-Business-Use-Case-Usage."""
    header = response.headers.get("Retry-After")
    if header is not None:
        return parse_retry_after(header)
    usage = response.headers.get("X-Business-Use-Case-Usage")
    if not usage:
        return None
    try:
        parsed = json.loads(usage)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    minutes = [
        entry.get("estimated_time_to_regain_access")
        for entries in (parsed.values() if isinstance(parsed, dict) else [])
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
    numbers = [m for m in minutes if isinstance(m, int | float) and not isinstance(m, bool)]
    return float(max(numbers)) * 60 if numbers and max(numbers) > 0 else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "[redacted]")
    return text


def _scrubbed(exc: AdapterError, secrets: tuple[str, ...]) -> AdapterError:
    text = str(exc)
    clean = _redact(text, secrets)
    if clean == text:
        return exc
    if isinstance(exc, RateLimited):
        return RateLimited(clean, retry_after=exc.retry_after)
    return type(exc)(clean)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Built once: creating a context per request costs about 100 ms."""
    return ssl.create_default_context()


class GraphClient:
    """Calls one Graph API host with one token. Every failure becomes an adapter error."""

    def __init__(
        self,
        *,
        network: str,
        base_url: str,
        api_version: str,
        access_token: str,
        timeout_seconds: float,
        app_secret: str = "",
    ) -> None:
        self.network = network
        self._root = base_url.rstrip("/") + (f"/{api_version}" if api_version else "")
        self._token = access_token
        self._app_secret = app_secret
        self._timeout = httpx.Timeout(timeout_seconds, connect=min(5.0, timeout_seconds))

    def __repr__(self) -> str:
        return f"GraphClient(network={self.network!r}, root={self._root!r})"

    def url(self, path: str) -> str:
        return f"{self._root}/{path.lstrip('/')}"

    def get(self, path: str, *, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.request("GET", path, params=params)

    def post(
        self,
        path: str,
        *,
        data: Mapping[str, Any] | None = None,
        json_data: Any = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        return self.request("POST", path, data=data, json_data=json_data, files=files)

    def delete(self, path: str) -> dict[str, Any]:
        return self.request("DELETE", path)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        json_data: Any = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        authenticated: bool = True,
    ) -> dict[str, Any]:
        query = dict(params or {})
        headers: dict[str, str] = {}
        if authenticated:
            if not self._token:
                raise AuthExpired(f"{self.network}: no access token is stored for this account")
            headers["Authorization"] = f"Bearer {self._token}"
            if self._app_secret:
                query["appsecret_proof"] = hmac.new(
                    self._app_secret.encode(), self._token.encode(), hashlib.sha256
                ).hexdigest()
        try:
            with httpx.Client(
                timeout=self._timeout, follow_redirects=False, verify=_ssl_context()
            ) as client:
                response = client.request(
                    method,
                    self.url(path),
                    params=query or None,
                    data=dict(data) if data is not None else None,
                    json=json_data,
                    files=dict(files) if files else None,
                    headers=headers,
                )
        except httpx.TimeoutException:
            raise TransientError(f"{self.network}: the request timed out") from None
        except httpx.TransportError as exc:
            raise TransientError(
                f"{self.network}: could not reach the network ({type(exc).__name__})"
            ) from None
        secrets = (self._token, self._app_secret)
        error = graph_error(response, network=self.network, secrets=secrets)
        if error is not None:
            raise error
        body = json_body(response, network=self.network)
        if not isinstance(body, dict):
            raise MalformedResponse(f"{self.network}: the response is not a JSON object")
        return body
