"""Helpers for tests of the Meta adapters (used with adapters.testing.FakeNetwork)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from townsquare.channels.adapters.meta.webhook import sign
from townsquare.channels.adapters.testing import FakeRequest, FakeResponse, Route

API_VERSION = "v21.0"


def fixture(folder: Path, name: str) -> Any:
    return json.loads((folder / "fixtures" / name).read_text(encoding="utf-8"))


def fixture_bytes(folder: Path, name: str) -> bytes:
    return (folder / "fixtures" / name).read_bytes()


def graph_path(*parts: str) -> str:
    return "/" + "/".join((API_VERSION, *parts))


def signed_headers(body: bytes, app_secret: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, app_secret)}


def slow(response: FakeResponse, seconds: float) -> Route:
    def handler(request: FakeRequest) -> FakeResponse:
        time.sleep(seconds)
        return response

    return handler


def query_value(request: FakeRequest, name: str) -> str:
    values = request.query.get(name) or [""]
    return values[0]
