"""WhatsApp Business Cloud API webhooks: object "whatsapp_business_account".

https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples
https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components

entry[].changes[].value carries metadata.phone_number_id (the receiving account),
contacts[] (wa_id + profile.name) and messages[] (epoch-second string timestamps);
statuses[] report on messages we sent and are exposed by parse_statuses(), not parse().
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
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
from townsquare.channels.adapters.meta.webhook import MetaWebhook

_EPOCH = dt.datetime.fromtimestamp(0, tz=dt.UTC)


@dataclass(frozen=True)
class MessageStatus:
    """What happened to a message we sent: sent, delivered, read or failed."""

    message_id: str
    status: str
    recipient_id: str
    account_ref: str
    occurred_at: dt.datetime | None
    error_codes: tuple[int, ...] = ()


class WhatsAppWebhook(MetaWebhook):
    network: ClassVar[Network] = Network.WHATSAPP
    expected_object: ClassVar[str] = "whatsapp_business_account"
    # Webhooks are the only way messages arrive, and Meta retries a failed delivery for
    # up to 7 days: refusing retries after a short outage would lose citizens' messages.
    # Replays inside the window are harmless (the core de-duplicates by wamid).
    replay_window_seconds: ClassVar[int] = 24 * 3600
    # Account and template updates carry no timestamp; nothing is parsed from them.
    allow_missing_timestamp: ClassVar[bool] = True

    def timestamps(self, payload: Mapping[str, Any]) -> list[dt.datetime | None]:
        found = super().timestamps(payload)  # entry[].time, where present
        for value in self._values(payload):
            for key in ("messages", "statuses", "message_echoes"):
                found.extend(
                    epoch_to_datetime(event.get("timestamp"))
                    for event in as_list(value.get(key))
                    if isinstance(event, dict)
                )
        return found

    def parse(self, body: bytes) -> list[InboundChange]:
        payload = self.load(body)
        changes: list[InboundChange] = []
        for value in self._values(payload):
            account = str_at(value, "metadata", "phone_number_id")
            business_number = _digits(str_at(value, "metadata", "display_phone_number"))
            names = {
                str_at(contact, "wa_id"): str_at(contact, "profile", "name")
                for contact in as_list(value.get("contacts"))
                if isinstance(contact, dict)
            }
            for message in as_list(value.get("messages")):
                change = _message(message, account, names, business_number, echo=False)
                if change is not None:
                    changes.append(change)
            # Messages the business sent from the WhatsApp Business app (coexistence).
            for message in as_list(value.get("message_echoes")):
                change = _message(message, account, names, business_number, echo=True)
                if change is not None:
                    changes.append(change)
        return changes

    def parse_statuses(self, body: bytes) -> list[MessageStatus]:
        payload = self.load(body)
        statuses: list[MessageStatus] = []
        for value in self._values(payload):
            account = str_at(value, "metadata", "phone_number_id")
            for status in as_list(value.get("statuses")):
                if not isinstance(status, dict) or not str_at(status, "id"):
                    continue
                codes = tuple(
                    error["code"]
                    for error in as_list(status.get("errors"))
                    if isinstance(error, dict) and isinstance(error.get("code"), int)
                )
                statuses.append(
                    MessageStatus(
                        message_id=str_at(status, "id"),
                        status=str_at(status, "status"),
                        recipient_id=str_at(status, "recipient_id"),
                        account_ref=account,
                        occurred_at=epoch_to_datetime(status.get("timestamp")),
                        error_codes=codes,
                    )
                )
        return statuses

    def _values(self, payload: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        for entry in self.entries(payload):
            for change in as_list(entry.get("changes")):
                if isinstance(change, dict) and change.get("field") in (
                    "messages",
                    "smb_message_echoes",
                ):
                    yield dict_at(change, "value")


def _message(
    message: Any, account: str, names: Mapping[str, str], business_number: str, *, echo: bool
) -> InboundChange | None:
    if not isinstance(message, dict) or not str_at(message, "id"):
        return None
    kind = str_at(message, "type")
    if kind == "reaction":
        return None  # an emoji on an earlier message, not a message
    remote_id = str_at(message, "id")
    sender = str_at(message, "from")
    customer = str_at(message, "to") if echo else sender
    when = epoch_to_datetime(message.get("timestamp"))
    media = dict_at(message, kind) if kind else {}
    item = InboundItem(
        remote_id=remote_id,
        kind=ItemKind.DIRECT_MESSAGE,
        text=_text(message, kind),
        created_at=when or _EPOCH,
        author_id=sender,
        author_handle=sender,
        author_name=names.get(sender, ""),
        in_reply_to=str_at(message, "context", "id"),
        conversation_id=customer,
        is_own=echo or (bool(business_number) and _digits(sender) == business_number),
        # WhatsApp media come as ids: download them with GET /{media-id} (token needed).
        attachment_urls=(f"whatsapp-media:{str_at(media, 'id')}",) if str_at(media, "id") else (),
        raw=dict(message),
    )
    return InboundChange(ChangeKind.CREATED, remote_id, account, item, when)


def _text(message: Mapping[str, Any], kind: str) -> str:
    if kind == "text":
        return clean_text(str_at(message, "text", "body"))
    if kind in ("image", "video", "document"):
        return clean_text(str_at(message, kind, "caption"))
    if kind == "button":
        return clean_text(str_at(message, "button", "text"))
    if kind == "interactive":
        return clean_text(
            str_at(message, "interactive", "button_reply", "title")
            or str_at(message, "interactive", "list_reply", "title")
        )
    if kind == "location":
        parts = [str_at(message, "location", "name"), str_at(message, "location", "address")]
        return clean_text(", ".join(part for part in parts if part))
    return ""


def _digits(number: str) -> str:
    return "".join(char for char in number if char.isdigit())
