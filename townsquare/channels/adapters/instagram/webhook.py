"""Instagram webhooks: object "instagram", fields "comments", "mentions" and messaging.

https://developers.facebook.com/docs/graph-api/webhooks/reference/instagram
https://developers.facebook.com/docs/messenger-platform/instagram/features/webhook

"mentions" carry only ids: the change holds an item with empty text and
``raw = {"media_id", "comment_id"}``; read it with InstagramAdapter.fetch_mention().
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

from townsquare.channels.adapters.base import (
    ChangeKind,
    InboundChange,
    InboundItem,
    ItemKind,
    Network,
)
from townsquare.channels.adapters.meta.common import (
    as_list,
    clean_text,
    dict_at,
    epoch_to_datetime,
    str_at,
)
from townsquare.channels.adapters.meta.webhook import MetaWebhook, parse_messaging_event

_EPOCH = dt.datetime.fromtimestamp(0, tz=dt.UTC)


class InstagramWebhook(MetaWebhook):
    network: ClassVar[Network] = Network.INSTAGRAM
    expected_object: ClassVar[str] = "instagram"
    # Older deliveries (Meta retries for hours) are refused; polling recovers comments.
    replay_window_seconds: ClassVar[int] = 3600

    def parse(self, body: bytes) -> list[InboundChange]:
        payload = self.load(body)
        changes: list[InboundChange] = []
        for entry in self.entries(payload):
            account = str_at(entry, "id")
            when = epoch_to_datetime(entry.get("time"))
            for change in as_list(entry.get("changes")):
                if not isinstance(change, dict):
                    continue
                value = dict_at(change, "value")
                field = change.get("field")
                parsed = None
                if field in ("comments", "live_comments"):
                    parsed = _comment(value, account, when)
                elif field == "mentions":
                    parsed = _mention(value, account, when)
                if parsed is not None:
                    changes.append(parsed)
            for event in as_list(entry.get("messaging")):
                if isinstance(event, dict):
                    message = parse_messaging_event(event, account_ref=account, entry_time=when)
                    if message is not None:
                        changes.append(message)
        return changes


def _comment(
    value: Mapping[str, Any], account: str, when: dt.datetime | None
) -> InboundChange | None:
    remote_id = str_at(value, "id")
    if not remote_id:
        return None
    media_id = str_at(value, "media", "id")
    parent = str_at(value, "parent_id")
    author = str_at(value, "from", "id")
    item = InboundItem(
        remote_id=remote_id,
        kind=ItemKind.REPLY if parent else ItemKind.COMMENT,
        text=clean_text(value.get("text")),
        created_at=when or _EPOCH,
        author_id=author,
        author_handle=str_at(value, "from", "username"),
        in_reply_to=parent or media_id,
        conversation_id=media_id,
        is_own=bool(author) and author == account,
        raw=dict(value),
    )
    return InboundChange(ChangeKind.CREATED, remote_id, account, item, when)


def _mention(
    value: Mapping[str, Any], account: str, when: dt.datetime | None
) -> InboundChange | None:
    media_id = str_at(value, "media_id")
    comment_id = str_at(value, "comment_id")
    remote_id = comment_id or media_id
    if not remote_id:
        return None
    item = InboundItem(
        remote_id=remote_id,
        kind=ItemKind.MENTION,
        text="",
        created_at=when or _EPOCH,
        author_id="",
        author_handle="",
        in_reply_to=media_id if comment_id else "",
        conversation_id=media_id,
        raw={"media_id": media_id, "comment_id": comment_id},
    )
    return InboundChange(ChangeKind.CREATED, remote_id, account, item, when)
