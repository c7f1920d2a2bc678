"""Inbound SMS pushed by a Twilio-style gateway (form-encoded POST to our webhook URL).

Signature (https://www.twilio.com/docs/usage/security#validating-requests):
``X-Twilio-Signature = base64(HMAC-SHA1(auth_token, URL + k1 + v1 + k2 + v2 …))`` where
URL is the full public URL Twilio called (with its query string) and the POST parameters
are sorted by name. ``verify`` only receives body, headers and query, so the receiving
view must add the full request URL as the pseudo-header ``X-Townsquare-Url`` (see
``URL_HEADER``); behind a proxy it must be the public ``https://`` URL Twilio used. The
``secret`` passed to ``verify`` is the account's auth token.

Replays: Twilio signs no timestamp, so a replayed delivery cannot be told apart by its
age and ``StaleEvent`` is never raised. Replays (and Twilio's own retries) are harmless
because every delivery carries its MessageSid, which becomes the item's remote id: the
core's unique constraint on (account, remote id) drops the second copy.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from typing import ClassVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from townsquare.channels.adapters.base import (
    ChangeKind,
    InboundChange,
    InboundItem,
    InvalidSignature,
    ItemKind,
    MalformedResponse,
    Network,
    WebhookHandler,
)

SIGNATURE_HEADER = "x-twilio-signature"
URL_HEADER = "x-townsquare-url"  # added by the receiving view: the full public request URL
MAX_MEDIA = 10


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def _signed_payloads(url: str, params: list[tuple[bytes, bytes]]) -> list[bytes]:
    """What Twilio may have signed: the URL as called, with and without the default port
    (Twilio's own validators try both), followed by the sorted parameters."""
    tail = b"".join(key + value for key, value in sorted(params))
    parts = urlsplit(url)
    variants = [url]
    default_port = {"https": 443, "http": 80}.get(parts.scheme)
    if parts.hostname and default_port:
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        auth = parts.netloc.rpartition("@")[0]
        prefix = f"{auth}@" if auth else ""
        if parts.port == default_port:
            variants.append(urlunsplit(parts._replace(netloc=prefix + host)))
        elif parts.port is None:
            netloc = f"{prefix}{host}:{default_port}"
            variants.append(urlunsplit(parts._replace(netloc=netloc)))
    return [v.encode("utf-8", errors="surrogateescape") + tail for v in variants]


class SmsWebhook(WebhookHandler):
    network: ClassVar[Network] = Network.SMS

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
            raise InvalidSignature("sms: no auth token is configured for this number")
        signature = _header(headers, SIGNATURE_HEADER)
        if not signature:
            raise InvalidSignature("sms: the delivery is not signed")
        url = _header(headers, URL_HEADER)
        if not url:
            raise InvalidSignature("sms: the request URL is unknown, so it cannot be verified")
        # Verify over the exact bytes Twilio sent (surrogateescape keeps invalid UTF-8).
        text = body.decode("ascii", errors="surrogateescape")
        params = [
            (k.encode("utf-8", "surrogateescape"), v.encode("utf-8", "surrogateescape"))
            for k, v in parse_qsl(
                text, keep_blank_values=True, encoding="utf-8", errors="surrogateescape"
            )
        ]
        key = secret.encode("utf-8")
        received = signature.strip().encode("ascii", errors="replace")
        for payload in _signed_payloads(url, params):
            expected = base64.b64encode(hmac.new(key, payload, hashlib.sha1).digest())
            if hmac.compare_digest(expected, received):
                return
        raise InvalidSignature("sms: the signature does not match")

    def parse(self, body: bytes) -> list[InboundChange]:
        """One inbound SMS (From, To, Body, MessageSid, NumMedia, MediaUrl0…).

        Status callbacks (MessageStatus, for messages we sent) carry no citizen text and
        give no change. Invalid UTF-8 in the body is replaced, never fatal.
        """
        text = body.decode("ascii", errors="replace")
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace")
        form: dict[str, str] = {}
        for key, value in pairs:
            form.setdefault(key, value)
        sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
        sender, receiver = form.get("From", ""), form.get("To", "")
        if not sid or not sender or not receiver:
            raise MalformedResponse("sms: the delivery lacks MessageSid, From or To")
        if "MessageStatus" in form and "Body" not in form:
            return []
        try:
            media_count = min(int(form.get("NumMedia") or 0), MAX_MEDIA)
        except ValueError:
            media_count = 0
        media = tuple(form[f"MediaUrl{i}"] for i in range(media_count) if form.get(f"MediaUrl{i}"))
        item = InboundItem(
            remote_id=sid,
            kind=ItemKind.DIRECT_MESSAGE,
            text=form.get("Body", ""),
            created_at=dt.datetime.now(dt.UTC),  # Twilio sends no time; it pushes at once
            author_id=sender,
            author_handle=sender,
            conversation_id=f"{receiver}:{sender}",
            attachment_urls=media,
            raw=dict(form),
        )
        change = InboundChange(
            kind=ChangeKind.CREATED, remote_id=sid, account_ref=receiver, item=item
        )
        return [change]
