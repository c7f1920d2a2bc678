"""WeChat Official Account message push (plain mode).

The server URL configured in the WeChat admin receives a GET handshake
(signature, timestamp, nonce, echostr) and then POSTed XML messages, each with the same
signature parameters in the query string: signature = sha1 of the sorted concatenation
of [token, timestamp, nonce], where token is the secret configured with the URL.
The signature does not cover the body (WeChat's design); the timestamp window and the
core's dedupe on MsgId limit replays.

Encrypted ("safe") mode is not implemented: a body carrying only <Encrypt> is refused
with MalformedResponse. Use plain mode or compatible mode (which also carries the plain
fields). Bodies are parsed with xml.etree after refusing any DOCTYPE/ENTITY declaration,
so entity-expansion ("billion laughs") and external-entity payloads never reach the
parser.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import ClassVar

from townsquare.channels.adapters.base import (
    ChangeKind,
    InboundChange,
    InboundItem,
    InvalidSignature,
    ItemKind,
    MalformedResponse,
    Network,
    StaleEvent,
    WebhookHandler,
)

MAX_BODY_BYTES = 1024 * 1024
_DECLARATION = re.compile(r"<!\s*(doctype|entity|element|attlist)", re.IGNORECASE)


def signature(token: str, timestamp: str, nonce: str) -> str:
    joined = "".join(sorted([token, timestamp, nonce])).encode("utf-8")
    return hashlib.sha1(joined).hexdigest()  # noqa: S324 - WeChat's documented scheme


def parse_xml(body: bytes) -> dict[str, str]:
    """The direct children of a WeChat <xml> message, as text. Invalid UTF-8 is replaced
    (the message is kept); DTDs, oversized or broken XML → MalformedResponse."""
    if len(body) > MAX_BODY_BYTES:
        raise MalformedResponse("wechat: the message is too large")
    text = body.decode("utf-8", errors="replace")
    if _DECLARATION.search(text) or _DECLARATION.search(body.decode("latin-1")):
        raise MalformedResponse("wechat: XML with DTD or entity declarations is refused")
    try:
        root = ET.fromstring(text)  # noqa: S314 - DTDs are refused above
    except ET.ParseError as exc:
        raise MalformedResponse("wechat: the message is not valid XML") from exc
    if root.tag != "xml":
        raise MalformedResponse("wechat: the message root is not <xml>")
    return {child.tag: child.text or "" for child in root}


class WeChatWebhook(WebhookHandler):
    network: ClassVar[Network] = Network.WECHAT

    def _check_signature(self, query: Mapping[str, str], secret: str) -> str:
        if not secret:
            raise InvalidSignature("wechat: no token is configured for this account")
        received = query.get("signature", "")
        timestamp = query.get("timestamp", "")
        nonce = query.get("nonce", "")
        if not (received and timestamp and nonce):
            raise InvalidSignature("wechat: the signature parameters are missing")
        expected = signature(secret, timestamp, nonce)
        if not hmac.compare_digest(
            received.lower().encode("utf-8", errors="replace"), expected.encode("ascii")
        ):
            raise InvalidSignature("wechat: the signature does not match")
        return timestamp

    def handshake(self, query: Mapping[str, str], secret: str) -> str | None:
        """Answer the GET check WeChat makes when the server URL is saved: echo
        ``echostr`` when the signature is right (InvalidSignature otherwise)."""
        if "echostr" not in query:
            return None
        self._check_signature(query, secret)
        return query["echostr"]

    def verify(
        self,
        *,
        body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        secret: str,
        now: dt.datetime,
    ) -> None:
        timestamp = self._check_signature(query, secret)
        if not timestamp.isdigit():
            raise InvalidSignature("wechat: the timestamp is not a number")
        sent = dt.datetime.fromtimestamp(int(timestamp), dt.UTC)
        if abs((now - sent).total_seconds()) > self.replay_window_seconds:
            raise StaleEvent("wechat: the delivery is outside the replay window")

    def parse(self, body: bytes) -> list[InboundChange]:
        fields = parse_xml(body)
        if "Encrypt" in fields and "MsgType" not in fields:
            raise MalformedResponse(
                "wechat: encrypted (safe) mode is not supported; use plain or compatible mode"
            )
        openid = fields.get("FromUserName", "")
        account = fields.get("ToUserName", "")
        msg_type = fields.get("MsgType", "")
        created = fields.get("CreateTime", "")
        if not (openid and account and msg_type and created.isdigit()):
            raise MalformedResponse("wechat: the message lacks its required fields")
        created_at = dt.datetime.fromtimestamp(int(created), dt.UTC)
        if msg_type == "event":
            # Events have no MsgId; WeChat advises deduplicating on FromUserName+CreateTime.
            local_id = f"{created}:{fields.get('Event', '')}"
        else:
            local_id = fields.get("MsgId", "")
            if not local_id:
                raise MalformedResponse("wechat: the message has no MsgId")
        # The openid is part of the id: replying (customer service message) needs it.
        remote_id = f"{openid}:{local_id}"
        pictures = (fields["PicUrl"],) if fields.get("PicUrl") else ()
        item = InboundItem(
            remote_id=remote_id,
            kind=ItemKind.DIRECT_MESSAGE,
            text=_text(msg_type, fields),
            created_at=created_at,
            author_id=openid,
            author_handle=openid,
            conversation_id=openid,
            is_own=openid == account,
            attachment_urls=pictures,
            raw=fields,
        )
        return [
            InboundChange(
                kind=ChangeKind.CREATED,
                remote_id=remote_id,
                account_ref=account,
                item=item,
                occurred_at=created_at,
            )
        ]


def _text(msg_type: str, fields: Mapping[str, str]) -> str:
    if msg_type == "text":
        return fields.get("Content", "")
    if msg_type == "voice":
        return fields.get("Recognition", "")  # speech recognition, when enabled
    if msg_type == "location":
        return fields.get("Label", "")
    if msg_type == "link":
        parts = (fields.get("Title", ""), fields.get("Description", ""), fields.get("Url", ""))
        return "\n".join(part for part in parts if part)
    return ""  # image, video, shortvideo, event: see raw / attachment_urls
