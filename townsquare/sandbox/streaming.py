"""The sandbox's streaming API: Mastodon's Server-Sent Events endpoints, so the demo has
live streaming traffic for social listening.

``/api/v1/streaming/public`` (and ``/public/local``, the same here: every sandbox post is
local) and ``/api/v1/streaming/hashtag?tag=…`` send each public status created after the
connection opened as ``event: update``, statuses deleted meanwhile as ``event: delete``,
and a ``:thump`` heartbeat. A real server keeps the connection open for days; the
sandbox closes it after ``SANDBOX_STREAM_SECONDS`` so a connection never holds a web
worker for long (clients reconnect, as SSE clients do).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import cast

import regex
from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from townsquare.sandbox import serializers
from townsquare.sandbox.api import api_view, error, sandbox_base
from townsquare.sandbox.models import SandboxStatus, Visibility

POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 10.0
MAX_PER_POLL = 100
TAG = regex.compile(r"[\p{L}\p{M}\p{N}_]{1,100}")

# Indirection so tests can run a stream's minute without waiting for it.
_clock = time.monotonic
_sleep = time.sleep


def _events(*, base: str, after_id: int, opened: object, tag: str) -> Iterator[bytes]:
    deadline = _clock() + float(settings.SANDBOX_STREAM_SECONDS)
    last_beat = _clock()
    sent_deletes: set[int] = set()
    # Mastodon sends a comment first, so clients know the stream is open.
    yield b":)\n"
    while True:
        new = (
            SandboxStatus.objects.filter(pk__gt=after_id, visibility=Visibility.PUBLIC,
                                         deleted_at__isnull=True)
            .select_related("account", "in_reply_to").order_by("pk")[:MAX_PER_POLL]
        )
        for status in new:
            after_id = status.pk
            if tag and not _has_tag(status.text, tag):
                continue
            data = json.dumps(serializers.status_json(status, base), ensure_ascii=False)
            yield f"event: update\ndata: {data}\n\n".encode()
        gone = SandboxStatus.objects.filter(deleted_at__gte=opened,
                                            visibility=Visibility.PUBLIC).exclude(
            pk__in=sent_deletes).values_list("pk", flat=True)[:MAX_PER_POLL]
        for pk in gone:
            sent_deletes.add(pk)
            yield f"event: delete\ndata: {pk}\n\n".encode()
        if _clock() - last_beat >= HEARTBEAT_SECONDS:
            last_beat = _clock()
            yield b":thump\n"
        if _clock() >= deadline:
            return
        _sleep(POLL_SECONDS)


def _has_tag(text: str, tag: str) -> bool:
    return any(found.casefold() == tag.casefold()
               for found in regex.findall(r"#([\p{L}\p{M}\p{N}_]+)", text))


def _stream(request: HttpRequest, *, tag: str = "") -> HttpResponse:
    latest = SandboxStatus.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = StreamingHttpResponse(
        _events(base=sandbox_base(request), after_id=latest, opened=timezone.now(), tag=tag),
        content_type="text/event-stream; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # a proxy in front must not hold events back
    # The API's views are typed as returning HttpResponse; Django serves either kind.
    return cast(HttpResponse, response)


@api_view("GET")
def public(request: HttpRequest) -> HttpResponse:
    return _stream(request)


@api_view("GET")
def hashtag(request: HttpRequest) -> HttpResponse:
    tag = request.GET.get("tag", "").strip().removeprefix("#")
    if not TAG.fullmatch(tag):
        return error("Validation failed: tag is missing or is not a hashtag", 422)
    return _stream(request, tag=tag)
