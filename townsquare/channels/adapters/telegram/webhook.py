"""Telegram webhook deliveries (setWebhook with a secret_token).

Verification: Telegram sends the secret given to setWebhook in the
X-Telegram-Bot-Api-Secret-Token header; there is no body signature and no delivery
timestamp. Replays are refused by (1) the core's dedupe on update_id / remote id, and
(2) here: a message whose date (edit_date for edits) is outside the replay window is a
StaleEvent. Telegram retries a failed delivery for a while, so the core should answer 200
quickly and queue the work, or old retries will be refused as stale.

Deletions are not delivered by the Bot API at all: there is no DELETED change for Telegram.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Mapping
from typing import Any, ClassVar

from townsquare.channels.adapters.base import (
    InboundChange,
    InvalidSignature,
    MalformedResponse,
    Network,
    StaleEvent,
    WebhookHandler,
)
from townsquare.channels.adapters.telegram.parsing import (
    MESSAGE_FIELDS,
    message_time,
    update_to_change,
)

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name


class TelegramWebhook(WebhookHandler):
    network: ClassVar[Network] = Network.TELEGRAM

    def __init__(self, bot_username: str | None = None) -> None:
        # Without the bot's username every group message delivered counts as addressed
        # to the bot (in privacy mode Telegram only delivers those anyway).
        self.bot_username = bot_username.removeprefix("@") if bot_username else None

    def verify(
        self,
        *,
        body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        secret: str,
        now: dt.datetime,
    ) -> None:
        if not secret:
            raise InvalidSignature("telegram: no webhook secret is configured for this bot")
        received = next((v for k, v in headers.items() if k.lower() == SECRET_HEADER), None)
        if received is None or not hmac.compare_digest(
            received.encode("utf-8", errors="replace"), secret.encode("utf-8")
        ):
            raise InvalidSignature("telegram: the secret token header does not match")
        try:
            update = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return  # genuine sender, broken body: parse() reports it
        if not isinstance(update, dict):
            return
        for field_name in MESSAGE_FIELDS:
            message = update.get(field_name)
            if isinstance(message, dict):
                written = message_time(message)
                if written is not None and (
                    abs((now - written).total_seconds()) > self.replay_window_seconds
                ):
                    raise StaleEvent("telegram: the message is outside the replay window")

    def parse(self, body: bytes) -> list[InboundChange]:
        try:
            update: Any = json.loads(body)
        except json.JSONDecodeError as exc:
            raise MalformedResponse("telegram: the update is not valid JSON") from exc
        except UnicodeDecodeError:
            # json.loads refuses invalid UTF-8; keep the message with replacement chars.
            try:
                update = json.loads(body.decode("utf-8", errors="replace"))
            except json.JSONDecodeError as exc:
                raise MalformedResponse("telegram: the update is not valid JSON") from exc
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            raise MalformedResponse("telegram: the update has no update_id")
        change = update_to_change(update, bot_username=self.bot_username)
        return [change] if change is not None else []
