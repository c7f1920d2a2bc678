"""A minimal adapter and webhook handler for testing the channels core (not a network)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, ClassVar

from townsquare.channels.adapters.base import (
    AccountProfile,
    Capabilities,
    ChangeKind,
    ChannelAdapter,
    FetchResult,
    InboundChange,
    InboundItem,
    InvalidSignature,
    ItemKind,
    MalformedResponse,
    Network,
    RateLimit,
    StaleEvent,
    TextLimit,
    WebhookHandler,
)

T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def item(
    remote_id: str, text: str = "hello", *, own: bool = False, minutes: int = 0
) -> InboundItem:
    return InboundItem(
        remote_id=remote_id,
        kind=ItemKind.MENTION,
        text=text,
        created_at=T0 + dt.timedelta(minutes=minutes),
        author_id="c1",
        author_handle="citizen",
        is_own=own,
    )


class ScriptedAdapter(ChannelAdapter):
    """Returns whatever the test put in ``script`` (results or exceptions), in order."""

    capabilities: ClassVar[Capabilities] = Capabilities(
        network=Network.MASTODON,
        text=TextLimit(500, "code_points", 23),
        media=None,
        threads=True,
        edits=True,
        deletes=True,
        private_messages=True,
        search=False,
        metrics=False,
        webhooks=False,
        reply_semantics="test",
        rate_limit=RateLimit(300, 300),
    )
    script: ClassVar[list[Any]] = []
    seen_cursors: ClassVar[list[str | None]] = []

    def fetch_profile(self) -> AccountProfile:
        return AccountProfile("1", "agency", "Agency", 10)

    def fetch_inbound(self, cursor: str | None) -> FetchResult:
        self.seen_cursors.append(cursor)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


class SignedJsonWebhook(WebhookHandler):
    """Body: {"ts": epoch, "changes": [...]}; header X-Signature: hex HMAC-SHA256."""

    network = Network.TELEGRAM

    def handshake(self, query: Mapping[str, str], secret: str) -> str | None:
        return query.get("challenge") or None

    def verify(
        self,
        *,
        body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        secret: str,
        now: dt.datetime,
    ) -> None:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-signature", "")):
            raise InvalidSignature("bad signature")
        try:
            ts = json.loads(body).get("ts", 0)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedResponse("not JSON") from exc
        if abs(now.timestamp() - ts) > self.replay_window_seconds:
            raise StaleEvent("outside the window")

    def parse(self, body: bytes) -> list[InboundChange]:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedResponse("not JSON") from exc
        return [
            InboundChange(
                kind=ChangeKind(c["kind"]),
                remote_id=c["id"],
                account_ref=c["account"],
                item=item(c["id"], c.get("text", "")) if c.get("text") is not None else None,
            )
            for c in data["changes"]
        ]


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
