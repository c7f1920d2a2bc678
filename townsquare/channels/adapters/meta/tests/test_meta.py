"""Shared Meta code: Graph error mapping, time and text helpers, webhook signatures."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest

from townsquare.channels.adapters.base import (
    AuthExpired,
    InvalidSignature,
    RateLimited,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.meta.common import (
    clean_text,
    cursor_to_epoch,
    epoch_to_datetime,
    is_public_object_id,
    parse_graph_time,
)
from townsquare.channels.adapters.meta.graph import graph_error
from townsquare.channels.adapters.meta.webhook import header, sign


def response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.Response(status, content=content, headers=headers or {})


def error(code: int, **extra: Any) -> dict[str, Any]:
    return {"error": {"message": "m", "type": "OAuthException", "code": code, **extra}}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, error(190, error_subcode=463), AuthExpired),
        (400, error(102), AuthExpired),
        (400, error(4), RateLimited),
        (400, error(17), RateLimited),
        (400, error(32), RateLimited),
        (400, error(613), RateLimited),
        (400, error(80001), RateLimited),
        (400, error(80009), RateLimited),
        (400, error(130429), RateLimited),
        (400, error(1), TransientError),
        (400, error(99, is_transient=True), TransientError),
        (500, error(100), TransientError),
        (400, error(100, error_subcode=33), RemoteRejected),
        (400, error(131047), RemoteRejected),
        (404, b"not json", RemoteRejected),
        (401, b"", AuthExpired),
        (429, b"", RateLimited),
        (503, b"", TransientError),
    ],
)
def test_graph_error_mapping(status: int, body: Any, expected: type[Exception]) -> None:
    assert isinstance(graph_error(response(status, body), network="facebook"), expected)


def test_graph_error_is_none_on_success_and_reports_200_errors() -> None:
    assert graph_error(response(200, {"id": "1"}), network="facebook") is None
    assert isinstance(graph_error(response(200, error(190)), network="facebook"), AuthExpired)


def test_rate_limit_retry_after_sources() -> None:
    limited = graph_error(response(400, error(4), {"Retry-After": "30"}), network="facebook")
    assert isinstance(limited, RateLimited)
    assert limited.retry_after == 30.0
    usage = {"X-Business-Use-Case-Usage": "{not json"}
    limited = graph_error(response(400, error(80001), usage), network="facebook")
    assert isinstance(limited, RateLimited)
    assert limited.retry_after is None


def test_secrets_are_redacted_from_messages() -> None:
    body = {"error": {"message": "token abcdef123456 is bad", "code": 100}}
    found = graph_error(response(400, body), network="facebook", secrets=("abcdef123456",))
    assert found is not None
    assert "abcdef123456" not in str(found)


def test_times() -> None:
    assert epoch_to_datetime("1716200000") == epoch_to_datetime(1716200000000)
    assert epoch_to_datetime("soon") is None
    assert epoch_to_datetime(0) is None
    assert parse_graph_time("2024-05-20T09:00:00+0000") == dt.datetime(
        2024, 5, 20, 9, tzinfo=dt.UTC
    )
    assert parse_graph_time("2024-05-20T11:00:00+02:00") == dt.datetime(
        2024, 5, 20, 9, tzinfo=dt.UTC
    )
    assert parse_graph_time("yesterday") is None
    assert cursor_to_epoch("1716200000") == 1716200000
    assert cursor_to_epoch("garbage") is None
    assert cursor_to_epoch(None) is None


def test_text_is_kept_except_lone_surrogates() -> None:
    text = "👩‍👩‍👧‍👦 مرحبا 你好 🏳️‍🌈"
    assert clean_text(text) == text
    assert clean_text("a\ud83db") == "a\ufffdb"
    assert clean_text(None) == ""


def test_public_ids() -> None:
    assert is_public_object_id("104578965432101_880000000000002")
    assert is_public_object_id("17850000000000011")
    assert not is_public_object_id("m_AbCdEf1")
    assert not is_public_object_id("wamid.HBgL")
    assert not is_public_object_id("")


def test_signature_helpers() -> None:
    assert sign(b"{}", "s").startswith("sha256=")
    assert header({"X-Hub-Signature-256": "v"}, "x-hub-signature-256") == "v"
    assert header({}, "x-hub-signature-256") is None


def test_handshake_requires_subscribe_mode() -> None:
    from townsquare.channels.adapters.facebook.webhook import FacebookWebhook

    with pytest.raises(InvalidSignature):
        FacebookWebhook().handshake(
            {"hub.mode": "unsubscribe", "hub.verify_token": "t", "hub.challenge": "1"}, "t"
        )
    with pytest.raises(InvalidSignature):
        FacebookWebhook().handshake(
            {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}, ""
        )
