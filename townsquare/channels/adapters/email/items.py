"""One fetched message (headers + BODYSTRUCTURE) → an InboundItem."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from townsquare.channels.adapters.base import InboundItem, ItemKind
from townsquare.channels.adapters.email.decoding import (
    decode_body,
    decode_words,
    header_fields,
    message_ids,
    parse_address,
    parse_date,
    parse_internaldate,
    single_line,
)
from townsquare.channels.adapters.email.imap_parse import Part, walk_bodystructure
from townsquare.channels.adapters.rss.html_text import html_to_text

# What is fetched for every new message: never the body parts themselves.
HEADER_ITEMS = "(UID RFC822.SIZE INTERNALDATE BODYSTRUCTURE BODY.PEEK[HEADER])"

SectionFetcher = Callable[[str, int], bytes]


def _is_attachment(part: Part) -> bool:
    if part.disposition == "attachment" or part.filename:
        return True
    return part.mime_type not in {"text/plain", "text/html"}


def choose_parts(parts: list[Part]) -> tuple[Part | None, list[Part]]:
    """(the part whose text becomes the item's text, the attachments)."""
    attachments = [p for p in parts if _is_attachment(p)]
    texts = [p for p in parts if not _is_attachment(p)]
    body = next((p for p in texts if p.mime_type == "text/plain"), None)
    body = body or next((p for p in texts if p.mime_type == "text/html"), None)
    return body, attachments


def message_to_item(
    message: dict[str, Any],
    *,
    uid_validity: int,
    own_address: str,
    fetch_section: SectionFetcher,
    max_text_bytes: int,
) -> InboundItem:
    uid = int(message["UID"])
    header_bytes = message.get("BODY[HEADER]")
    structure = message.get("BODYSTRUCTURE")
    parts = walk_bodystructure(structure) if structure is not None else []
    body_part, attachments = choose_parts(parts)
    fallback_charset = body_part.charset if body_part else ""
    headers: dict[str, str] = {}
    for name, value in header_fields(
        header_bytes if isinstance(header_bytes, bytes) else b"", fallback_charset
    ):
        headers.setdefault(name, value)

    author_name, author_address = parse_address(headers.get("from", ""))
    subject = single_line(decode_words(headers.get("subject", "")))
    message_id = (message_ids(headers.get("message-id", "")) or [""])[0]
    references = message_ids(headers.get("references", ""))
    in_reply_to = (message_ids(headers.get("in-reply-to", "")) or references[-1:] or [""])[0]
    conversation = references[0] if references else in_reply_to or message_id

    text, truncated = "", False
    if body_part is not None:
        raw = fetch_section(body_part.section, body_part.size)
        truncated = body_part.size > max_text_bytes
        text = decode_body(raw, body_part.encoding, body_part.charset)
        if body_part.mime_type == "text/html":
            text = html_to_text(text)
        text = text.strip("\n")
    internal = message.get("INTERNALDATE")
    created = parse_date(headers.get("date", "")) or (
        parse_internaldate(internal.decode("ascii", "replace"))
        if isinstance(internal, bytes)
        else None
    )
    remote_id = message_id or f"imap:{uid_validity}:{uid}"
    return InboundItem(
        remote_id=remote_id,
        kind=ItemKind.DIRECT_MESSAGE,
        text=text or subject,
        created_at=created or dt.datetime.now(dt.UTC),
        author_id=author_address.lower(),
        author_handle=author_address,
        author_name=author_name,
        in_reply_to=in_reply_to,
        conversation_id=conversation,
        is_own=bool(author_address) and author_address.lower() == own_address.lower(),
        language=single_line(headers.get("content-language", "")).split(",")[0].strip(),
        raw={
            "uid": uid,
            "uid_validity": uid_validity,
            "subject": subject,
            "to": single_line(decode_words(headers.get("to", ""))),
            "cc": single_line(decode_words(headers.get("cc", ""))),
            "reply_to": parse_address(headers.get("reply-to", ""))[1],
            "size": message.get("RFC822.SIZE")
            if isinstance(message.get("RFC822.SIZE"), int)
            else 0,
            "text_truncated": truncated,
            "auto_submitted": single_line(headers.get("auto-submitted", "")),
            "attachments": [
                {
                    "filename": single_line(decode_words(part.filename)),
                    "mime_type": part.mime_type,
                    "size": part.decoded_size,
                    "section": part.section,
                }
                for part in attachments
            ],
        },
    )
