"""HTTP helpers shared by adapters: status handling, Retry-After, backoff with jitter."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import random
from typing import Any

import httpx

from townsquare.channels.adapters.base import (
    AuthExpired,
    MalformedResponse,
    RateLimited,
    RemoteRejected,
    TransientError,
)

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_BACKOFF_SECONDS = 15 * 60


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date.

    Returns None when the header is missing or unreadable (the caller then backs off
    exponentially), and never a negative number.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(min(int(value), MAX_BACKOFF_SECONDS))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, min((when - now).total_seconds(), float(MAX_BACKOFF_SECONDS)))


def backoff_delay(
    attempt: int,
    *,
    retry_after: float | None = None,
    base: float = 2.0,
    cap: float = MAX_BACKOFF_SECONDS,
    rng: random.Random | None = None,
) -> float:
    """Delay before retry ``attempt`` (1-based): honour Retry-After, else "equal jitter".

    Without Retry-After the delay is between half and all of an exponentially growing
    ceiling: spread out so workers don't return together, never close to zero so a
    failing network is not asked again at once.
    """
    rng = rng or random.SystemRandom()
    if retry_after is not None:
        # A little jitter on top so many workers told the same time don't return together.
        return retry_after + rng.uniform(0, min(5.0, retry_after * 0.1 + 1))
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def raise_for_status(response: httpx.Response, *, network: str) -> None:
    """Turn an HTTP error into the adapter error every caller understands."""
    status = response.status_code
    if status < 400:
        return
    if status == 429:
        raise RateLimited(
            f"{network}: rate limited",
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    if status == 401:
        raise AuthExpired(f"{network}: the access token was refused (401)")
    if status >= 500:
        raise TransientError(f"{network}: server error {status}")
    raise RemoteRejected(f"{network}: request refused ({status}): {_short_reason(response)}")


def json_body(response: httpx.Response, *, network: str) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedResponse(f"{network}: the response is not valid JSON") from exc


def _short_reason(response: httpx.Response) -> str:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.reason_phrase
    if isinstance(data, dict):
        for key in ("error_description", "error", "message", "detail", "description"):
            value = data.get(key)
            if isinstance(value, str):
                return value[:200]
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])[:200]
    return response.reason_phrase
