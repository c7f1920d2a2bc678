"""Meta webhooks: the subscription handshake, X-Hub-Signature-256, the replay window and
the Messenger-style ``messaging[]`` events shared by Facebook Pages and Instagram.

https://developers.facebook.com/docs/graph-api/webhooks/getting-started
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from townsquare.channels.adapters.base import (
    ChangeKind,
    InboundChange,
    InboundItem,
    InvalidSignature,
    ItemKind,
    MalformedResponse,
    StaleEvent,
    WebhookHandler,
)
from townsquare.channels.adapters.meta.common import (
    as_list,
    clean_text,
    dict_at,
    epoch_to_datetime,
    str_at,
)

SIGNATURE_HEADER = "x-hub-signature-256"
# Deliveries may come a little early by the sender's clock; never much.
FUTURE_SKEW_SECONDS = 300


def header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def sign(body: bytes, app_secret: str) -> str:
    """The X-Hub-Signature-256 value Meta sends for this body (used by tests and fakes)."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class MetaWebhook(WebhookHandler):
    """Common part of the Facebook, Instagram and WhatsApp receivers.

    ``handshake`` takes the *verify token* chosen when subscribing; ``verify`` takes the
    *app secret* (Meta signs deliveries with it). They are different secrets.
    """

    expected_object: ClassVar[str]
    # True where some deliveries carry no timestamp at all (nothing is parsed from them).
    allow_missing_timestamp: ClassVar[bool] = False

    def handshake(self, query: Mapping[str, str], secret: str) -> str | None:
        if "hub.mode" not in query and "hub.challenge" not in query:
            return None
        token = query.get("hub.verify_token", "")
        if query.get("hub.mode") != "subscribe" or not secret:
            raise InvalidSignature("the subscription request is not valid")
        if not hmac.compare_digest(token.encode("utf-8"), secret.encode("utf-8")):
            raise InvalidSignature("the subscription verify token does not match")
        return query.get("hub.challenge", "")

    def verify(
        self,
        *,
        body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        secret: str,
        now: dt.datetime,
    ) -> None:
        given = header(headers, SIGNATURE_HEADER) or ""
        if not secret or not given.startswith("sha256="):
            raise InvalidSignature("the delivery carries no valid X-Hub-Signature-256")
        expected = sign(body, secret)
        if not hmac.compare_digest(given.strip().lower().encode(), expected.encode()):
            raise InvalidSignature("the X-Hub-Signature-256 does not match the body")
        try:
            payload = self.load(body)
        except MalformedResponse:
            return  # genuine but unreadable: parse() reports it
        times = [t for t in self.timestamps(payload) if t is not None]
        if not times:
            if self.allow_missing_timestamp:
                return
            raise StaleEvent("the delivery carries no timestamp to check")
        newest = max(times)
        age = (now - newest).total_seconds()
        if age > self.replay_window_seconds or -age > FUTURE_SKEW_SECONDS:
            raise StaleEvent("the delivery is outside the accepted time window")

    def load(self, body: bytes) -> dict[str, Any]:
        """The JSON envelope. Invalid UTF-8 bytes become U+FFFD rather than losing the event."""
        try:
            payload = json.loads(body.decode("utf-8", errors="replace"))
        except json.JSONDecodeError as exc:
            raise MalformedResponse("the webhook body is not valid JSON") from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
            raise MalformedResponse("the webhook body is not a Meta webhook envelope")
        if payload.get("object") != self.expected_object:
            raise MalformedResponse(f"the webhook is not for object {self.expected_object!r}")
        return payload

    def timestamps(self, payload: Mapping[str, Any]) -> list[dt.datetime | None]:
        """entry[].time and messaging[].timestamp (seconds or milliseconds)."""
        found: list[dt.datetime | None] = []
        for entry in as_list(payload.get("entry")):
            if not isinstance(entry, dict):
                continue
            found.append(epoch_to_datetime(entry.get("time")))
            found.extend(
                epoch_to_datetime(event.get("timestamp"))
                for event in as_list(entry.get("messaging"))
                if isinstance(event, dict)
            )
        return found

    def entries(self, payload: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
        return (entry for entry in as_list(payload.get("entry")) if isinstance(entry, dict))


def parse_messaging_event(
    event: Mapping[str, Any], *, account_ref: str, entry_time: dt.datetime | None
) -> InboundChange | None:
    """One Messenger / Instagram Messaging event: message, message_edit or unsend.

    Shapes: https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
    """
    sender = str_at(event, "sender", "id")
    recipient = str_at(event, "recipient", "id")
    occurred = epoch_to_datetime(event.get("timestamp")) or entry_time
    # The other party is the conversation: a reply goes to them.
    own = bool(sender) and sender == account_ref
    other = recipient if own else sender

    edit = dict_at(event, "message_edit")
    if edit:
        mid = str_at(edit, "mid")
        if not mid:
            return None
        item = _message_item(
            mid=mid,
            text=edit.get("text"),
            sender=sender,
            other=other,
            own=own,
            when=occurred,
            message=edit,
            event=event,
        )
        return InboundChange(ChangeKind.EDITED, mid, account_ref, item, occurred)

    message = dict_at(event, "message")
    mid = str_at(message, "mid")
    if not mid:
        return None  # reads, deliveries, reactions, postbacks: not citizen messages
    if message.get("is_deleted") is True:
        return InboundChange(ChangeKind.DELETED, mid, account_ref, None, occurred)
    own = own or message.get("is_echo") is True
    item = _message_item(
        mid=mid,
        text=message.get("text"),
        sender=sender,
        other=other,
        own=own,
        when=occurred,
        message=message,
        event=event,
    )
    return InboundChange(ChangeKind.CREATED, mid, account_ref, item, occurred)


def _message_item(
    *,
    mid: str,
    text: Any,
    sender: str,
    other: str,
    own: bool,
    when: dt.datetime | None,
    message: Mapping[str, Any],
    event: Mapping[str, Any],
) -> InboundItem:
    urls = tuple(
        str_at(attachment, "payload", "url")
        for attachment in as_list(message.get("attachments"))
        if isinstance(attachment, dict) and str_at(attachment, "payload", "url")
    )
    return InboundItem(
        remote_id=mid,
        kind=ItemKind.DIRECT_MESSAGE,
        text=clean_text(text),
        created_at=when or dt.datetime.fromtimestamp(0, tz=dt.UTC),
        author_id=sender,
        author_handle=sender,
        in_reply_to=str_at(message, "reply_to", "mid"),
        conversation_id=other,
        is_own=own,
        attachment_urls=urls,
        raw=dict(event),
    )
