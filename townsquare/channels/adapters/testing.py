"""A local fake of a network's HTTP API, for adapter tests.

Runs a real HTTP server on 127.0.0.1 (so client libraries that bring their own HTTP
stack — Mastodon.py, tweepy, atproto — are exercised for real), routes requests to
handler functions the test registers, and records every request.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("utf-8"))


@dataclass
class FakeResponse:
    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, bytes):
            return self.body, headers
        if isinstance(self.body, str):
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            return self.body.encode("utf-8"), headers
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(self.body).encode("utf-8"), headers


Route = Callable[[FakeRequest], FakeResponse]


class FakeNetwork:
    """``with FakeNetwork() as fake: fake.route("GET", "/api/v1/x", handler)``."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.requests: list[FakeRequest] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, method: str, path: str, handler: Route | FakeResponse) -> None:
        if isinstance(handler, FakeResponse):
            fixed = handler
            self.routes[(method.upper(), path)] = lambda request: fixed
        else:
            self.routes[(method.upper(), path)] = handler

    def reset(self) -> None:
        """Forget routes and recorded requests (one server serves a whole test module)."""
        self.routes.clear()
        self.requests.clear()

    def __enter__(self) -> FakeNetwork:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _dispatch(self, request: FakeRequest) -> FakeResponse:
        self.requests.append(request)
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            # Longest matching prefix route ending in "/*" (e.g. "/api/v1/statuses/*").
            candidates = [
                (path, h)
                for (method, path), h in self.routes.items()
                if method == request.method
                and path.endswith("/*")
                and request.path.startswith(path[:-1])
            ]
            if candidates:
                handler = max(candidates, key=lambda c: len(c[0]))[1]
        if handler is None:
            return FakeResponse(
                404, {"error": f"no fake route for {request.method} {request.path}"}
            )
        return handler(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = FakeRequest(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                response = fake._dispatch(request)
                payload, headers = response.encoded()
                self.send_response(response.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up (a timeout test): nothing to answer

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


class HttpDateFromNow:
    """A Retry-After HTTP date ``seconds`` ahead of the moment the header is sent.

    Worked out when the fake answers, not when the test module is collected, so a long
    test run cannot make the date stale.
    """

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds

    def __str__(self) -> str:
        when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.seconds)
        return email.utils.format_datetime(when, usegmt=True)
