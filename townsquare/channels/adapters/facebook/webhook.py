"""Facebook Page webhooks: object "page", fields "feed" (posts and comments) and
"messages" / "message_edits" / "message_echoes" (Messenger).

https://developers.facebook.com/docs/graph-api/webhooks/reference/page/#feed
https://developers.facebook.com/docs/messenger-platform/webhooks
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
    parse_graph_time,
    str_at,
)
from townsquare.channels.adapters.meta.webhook import MetaWebhook, parse_messaging_event

VERBS = {
    "add": ChangeKind.CREATED,
    "edit": ChangeKind.EDITED,
    "edited": ChangeKind.EDITED,
    "update": ChangeKind.EDITED,
    "remove": ChangeKind.DELETED,
    "delete": ChangeKind.DELETED,
}
POST_ITEMS = frozenset({"post", "status", "photo", "video", "share"})


class FacebookWebhook(MetaWebhook):
    network: ClassVar[Network] = Network.FACEBOOK
    expected_object: ClassVar[str] = "page"
    # Meta retries failed deliveries for hours; anything older than this is refused here
    # and recovered by polling (fetch_inbound) instead.
    replay_window_seconds: ClassVar[int] = 3600

    def parse(self, body: bytes) -> list[InboundChange]:
        payload = self.load(body)
        changes: list[InboundChange] = []
        for entry in self.entries(payload):
            page_id = str_at(entry, "id")
            entry_time = epoch_to_datetime(entry.get("time"))
            for change in as_list(entry.get("changes")):
                if isinstance(change, dict) and change.get("field") == "feed":
                    parsed = _feed_change(dict_at(change, "value"), page_id, entry_time)
                    if parsed is not None:
                        changes.append(parsed)
            for event in as_list(entry.get("messaging")):
                if isinstance(event, dict):
                    message = parse_messaging_event(
                        event, account_ref=page_id, entry_time=entry_time
                    )
                    if message is not None:
                        changes.append(message)
        return changes


def _feed_change(
    value: Mapping[str, Any], page_id: str, entry_time: dt.datetime | None
) -> InboundChange | None:
    kind = VERBS.get(str_at(value, "verb"))
    item_type = str_at(value, "item")
    if kind is None or (item_type != "comment" and item_type not in POST_ITEMS):
        return None  # reactions, likes, hide/unhide, …
    post_id = str_at(value, "post_id")
    if item_type == "comment":
        remote_id = str_at(value, "comment_id")
        parent = str_at(value, "parent_id")
        item_kind = ItemKind.REPLY if parent and parent != post_id else ItemKind.COMMENT
        in_reply_to = parent or post_id
    else:
        remote_id = post_id
        item_kind = ItemKind.MENTION
        in_reply_to = ""
    if not remote_id:
        return None
    occurred = parse_graph_time(value.get("created_time")) or entry_time
    if kind is ChangeKind.DELETED:
        return InboundChange(kind, remote_id, page_id, None, occurred)
    author = str_at(value, "from", "id")
    own = bool(author) and author == page_id
    if own and item_kind is ItemKind.MENTION:
        item_kind = ItemKind.POST
    photo = str_at(value, "photo") or str_at(value, "link")
    item = InboundItem(
        remote_id=remote_id,
        kind=item_kind,
        text=clean_text(value.get("message")),
        created_at=occurred or dt.datetime.fromtimestamp(0, tz=dt.UTC),
        author_id=author,
        author_handle=author,
        author_name=str_at(value, "from", "name"),
        in_reply_to=in_reply_to,
        conversation_id=post_id,
        is_own=own,
        attachment_urls=(photo,) if photo else (),
        raw=dict(value),
    )
    return InboundChange(kind, remote_id, page_id, item, occurred)
