"""Connecting a Bluesky account and keeping its session alive.

Bluesky has no OAuth for third-party servers yet that the atproto library drives end to
end, so an account is connected with its handle and an *app password*: the console calls
``create_session`` once, stores the returned Credentials (access and refresh JWTs, the
account DID and its PDS) and forgets the app password. ``refresh_session`` trades the
refresh JWT for new ones; Bluesky rotates the refresh JWT on every refresh, so the
returned Credentials must replace the stored ones.

``translate_error`` maps what the atproto library raises onto the adapter errors.
"""

from __future__ import annotations

import datetime as dt
import functools
import ssl
from collections.abc import Callable
from typing import Any, TypeVar

import certifi
import httpx
from atproto import models
from atproto_client.client.raw import ClientRaw
from atproto_client.exceptions import (
    InvokeTimeoutError,
    ModelError,
    NetworkError,
    RequestErrorBase,
)
from atproto_client.models.common import XrpcError
from atproto_client.request import Request
from pydantic import ValidationError

from townsquare.channels.adapters.base import (
    AdapterError,
    AuthExpired,
    Credentials,
    MalformedResponse,
    RateLimited,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.http import MAX_BACKOFF_SECONDS, parse_retry_after

NETWORK = "bluesky"
DEFAULT_SERVICE_URL = "https://bsky.social"
# XRPC error names that mean "this token is no good" (the PDS answers 400 or 401).
TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired"})

T = TypeVar("T")
# What the atproto library (and the httpx and pydantic under it) raise for a bad exchange.
LIBRARY_ERRORS = (RequestErrorBase, ModelError, ValidationError, ValueError, httpx.HTTPError)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~0.1 s; do it once per process, not once per adapter.
    return ssl.create_default_context(cafile=certifi.where())


def make_client(service_url: str, *, timeout: float) -> ClientRaw:
    """A raw XRPC client: no automatic login or refresh, so the adapter stays in control."""
    request = Request(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)), verify=_tls_context()
    )
    return ClientRaw(service_url, request=request)


def error_name(exc: RequestErrorBase) -> str:
    content = exc.response.content if exc.response is not None else None
    if isinstance(content, XrpcError):
        return str(content.error or "")
    return ""


def is_token_error(exc: BaseException) -> bool:
    if not isinstance(exc, RequestErrorBase) or exc.response is None:
        return False
    status = exc.response.status_code
    return status == 401 or (status == 400 and error_name(exc) in TOKEN_ERRORS)


def rate_limit_delay(headers: dict[str, Any], now: dt.datetime) -> float | None:
    """Seconds until the limit resets: Retry-After if sent, else ``ratelimit-reset`` (epoch)."""
    retry_after = parse_retry_after(headers.get("retry-after"), now=now)
    if retry_after is not None:
        return retry_after
    reset = str(headers.get("ratelimit-reset") or "").strip()
    if reset.isdigit():
        seconds = int(reset) - now.timestamp()
        return max(0.0, min(seconds, float(MAX_BACKOFF_SECONDS)))
    return None


def translate_error(exc: Exception, *, now: dt.datetime) -> AdapterError:
    """The adapter error for an exception raised by the atproto library.

    Messages carry only the status and the XRPC error name, never a token or a body.
    """
    if isinstance(exc, AdapterError):
        return exc
    if isinstance(exc, InvokeTimeoutError):
        return TransientError(f"{NETWORK}: the request timed out")
    if isinstance(exc, RequestErrorBase):
        response = exc.response
        if response is None:
            return TransientError(f"{NETWORK}: the connection failed")
        status = response.status_code
        name = error_name(exc) or "no error name"
        if status == 429:
            return RateLimited(
                f"{NETWORK}: rate limited", retry_after=rate_limit_delay(response.headers, now)
            )
        if is_token_error(exc):
            return AuthExpired(f"{NETWORK}: the session was refused ({status} {name})")
        if status >= 500 or (isinstance(exc, NetworkError) and status not in (409, 413)):
            return TransientError(f"{NETWORK}: server error {status}")
        return RemoteRejected(f"{NETWORK}: request refused ({status} {name})")
    if isinstance(exc, ModelError | ValidationError | ValueError | UnicodeDecodeError):
        return MalformedResponse(f"{NETWORK}: the response is not what the API documents")
    return TransientError(f"{NETWORK}: the request failed ({type(exc).__name__})")


def call(operation: Callable[[], T], *, now: Callable[[], dt.datetime]) -> T:
    """Run one library call, turning any failure into an adapter error."""
    try:
        return operation()
    except LIBRARY_ERRORS as exc:
        raise translate_error(exc, now=now()) from None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _pds_endpoint(did_doc: Any) -> str:
    """The account's own PDS, from the DID document returned with the session."""
    if not isinstance(did_doc, dict):
        return ""
    for service in did_doc.get("service") or []:
        if isinstance(service, dict) and service.get("id") in ("#atproto_pds", "atproto_pds"):
            endpoint = service.get("serviceEndpoint")
            if isinstance(endpoint, str) and endpoint.startswith(("https://", "http://")):
                return endpoint.rstrip("/")
    return ""


def _credentials(session: Any, service_url: str) -> Credentials:
    pds = _pds_endpoint(getattr(session, "did_doc", None)) or service_url.rstrip("/")
    return Credentials(
        access_token=session.access_jwt,
        refresh_token=session.refresh_jwt,
        extra={"did": session.did, "handle": session.handle, "pds": pds},
    )


def create_session(
    *, service_url: str = DEFAULT_SERVICE_URL, identifier: str, password: str, timeout: float = 10.0
) -> Credentials:
    """Log in with a handle (or email) and an app password: com.atproto.server.createSession."""
    client = make_client(service_url, timeout=timeout)
    data = models.ComAtprotoServerCreateSession.Data(identifier=identifier, password=password)
    try:
        session = call(lambda: client.com.atproto.server.create_session(data), now=_utcnow)
    except RemoteRejected as exc:
        # A wrong handle or app password is a 401 or a 400 "AuthenticationRequired".
        raise AuthExpired(f"{NETWORK}: the handle or app password was refused") from exc
    finally:
        client.request.close()
    return _credentials(session, service_url)


def refresh_session(
    credentials: Credentials, *, service_url: str = DEFAULT_SERVICE_URL, timeout: float = 10.0
) -> Credentials:
    """New access and refresh JWTs (com.atproto.server.refreshSession); the old refresh
    JWT stops working, so the caller must store the returned Credentials."""
    if not credentials.refresh_token:
        raise AuthExpired(f"{NETWORK}: no refresh token; reconnect the account")
    base = credentials.extra.get("pds") or service_url
    client = make_client(base, timeout=timeout)
    headers = {"Authorization": f"Bearer {credentials.refresh_token}"}
    try:
        session = call(
            lambda: client.com.atproto.server.refresh_session(headers=headers), now=_utcnow
        )
    except RemoteRejected as exc:
        raise AuthExpired(f"{NETWORK}: the refresh token was refused") from exc
    finally:
        client.request.close()
    fresh = _credentials(session, base)
    return Credentials(
        access_token=fresh.access_token,
        refresh_token=fresh.refresh_token or credentials.refresh_token,
        expires_at=None,
        extra={**dict(credentials.extra), **{k: v for k, v in fresh.extra.items() if v}},
    )
