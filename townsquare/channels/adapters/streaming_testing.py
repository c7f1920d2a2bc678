"""A local fake of a streaming endpoint, for adapter and listening tests.

``testing.FakeNetwork`` answers with whole bodies; a stream needs more control: bytes
sent in chunks chosen by the test (to split lines, events and UTF-8 characters across
reads), a connection closed in the middle of an event, a chunked body cut off mid-chunk,
or heartbeats until the client hangs up. A script is a list of steps:

- ``bytes``: sent as they are (one chunk, flushed);
- ``CUT``: the connection is closed without finishing the body;
- ``HEARTBEATS``: ``:thump`` comments until the client goes away.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CUT = "cut"
HEARTBEATS = "heartbeats"
Step = bytes | str


@dataclass
class StreamScript:
    steps: list[Step]
    status: int = 200
    headers: dict[str, str] = field(
        default_factory=lambda: {"Content-Type": "text/event-stream; charset=utf-8"}
    )
    chunked: bool = True  # False: no Content-Length and no chunking, closed at the end


@dataclass
class StreamRequest:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class FakeStreamServer:
    """``with FakeStreamServer() as fake: fake.script("/api/v1/streaming/public", ...)``."""

    def __init__(self) -> None:
        self.scripts: dict[str, StreamScript | Callable[[StreamRequest], StreamScript]] = {}
        self.requests: list[StreamRequest] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, path: str,
               script: StreamScript | Callable[[StreamRequest], StreamScript]) -> None:
        self.scripts[path] = script

    def __enter__(self) -> FakeStreamServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                request = StreamRequest(parts.path, parse_qs(parts.query),
                                        {k.lower(): v for k, v in self.headers.items()})
                fake.requests.append(request)
                script = fake.scripts.get(parts.path)
                if callable(script):
                    script = script(request)
                if script is None:
                    script = StreamScript([b'{"error":"Not found"}'], status=404,
                                          headers={"Content-Type": "application/json"},
                                          chunked=False)
                try:
                    self._play(script)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client hung up, as a bounded reader does

            def _play(self, script: StreamScript) -> None:
                self.send_response(script.status)
                for name, value in script.headers.items():
                    self.send_header(name, value)
                if script.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                for step in script.steps:
                    if step == CUT:
                        if script.chunked:
                            # Announce a chunk longer than what follows, then hang up.
                            self.wfile.write(b"400\r\nevent: upd")
                            self.wfile.flush()
                        self.close_connection = True
                        return
                    if step == HEARTBEATS:
                        while True:  # until the reader hangs up (BrokenPipeError)
                            self._send(b":thump\n", chunked=script.chunked)
                            time.sleep(0.01)
                    assert isinstance(step, bytes)  # noqa: S101 - a test script mistake
                    self._send(step, chunked=script.chunked)
                if script.chunked:
                    self.wfile.write(b"0\r\n\r\n")
                self.close_connection = True

            def _send(self, data: bytes, *, chunked: bool) -> None:
                if chunked:
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                else:
                    self.wfile.write(data)
                self.wfile.flush()

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def sse(event: str, data: str, *, newline: str = "\n") -> bytes:
    """One event in the wire format (multi-line data becomes several data lines)."""
    lines = [f"event: {event}"] + [f"data: {line}" for line in data.split("\n")]
    return (newline.join(lines) + newline + newline).encode("utf-8")
