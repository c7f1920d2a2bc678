"""Telegram Bot API adapter: a bot that publishes to the agency's channel and reads
messages sent to it (private chats, group mentions/replies, discussion comments).

The bot token is part of every URL (``/bot<token>/<method>``). It is added by
``_TokenTransport`` at the very last moment, so the request URL that httpx logs, puts in
exceptions, and that hooks see is ``…/bot-redacted/<method>``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from townsquare.channels.adapters.base import (
    AccountProfile,
    AuthExpired,
    Capabilities,
    ChannelAdapter,
    Credentials,
    FetchResult,
    InboundItem,
    MalformedResponse,
    MediaLimit,
    Network,
    NotSupported,
    PostMetrics,
    PostRequest,
    PublishedPost,
    RateLimit,
    RateLimited,
    RemoteRejected,
    TextLimit,
    TransientError,
)
from townsquare.channels.adapters.http import parse_retry_after, raise_for_status
from townsquare.channels.adapters.telegram.parsing import (
    ALLOWED_UPDATES,
    MESSAGE_FIELDS,
    from_unix,
    message_to_item,
    message_url,
    remote_id,
    split_remote_id,
)

NETWORK = "telegram"
TOKEN_PLACEHOLDER = "/bot-redacted/"  # noqa: S105 - a marker, not a secret
TEXT_MAX = 4096
CAPTION_MAX = 1024
MAX_MEDIA = 10
SECRET_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class TelegramConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_base_url: str = "https://api.telegram.org"
    # The agency's channel: "@publicchannel" or a numeric id such as "-1001234567890".
    chat_id: str = Field(min_length=1)
    bot_username: str = Field(min_length=1)
    timeout: float = Field(default=10.0, gt=0, le=120)
    updates_limit: int = Field(default=100, ge=1, le=100)

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("api_base_url must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("chat_id", mode="before")
    @classmethod
    def _chat_id(cls, value: object) -> str:
        text = str(value).strip()
        if not (text.startswith("@") or text.lstrip("-").isdigit()):
            raise ValueError("chat_id must be '@channelname' or a numeric chat id")
        return text

    @field_validator("bot_username")
    @classmethod
    def _username(cls, value: str) -> str:
        return value.strip().removeprefix("@")


def utf16_length(text: str) -> int:
    """Telegram measures text (and entity offsets) in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class _TokenTransport(httpx.BaseTransport):
    """Puts the bot token into the path just before the request leaves the process."""

    def __init__(self, token: str, inner: httpx.BaseTransport) -> None:
        self._segment = b"/bot" + quote(token, safe=":").encode("ascii") + b"/"
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raw_path = request.url.raw_path.replace(TOKEN_PLACEHOLDER.encode(), self._segment, 1)
        real = httpx.Request(
            request.method,
            request.url.copy_with(raw_path=raw_path),
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        return self._inner.handle_request(real)

    def close(self) -> None:
        self._inner.close()

    def __repr__(self) -> str:
        return "_TokenTransport()"


class TelegramAdapter(ChannelAdapter):
    capabilities: ClassVar[Capabilities] = Capabilities(
        network=Network.TELEGRAM,
        text=TextLimit(max_length=TEXT_MAX, counting="utf16_units"),
        media=MediaLimit(
            mime_types=("image/jpeg", "image/png", "image/webp", "video/mp4"),
            max_items=MAX_MEDIA,  # sendMediaGroup: 2–10 items
            max_image_bytes=10 * 1024 * 1024,  # sendPhoto upload limit
            max_video_bytes=50 * 1024 * 1024,  # multipart upload limit of the cloud Bot API
            alt_text_max=None,  # Telegram has no alt text
        ),
        threads=True,  # as a chain of replies inside the channel
        edits=True,
        deletes=True,  # within 48 hours for the bot's own messages in most chats
        private_messages=True,  # only with users who started the bot
        search=False,
        metrics=False,  # the Bot API exposes no view or reaction counts for channel posts
        webhooks=True,
        reply_semantics=(
            "A reply is a message in the same chat quoting the original "
            "(reply_parameters.message_id). Captions of media posts are limited to 1024."
        ),
        rate_limit=RateLimit(
            requests=20,
            per_seconds=60,
            note="At most 20 messages a minute to one channel or group, 1 a second per "
            "chat, about 30 a second overall; 429 carries parameters.retry_after.",
        ),
    )

    def __init__(self, *, credentials: Credentials, config: Mapping[str, Any]) -> None:
        super().__init__(credentials=credentials, config=config)
        try:
            self.settings = TelegramConfig.model_validate(dict(config))
        except ValidationError as exc:
            raise ValueError(f"invalid Telegram configuration: {exc}") from None
        if not credentials.access_token:
            raise ValueError("Telegram needs the bot token as the access token")
        timeout = httpx.Timeout(self.settings.timeout, connect=min(5.0, self.settings.timeout))
        self._http = httpx.Client(
            base_url=self.settings.api_base_url + TOKEN_PLACEHOLDER,
            timeout=timeout,
            transport=_TokenTransport(credentials.access_token, httpx.HTTPTransport()),
        )

    def __repr__(self) -> str:
        settings = self.settings
        return f"TelegramAdapter(chat_id={settings.chat_id!r}, bot=@{settings.bot_username})"

    def close(self) -> None:
        self._http.close()

    # --- Bot API plumbing ---------------------------------------------------------

    def _call(
        self,
        method: str,
        payload: Mapping[str, Any] | None = None,
        *,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> Any:
        try:
            if files:
                form = {
                    key: value if isinstance(value, str) else json.dumps(value)
                    for key, value in (payload or {}).items()
                }
                response = self._http.post(method, data=form, files=dict(files))
            else:
                response = self._http.post(method, json=dict(payload or {}))
        except httpx.TimeoutException:
            raise TransientError(f"{NETWORK}: {method} timed out") from None
        except httpx.TransportError:
            raise TransientError(f"{NETWORK}: could not reach the Bot API ({method})") from None
        return self._result(method, response)

    def _result(self, method: str, response: httpx.Response) -> Any:
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise_for_status(response, network=NETWORK)
            raise MalformedResponse(f"{NETWORK}: {method} answered with invalid JSON") from None
        if not isinstance(data, dict):
            raise MalformedResponse(f"{NETWORK}: {method} answered with an unexpected shape")
        if data.get("ok") is True and response.status_code < 400:
            if "result" not in data:
                raise MalformedResponse(f"{NETWORK}: {method} answered without a result")
            return data["result"]
        code = data.get("error_code")
        code = code if isinstance(code, int) else response.status_code
        description = str(data.get("description") or "")[:200]
        parameters = data.get("parameters")
        if not isinstance(parameters, dict):
            parameters = {}
        if code == 429:
            retry_after = parameters.get("retry_after")
            if isinstance(retry_after, int | float) and not isinstance(retry_after, bool):
                seconds: float | None = float(retry_after)
            else:
                seconds = parse_retry_after(response.headers.get("Retry-After"))
            raise RateLimited(f"{NETWORK}: rate limited on {method}", retry_after=seconds)
        if code == 401:
            raise AuthExpired(f"{NETWORK}: the bot token was refused (401)")
        if code == 409 and method == "getUpdates":
            raise RemoteRejected(
                f"{NETWORK}: getUpdates is unavailable while a webhook is set; "
                "receive updates through the webhook or call deleteWebhook first"
            )
        if code >= 500 or response.status_code >= 500:
            raise TransientError(f"{NETWORK}: server error {code} on {method}")
        raise RemoteRejected(f"{NETWORK}: {method} refused ({code}): {description}")

    # --- Reading ------------------------------------------------------------------

    def fetch_profile(self) -> AccountProfile:
        me = self._call("getMe")
        count = self._call("getChatMemberCount", {"chat_id": self.settings.chat_id})
        if not isinstance(me, dict) or not isinstance(count, int):
            raise MalformedResponse(f"{NETWORK}: unexpected getMe/getChatMemberCount result")
        channel = self.settings.chat_id
        return AccountProfile(
            remote_id=str(me.get("id", "")),
            handle=str(me.get("username", "")),
            display_name=str(me.get("first_name", "")),
            followers=count,
            url=f"https://t.me/{channel[1:]}" if channel.startswith("@") else "",
        )

    def fetch_inbound(self, cursor: str | None) -> FetchResult:
        """Updates since ``cursor`` (the next update_id to ask for).

        Asking with an offset confirms, and makes Telegram forget, every earlier update;
        Telegram keeps unconfirmed updates for 24 hours only. Update ids increase by one,
        so a first id above the offset means updates were lost: reported as a gap (a
        false alarm is possible after a week without updates, when ids restart at random).
        """
        offset: int | None = None
        if cursor:
            if not cursor.lstrip("-").isdigit():
                raise ValueError("a Telegram cursor is the next update_id")
            offset = int(cursor)
        payload: dict[str, Any] = {
            "timeout": 0,
            "limit": self.settings.updates_limit,
            "allowed_updates": list(ALLOWED_UPDATES),
        }
        if offset is not None:
            payload["offset"] = offset
        updates = self._call("getUpdates", payload)
        if not isinstance(updates, list):
            raise MalformedResponse(f"{NETWORK}: getUpdates did not return a list")
        items: list[InboundItem] = []
        last_id: int | None = None
        first_id: int | None = None
        for update in updates:
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                raise MalformedResponse(f"{NETWORK}: an update has no update_id")
            update_id = update["update_id"]
            first_id = update_id if first_id is None else min(first_id, update_id)
            last_id = update_id if last_id is None else max(last_id, update_id)
            for field_name in MESSAGE_FIELDS:
                message = update.get(field_name)
                if isinstance(message, dict):
                    item = message_to_item(
                        message,
                        channel_post=field_name.endswith("channel_post"),
                        bot_username=self.settings.bot_username,
                    )
                    if item is not None:
                        items.append(_with_update(item, update))
        gap = offset is not None and first_id is not None and first_id > offset
        next_cursor = str(last_id + 1) if last_id is not None else cursor
        return FetchResult(items=items, cursor=next_cursor, gap=gap)

    # --- Writing ------------------------------------------------------------------

    def publish(self, post: PostRequest) -> PublishedPost:
        """Post to the channel, or into the chat of ``in_reply_to`` as a reply.

        The Bot API has no idempotency key and no way to list a channel's history, so a
        post whose answer was lost cannot be reconciled (find_published returns None).
        """
        chat_id: str = self.settings.chat_id
        extra: dict[str, Any] = {}
        if post.in_reply_to:
            target = split_remote_id(post.in_reply_to)
            if target is None:
                if not post.in_reply_to.isdigit():
                    raise RemoteRejected(f"{NETWORK}: cannot reply to {post.in_reply_to!r}")
                message_id = int(post.in_reply_to)
            else:
                chat_id, message_id = target
            extra["reply_parameters"] = {"message_id": message_id}
        if not post.attachments:
            if not post.text.strip():
                raise RemoteRejected(f"{NETWORK}: a message needs text")
            _check_length(post.text, TEXT_MAX, "message")
            message = self._call("sendMessage", {"chat_id": chat_id, "text": post.text, **extra})
            return self._published(message)
        _check_length(post.text, CAPTION_MAX, "caption")
        if len(post.attachments) > MAX_MEDIA:
            raise RemoteRejected(f"{NETWORK}: at most {MAX_MEDIA} media per post")
        kinds = [_media_kind(a.mime_type) for a in post.attachments]
        if len(post.attachments) == 1:
            attachment = post.attachments[0]
            method = "sendPhoto" if kinds[0] == "photo" else "sendVideo"
            fields: dict[str, Any] = {"chat_id": chat_id, **extra}
            if post.text:
                fields["caption"] = post.text
            files = {kinds[0]: (attachment.filename, attachment.content, attachment.mime_type)}
            return self._published(self._call(method, fields, files=files))
        media: list[dict[str, Any]] = []
        group_files: dict[str, tuple[str, bytes, str]] = {}
        for index, (attachment, kind) in enumerate(zip(post.attachments, kinds, strict=True)):
            name = f"file{index}"
            entry: dict[str, Any] = {"type": kind, "media": f"attach://{name}"}
            if index == 0 and post.text:
                entry["caption"] = post.text  # shown as the album's caption
            media.append(entry)
            group_files[name] = (attachment.filename, attachment.content, attachment.mime_type)
        messages = self._call(
            "sendMediaGroup", {"chat_id": chat_id, "media": media, **extra}, files=group_files
        )
        if not isinstance(messages, list) or not messages:
            raise MalformedResponse(f"{NETWORK}: sendMediaGroup returned no messages")
        return self._published(messages[0])

    def edit(self, remote_id: str, text: str) -> PublishedPost:
        chat_id, message_id = self._target(remote_id)
        payload = {"chat_id": chat_id, "message_id": message_id}
        try:
            _check_length(text, TEXT_MAX, "message")
            result = self._call("editMessageText", {**payload, "text": text})
        except RemoteRejected as exc:
            if "no text in the message" not in str(exc):
                raise
            _check_length(text, CAPTION_MAX, "caption")
            result = self._call("editMessageCaption", {**payload, "caption": text})
        if result is True:  # only for inline messages; not ours, but documented
            return PublishedPost(remote_id=remote_id, url="")
        return self._published(result)

    def delete(self, remote_id: str) -> None:
        """deleteMessage; Telegram refuses (→ RemoteRejected) after 48 hours in most chats."""
        chat_id, message_id = self._target(remote_id)
        result = self._call("deleteMessage", {"chat_id": chat_id, "message_id": message_id})
        if result is not True:
            raise RemoteRejected(f"{NETWORK}: the message was not deleted")

    def fetch_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        raise NotSupported(f"{NETWORK}: the Bot API gives no metrics for channel posts")

    def set_webhook(self, url: str, secret_token: str) -> None:
        """Register our receiver; Telegram then sends ``secret_token`` in the
        X-Telegram-Bot-Api-Secret-Token header of every delivery."""
        if not url.startswith("https://"):
            raise ValueError("Telegram only delivers webhooks to https:// URLs")
        if not 1 <= len(secret_token) <= 256 or not set(secret_token) <= SECRET_TOKEN_CHARS:
            raise ValueError("secret_token must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        self._call(
            "setWebhook",
            {"url": url, "secret_token": secret_token, "allowed_updates": list(ALLOWED_UPDATES)},
        )

    def delete_webhook(self) -> None:
        """Back to polling with getUpdates (pending updates are kept)."""
        self._call("deleteWebhook", {"drop_pending_updates": False})

    # --- helpers ------------------------------------------------------------------

    def _target(self, value: str) -> tuple[str, int]:
        target = split_remote_id(value)
        if target is not None:
            return target
        if value.isdigit():
            return self.settings.chat_id, int(value)
        raise RemoteRejected(f"{NETWORK}: {value!r} is not a Telegram message id")

    def _published(self, message: Any) -> PublishedPost:
        if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
            raise MalformedResponse(f"{NETWORK}: the answer is not a Message")
        chat, message_id = message["chat"], message.get("message_id")
        if message_id is None:
            raise MalformedResponse(f"{NETWORK}: the Message has no message_id")
        return PublishedPost(
            remote_id=remote_id(chat.get("id"), message_id),
            url=message_url(chat, message_id),
            published_at=from_unix(message.get("edit_date")) or from_unix(message.get("date")),
        )


def _with_update(item: InboundItem, update: Mapping[str, Any]) -> InboundItem:
    raw = dict(item.raw)
    raw["update_id"] = update["update_id"]
    raw["edited"] = any(k.startswith("edited_") for k in update)
    return dataclasses.replace(item, raw=raw)


def _check_length(text: str, limit: int, what: str) -> None:
    if utf16_length(text) > limit:
        raise RemoteRejected(f"{NETWORK}: the {what} is longer than {limit} characters")


def _media_kind(mime_type: str) -> str:
    if mime_type.startswith("image/"):
        return "photo"
    if mime_type.startswith("video/"):
        return "video"
    raise RemoteRejected(f"{NETWORK}: {mime_type} cannot be sent as a photo or video")
