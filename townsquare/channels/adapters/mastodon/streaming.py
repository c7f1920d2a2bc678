"""Mastodon's streaming API over Server-Sent Events (plain HTTP, read with httpx).

Mastodon.py streams with its own threads and reconnect loop; a listening worker wants
the opposite: one connection, bounded in time and items, that returns control. So the
adapter reads the documented SSE endpoints itself:

- ``GET /api/v1/streaming/public`` (``/public/local``: this server's posts only)
- ``GET /api/v1/streaming/hashtag?tag=…`` (``/hashtag/local``)

Each ``update`` event carries a status as JSON, ``delete`` a status id, ``status.update``
an edited status; the server sends a ``:thump`` comment as a heartbeat. Servers may run
the streaming API on another host (the instance's ``urls.streaming``): set
``streaming_base_url`` then.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import regex

from townsquare.channels.adapters.streaming import (
    DEFAULT_READ_TIMEOUT,
    StreamReport,
    sse_events,
)

NETWORK = "mastodon"
# Mastodon hashtags: letters, marks, digits, underscore and the middle dot.
HASHTAG = regex.compile(r"[\p{L}\p{M}\p{N}_\u00b7]{1,100}")


class NotAHashtag(ValueError):
    """The topic to follow is not something Mastodon accepts as a hashtag."""


def endpoint(topic: str, *, local: bool) -> tuple[str, dict[str, str]]:
    """The streaming path and query for the public timeline or one hashtag."""
    suffix = "/local" if local else ""
    if not topic:
        return f"/api/v1/streaming/public{suffix}", {}
    tag = topic.strip().removeprefix("#")
    if not HASHTAG.fullmatch(tag):
        raise NotAHashtag(f"mastodon: {topic[:50]!r} is not a hashtag")
    return f"/api/v1/streaming/hashtag{suffix}", {"tag": tag}


def stream_statuses(
    *, base_url: str, token: str, topic: str, local: bool, max_seconds: float,
    connect_timeout: float, report: StreamReport,
    transport: httpx.BaseTransport | None = None,
) -> Iterator[dict[str, Any]]:
    """Statuses (as the server sent them) from one bounded streaming connection."""
    path, params = endpoint(topic, local=local)
    # A silent connection may hold the reader at most this long past its window.
    read = max(1.0, min(DEFAULT_READ_TIMEOUT, max_seconds))
    timeout = httpx.Timeout(read, connect=connect_timeout)
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream",
               "User-Agent": "Townsquare", "Cache-Control": "no-cache"}
    with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=3,
                      transport=transport) as client:
        for event in sse_events(client, base_url + path, network=NETWORK, params=params,
                                headers=headers, max_seconds=max_seconds, report=report):
            if event.event in ("update", "status.update"):
                status = _json(event.data, report)
                if status is not None:
                    yield status
            elif event.event == "delete":
                report.deletes += 1
            else:  # notifications, filters, announcements: not listening material
                report.ignored += 1


def _json(data: str, report: StreamReport) -> dict[str, Any] | None:
    try:
        value = json.loads(data)
    except (json.JSONDecodeError, RecursionError):
        report.note("mastodon: an update event's data is not valid JSON")
        return None
    if not isinstance(value, dict):
        report.note("mastodon: an update event's data is not a status")
        return None
    return value
