"""Reading a network's HTTP streaming endpoint for a bounded time: what adapters share.

Pure Python (no Django). ``SseParser`` implements the Server-Sent Events wire format as
the WHATWG HTML standard defines it (lines end in CRLF, LF or CR; ``data`` lines of one
event are joined with newlines; ``:`` starts a comment, which servers send as a
heartbeat; ``retry`` and ``id`` fields; an event is dispatched at a blank line, and an
event cut off by the end of the stream is discarded). ``StreamReport`` is how a stream
tells its caller what happened besides the items it yields: how many lines it could not
use, whether the server closed the connection early, and so on.
"""

from __future__ import annotations

import codecs
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx

from townsquare.channels.adapters.base import (
    AuthExpired,
    MalformedResponse,
    RateLimited,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.http import parse_retry_after

# A stream that sends no byte (not even a heartbeat) for this long is treated as dead.
DEFAULT_READ_TIMEOUT = 30.0
MAX_EVENT_BYTES = 1024 * 1024  # one status is a few kilobytes; more is a broken server


@dataclass
class StreamReport:
    """What happened while reading one stream (filled in as it goes)."""

    connected: bool = False
    items: int = 0  # items yielded
    deletes: int = 0  # deletion events (ids only; the archive notices deletions itself)
    heartbeats: int = 0
    skipped: int = 0  # events that were not valid JSON or not a valid item
    ignored: int = 0  # events of kinds listening has no use for
    # Why the stream ended before the time or item limit ("" when it did not).
    ended_early: str = ""
    retry_ms: int | None = None  # the server's "retry" advice, if it gave one
    problems: list[str] = field(default_factory=list)  # short notes on skipped events

    def note(self, problem: str) -> None:
        self.skipped += 1
        if len(self.problems) < 10:
            self.problems.append(problem[:200])


@dataclass(frozen=True)
class SseEvent:
    event: str
    data: str
    id: str = ""


class SseParser:
    """Incremental Server-Sent Events parser: feed text, get complete events."""

    def __init__(self) -> None:
        self._buffer = ""
        self._pending_cr = False  # the previous chunk ended in CR: a following LF is its pair
        self._event = ""
        self._data: list[str] = []
        self._size = 0
        self.last_event_id = ""
        self.retry_ms: int | None = None
        self.comments = 0
        self.oversized = 0
        self._discarding = False  # the rest of an oversized event, up to its blank line

    def feed(self, text: str) -> list[SseEvent]:
        if self._pending_cr and text.startswith("\n"):
            text = text[1:]
        self._pending_cr = False
        self._buffer += text
        events: list[SseEvent] = []
        while True:
            cut = _line_end(self._buffer)
            if cut is None:
                break
            end, width = cut
            line = self._buffer[:end]
            if width == 1 and self._buffer[end] == "\r" and end + 1 == len(self._buffer):
                self._pending_cr = True  # CRLF may be split across two chunks
            self._buffer = self._buffer[end + width:]
            event = self._line(line)
            if event is not None:
                events.append(event)
        if len(self._buffer) > MAX_EVENT_BYTES:
            self._buffer = ""
            self._oversized()
        return events

    @property
    def partial(self) -> bool:
        """True when an event was started but not finished (the stream was cut off)."""
        return bool(self._buffer or self._data or self._event or self._discarding)

    def _line(self, line: str) -> SseEvent | None:
        if line == "":
            if self._discarding:
                self._discarding = False
                self._reset()
                return None
            return self._dispatch()
        if self._discarding:
            return None
        if line.startswith(":"):
            self.comments += 1
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
            self._size += len(value)
            if self._size > MAX_EVENT_BYTES:
                self._oversized()
        elif name == "id":
            if "\x00" not in value:
                self.last_event_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry_ms = int(value)
        # Any other field name is ignored, as the standard says.
        return None

    def _dispatch(self) -> SseEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = SseEvent(event=self._event or "message", data="\n".join(self._data),
                         id=self.last_event_id)
        self._reset()
        return event

    def _oversized(self) -> None:
        self._reset()
        self.oversized += 1
        self._discarding = True

    def _reset(self) -> None:
        self._event, self._data, self._size = "", [], 0


def _line_end(text: str) -> tuple[int, int] | None:
    """Where the first line ends and how wide its end is (CRLF 2, CR or LF 1)."""
    cr, lf = text.find("\r"), text.find("\n")
    if cr == -1 and lf == -1:
        return None
    if cr != -1 and (lf == -1 or cr < lf):
        return (cr, 2) if lf == cr + 1 else (cr, 1)
    return lf, 1


def raise_for_stream_status(response: httpx.Response, *, network: str) -> None:
    """Refusals of a streaming request, before any byte of the stream is read."""
    status = response.status_code
    if status < 400:
        return
    if status == 429:
        raise RateLimited(f"{network}: the stream is rate limited (too many connections)",
                          retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status in (401, 403):
        raise AuthExpired(f"{network}: the stream refused the access token ({status})")
    if status == 404:
        raise RemoteRejected(f"{network}: the server has no such streaming endpoint (404)")
    if status >= 500:
        raise TransientError(f"{network}: the streaming server failed ({status})")
    raise RemoteRejected(f"{network}: the stream was refused ({status})")


def sse_events(
    client: httpx.Client, url: str, *, network: str, params: dict[str, str],
    headers: dict[str, str], max_seconds: float, report: StreamReport,
    monotonic: Callable[[], float] = time.monotonic,
) -> Iterator[SseEvent]:
    """Events from one SSE endpoint until ``max_seconds`` pass or the server closes.

    Errors before the stream starts (refused, unreachable) raise the adapter errors;
    a connection lost mid-stream ends the iteration and is noted in ``report``, so the
    caller keeps what it already read.
    """
    deadline = monotonic() + max_seconds
    parser = SseParser()
    try:
        with client.stream("GET", url, params=params, headers=headers) as response:
            raise_for_stream_status(response, network=network)
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind != "text/event-stream":
                raise MalformedResponse(
                    f"{network}: the streaming endpoint answered {kind or 'no content type'}, "
                    "not text/event-stream"
                )
            report.connected = True
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            for chunk in response.iter_raw():
                yield from parser.feed(decoder.decode(chunk))
                report.heartbeats = parser.comments
                report.retry_ms = parser.retry_ms
                if monotonic() >= deadline:
                    return
            report.ended_early = "closed"
    except (httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError) as exc:
        if not report.connected:
            raise TransientError(f"{network}: the stream broke before it started") from exc
        report.ended_early = "timeout" if isinstance(exc, httpx.ReadTimeout) else "dropped"
    except httpx.TimeoutException as exc:
        raise TransientError(f"{network}: the streaming server did not answer in time") from exc
    except httpx.HTTPError as exc:
        raise TransientError(f"{network}: could not reach the streaming server") from exc
    finally:
        report.heartbeats = parser.comments
        report.retry_ms = parser.retry_ms
        for _ in range(parser.oversized):
            report.note("an event larger than 1 MB was dropped")
        if report.connected and parser.partial and report.ended_early:
            report.note("the connection closed in the middle of an event")
