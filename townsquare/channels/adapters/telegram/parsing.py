"""Telegram Bot API updates → InboundItem / InboundChange (shared by polling and webhook).

Message ids are unique only inside one chat, so every remote id here is
``"<chat_id>:<message_id>"``; the adapter's reply/edit/delete take the same form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from townsquare.channels.adapters.base import ChangeKind, InboundChange, InboundItem, ItemKind

# Update fields that carry a message, and whether they are an edit.
MESSAGE_FIELDS: dict[str, bool] = {
    "message": False,
    "edited_message": True,
    "channel_post": False,
    "edited_channel_post": True,
}
ALLOWED_UPDATES: tuple[str, ...] = tuple(MESSAGE_FIELDS)


def remote_id(chat_id: object, message_id: object) -> str:
    return f"{chat_id}:{message_id}"


def split_remote_id(value: str) -> tuple[str, int] | None:
    """``"-100123:45"`` → ("-100123", 45); None when ``value`` has no chat part."""
    chat, sep, message = value.rpartition(":")
    if not sep or not chat or not message.lstrip("-").isdigit():
        return None
    return chat, int(message)


def from_unix(value: object) -> dt.datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return dt.datetime.fromtimestamp(value, dt.UTC)


def message_time(message: Mapping[str, Any]) -> dt.datetime | None:
    """When this version of the message was written: edit_date for edits, else date."""
    return from_unix(message.get("edit_date")) or from_unix(message.get("date"))


def message_url(chat: Mapping[str, Any], message_id: object) -> str:
    username = chat.get("username")
    if isinstance(username, str) and username:
        return f"https://t.me/{username}/{message_id}"
    chat_id = str(chat.get("id", ""))
    if chat_id.startswith("-100"):  # private supergroup or channel
        return f"https://t.me/c/{chat_id[4:]}/{message_id}"
    return ""


def _mentions(message: Mapping[str, Any], bot_username: str | None) -> bool:
    text = message.get("text") or message.get("caption") or ""
    entities = message.get("entities") or message.get("caption_entities") or []
    for entity in entities:
        if not isinstance(entity, Mapping):
            continue
        kind = entity.get("type")
        if kind not in ("mention", "bot_command", "text_mention"):
            continue
        if bot_username is None:
            return True
        if kind == "text_mention":
            user = entity.get("user") or {}
            if str(user.get("username", "")).lower() == bot_username.lower():
                return True
            continue
        # Entity offsets count UTF-16 code units, not Python code points.
        encoded = text.encode("utf-16-le")
        start, length = int(entity.get("offset", 0)), int(entity.get("length", 0))
        word = encoded[start * 2 : (start + length) * 2].decode("utf-16-le", errors="replace")
        if word.lower().endswith("@" + bot_username.lower()):
            return True
    return False


def _is_channel_post_copy(message: Mapping[str, Any]) -> bool:
    """A channel post automatically forwarded into the channel's discussion group."""
    sender_chat = message.get("sender_chat") or {}
    return bool(message.get("is_automatic_forward")) or sender_chat.get("type") == "channel"


def _classify(
    message: Mapping[str, Any], *, channel_post: bool, bot_username: str | None
) -> tuple[ItemKind, bool, str] | None:
    """(kind, is_own, in_reply_to) or None for a message not meant for us."""
    chat = message.get("chat") or {}
    sender = message.get("from") or {}
    replied = message.get("reply_to_message") or {}
    in_reply_to = ""
    if replied:
        in_reply_to = remote_id((replied.get("chat") or chat).get("id"), replied.get("message_id"))
    if channel_post:
        # Only channels the bot administers deliver posts: they are the agency's own.
        return ItemKind.POST, True, in_reply_to
    from_our_bot = bool(sender.get("is_bot")) and (
        bot_username is None or str(sender.get("username", "")).lower() == bot_username.lower()
    )
    if chat.get("type") == "private":
        return ItemKind.DIRECT_MESSAGE, from_our_bot, in_reply_to
    if _is_channel_post_copy(message):
        return ItemKind.POST, True, in_reply_to
    if replied and _is_channel_post_copy(replied):
        # A comment in the discussion group under one of our channel posts: point at the
        # original channel post rather than at its copy in the group.
        origin = replied.get("forward_origin") or {}
        origin_chat = origin.get("chat") or replied.get("forward_from_chat") or {}
        origin_id = origin.get("message_id") or replied.get("forward_from_message_id")
        if origin_chat.get("id") is not None and origin_id is not None:
            in_reply_to = remote_id(origin_chat["id"], origin_id)
        return ItemKind.COMMENT, from_our_bot, in_reply_to
    if replied:
        replied_from = replied.get("from") or {}
        to_our_bot = bool(replied_from.get("is_bot")) and (
            bot_username is None
            or str(replied_from.get("username", "")).lower() == bot_username.lower()
        )
        if to_our_bot:
            return ItemKind.REPLY, from_our_bot, in_reply_to
    if _mentions(message, bot_username):
        return ItemKind.MENTION, from_our_bot, in_reply_to
    if from_our_bot:
        return ItemKind.POST, True, in_reply_to
    return None


def message_to_item(
    message: Mapping[str, Any], *, channel_post: bool, bot_username: str | None = None
) -> InboundItem | None:
    """One Bot API Message as an InboundItem; None for service messages or chatter
    in a group that neither mentions the bot nor replies to it."""
    chat = message.get("chat")
    message_id = message.get("message_id")
    created = from_unix(message.get("date"))
    if not isinstance(chat, Mapping) or message_id is None or created is None:
        return None
    classified = _classify(message, channel_post=channel_post, bot_username=bot_username)
    if classified is None:
        return None
    kind, is_own, in_reply_to = classified
    text = message.get("text")
    if not isinstance(text, str):
        caption = message.get("caption")
        text = caption if isinstance(caption, str) else ""
    has_media = any(k in message for k in ("photo", "video", "document", "voice", "audio"))
    if not text and not has_media:
        return None  # service message (member joined, pinned, …)
    sender = message.get("from") or message.get("sender_chat") or chat
    name = " ".join(
        str(part) for part in (sender.get("first_name"), sender.get("last_name")) if part
    ) or str(sender.get("title", ""))
    thread = message.get("message_thread_id")
    return InboundItem(
        remote_id=remote_id(chat.get("id"), message_id),
        kind=kind,
        text=text,
        created_at=created,
        author_id=str(sender.get("id", "")),
        author_handle=str(sender.get("username", "")),
        author_name=name,
        url=message_url(chat, message_id),
        in_reply_to=in_reply_to,
        conversation_id=f"{chat.get('id')}:{thread}" if thread else str(chat.get("id")),
        is_own=is_own,
        # Files are fetched with getFile, whose download URL embeds the bot token: it is
        # never exposed here; file ids stay in ``raw``.
        attachment_urls=(),
        raw=dict(message),
    )


def update_to_change(
    update: Mapping[str, Any], *, bot_username: str | None = None
) -> InboundChange | None:
    for field_name, edited in MESSAGE_FIELDS.items():
        message = update.get(field_name)
        if not isinstance(message, Mapping):
            continue
        item = message_to_item(
            message, channel_post=field_name.endswith("channel_post"), bot_username=bot_username
        )
        if item is None:
            return None
        return InboundChange(
            kind=ChangeKind.EDITED if edited else ChangeKind.CREATED,
            remote_id=item.remote_id,
            # Updates do not name the bot; the receiver knows it from the webhook URL.
            account_ref="",
            item=item,
            occurred_at=message_time(message),
        )
    return None
