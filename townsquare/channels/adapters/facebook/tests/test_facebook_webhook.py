"""Facebook Page webhooks: handshake, signature, replay window, parsing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from townsquare.channels.adapters.base import (
    ChangeKind,
    InvalidSignature,
    ItemKind,
    MalformedResponse,
    StaleEvent,
)
from townsquare.channels.adapters.facebook.webhook import FacebookWebhook
from townsquare.channels.adapters.meta.testing import fixture_bytes, signed_headers

HERE = Path(__file__).resolve().parent.parent
PAGE = "104578965432101"
APP_SECRET = "app-secret-4f1c2a9d"


# --- webhooks --------------------------------------------------------------------------


def at(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def verify(body: bytes, now: dt.datetime, headers: dict[str, str] | None = None) -> None:
    FacebookWebhook().verify(
        body=body,
        headers=headers if headers is not None else signed_headers(body, APP_SECRET),
        query={},
        secret=APP_SECRET,
        now=now,
    )


def test_webhook_handshake() -> None:
    handler = FacebookWebhook()
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": "verify-me",
        "hub.challenge": "1158201444",
    }
    assert handler.handshake(query, "verify-me") == "1158201444"
    with pytest.raises(InvalidSignature):
        handler.handshake({**query, "hub.verify_token": "wrong"}, "verify-me")
    assert handler.handshake({}, "verify-me") is None


def test_webhook_signature_checks() -> None:
    body = fixture_bytes(HERE, "webhook_feed_comment_add.json")
    now = at(1716200030)
    verify(body, now)  # genuine
    verify(
        body, now, {"x-hub-signature-256": signed_headers(body, APP_SECRET)["X-Hub-Signature-256"]}
    )
    with pytest.raises(InvalidSignature):
        verify(body, now, signed_headers(body, "another-secret"))
    with pytest.raises(InvalidSignature):
        verify(body + b" ", now, signed_headers(body, APP_SECRET))
    with pytest.raises(InvalidSignature):
        verify(body, now, {})


def test_webhook_replay_outside_the_window_is_stale() -> None:
    body = fixture_bytes(HERE, "webhook_feed_comment_add.json")
    with pytest.raises(StaleEvent):
        verify(body, at(1716200000 + FacebookWebhook.replay_window_seconds + 1))
    with pytest.raises(StaleEvent):
        verify(body, at(1716200000 - 3600))  # from the future
    messages = fixture_bytes(HERE, "webhook_messages.json")  # times in milliseconds
    verify(messages, at(1716200200))
    with pytest.raises(StaleEvent):
        verify(messages, at(1716200200 + 2 * 3600))


def test_webhook_comment_created_edited_deleted() -> None:
    handler = FacebookWebhook()
    [created] = handler.parse(fixture_bytes(HERE, "webhook_feed_comment_add.json"))
    [edited] = handler.parse(fixture_bytes(HERE, "webhook_feed_comment_edited.json"))
    [deleted] = handler.parse(fixture_bytes(HERE, "webhook_feed_comment_remove.json"))
    comment = "880000000000002_700000000000030"
    assert (created.kind, edited.kind, deleted.kind) == (
        ChangeKind.CREATED,
        ChangeKind.EDITED,
        ChangeKind.DELETED,
    )
    assert created.remote_id == edited.remote_id == deleted.remote_id == comment
    assert created.account_ref == PAGE
    assert created.item is not None
    assert created.item.text == "Is the 🏳️‍🌈 parade route affected?"
    assert created.item.kind is ItemKind.COMMENT
    assert created.item.is_own is False
    assert edited.item is not None
    assert edited.item.text == "Is the parade route affected? (edited)"
    assert deleted.item is None


def test_webhook_duplicate_delivery_parses_identically() -> None:
    body = fixture_bytes(HERE, "webhook_feed_comment_add.json")
    assert FacebookWebhook().parse(body) == FacebookWebhook().parse(body)


def test_webhook_own_post_echo_is_own_and_reactions_are_ignored() -> None:
    changes = FacebookWebhook().parse(fixture_bytes(HERE, "webhook_feed_own_post.json"))
    assert len(changes) == 1
    assert changes[0].item is not None
    assert changes[0].item.is_own is True
    assert changes[0].item.kind is ItemKind.POST


def test_webhook_messenger_events() -> None:
    changes = FacebookWebhook().parse(fixture_bytes(HERE, "webhook_messages.json"))
    assert [(c.kind, c.remote_id) for c in changes] == [
        (ChangeKind.CREATED, "m_AbCdEf3"),
        (ChangeKind.CREATED, "m_AbCdEf4"),
        (ChangeKind.EDITED, "m_AbCdEf3"),
    ]
    first, echo, edit = (c.item for c in changes)
    assert first is not None and echo is not None and edit is not None
    assert first.kind is ItemKind.DIRECT_MESSAGE
    assert first.conversation_id == "7012345678901234"
    assert first.attachment_urls == ("https://scontent.xx.fbcdn.net/v/receipt.jpg",)
    assert first.text == "Hi! 👋 My bus pass was charged twice"
    assert echo.is_own is True
    assert echo.conversation_id == "7012345678901234"
    assert edit.text == "Hi! My monthly bus pass was charged twice"
    [unsent] = FacebookWebhook().parse(fixture_bytes(HERE, "webhook_message_unsend.json"))
    assert (unsent.kind, unsent.remote_id, unsent.item) == (ChangeKind.DELETED, "m_AbCdEf3", None)


def test_webhook_invalid_utf8_and_malformed_bodies() -> None:
    body = fixture_bytes(HERE, "webhook_feed_comment_add.json").replace(b"parade", b"par\xffade")
    [change] = FacebookWebhook().parse(body)
    assert change.item is not None
    assert "par\ufffdade" in change.item.text
    lone = fixture_bytes(HERE, "webhook_feed_comment_add.json").replace(b"parade", b"\\ud83d")
    [change] = FacebookWebhook().parse(lone)
    assert change.item is not None
    change.item.text.encode("utf-8")  # storable
    for broken in (b"{", b"[]", b'{"object": "instagram", "entry": []}'):
        with pytest.raises(MalformedResponse):
            FacebookWebhook().parse(broken)
