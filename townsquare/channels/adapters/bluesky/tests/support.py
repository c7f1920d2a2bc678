"""Shared helpers of the Bluesky adapter tests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from townsquare.channels.adapters.base import Credentials
from townsquare.channels.adapters.bluesky.client import BlueskyAdapter
from townsquare.channels.adapters.testing import FakeNetwork, FakeRequest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DID = "did:plc:transport0000000000000000"
ACCESS = "access-jwt-SECRET-1"
REFRESH = "refresh-jwt-SECRET-1"
NOW = dt.datetime(2025, 3, 4, 12, 0, tzinfo=dt.UTC)
X = "/xrpc/"


def load(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))


def make_adapter(fake: FakeNetwork, **config: Any) -> BlueskyAdapter:
    credentials = Credentials(
        access_token=ACCESS,
        refresh_token=REFRESH,
        extra={"did": DID, "handle": "transport.gov.example", "pds": fake.url},
    )
    adapter = BlueskyAdapter(
        credentials=credentials, config={"service_url": fake.url, "timeout_seconds": 2, **config}
    )
    adapter.clock = lambda: NOW
    return adapter


def calls(fake: FakeNetwork, nsid: str) -> list[FakeRequest]:
    return [r for r in fake.requests if r.path == X + nsid]


def plain(value: Any) -> Any:
    """The value without the "$type" tags the library adds to nested objects."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "$type"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        for secret in (ACCESS, REFRESH, "SECRET"):
            assert secret not in text
