"""The pure stages of the ingest pipeline: decode, validate, deduplicate, enrich.

Nothing here touches the database, so each stage can be tested on its own; the
enrichment stage is in ``townsquare.ingest.enrichment``, importable without Django so
that it can run in worker processes. The stored text is always exactly what
was received: a message whose text cannot be stored faithfully (invalid UTF-8, lone
surrogates, NUL characters that PostgreSQL refuses) goes to the dead-letter table with
its raw bytes instead of being silently "repaired", because inbound messages are
public records. Odd but valid texts (only emoji, only links, direction overrides, a
language we have no model for) are stored; enrichment copes with them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from townsquare.channels.adapters.base import ItemKind
from townsquare.nlp.normalise import clean

Raw = bytes | bytearray | str | Mapping[str, Any]

_KINDS = frozenset(k.value for k in ItemKind)
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_OPTIONAL_TEXT = {
    "author_id": 200,
    "author_handle": 200,
    "author_name": 200,
    "url": 500,
    "in_reply_to": 200,
    "conversation_id": 200,
    "language": 16,
}


@dataclass(frozen=True)
class Rejected:
    """A message that cannot be stored, why, and its raw bytes."""

    reason: str  # a short code: invalid_utf8, empty_text, ...
    detail: str
    raw: bytes
    network: str = ""
    remote_id: str = ""

    def fingerprint(self, source: str) -> str:
        return hashlib.sha256(source.encode() + b"\0" + self.raw).hexdigest()


@dataclass
class Candidate:
    """A decoded, valid message, waiting for its account, enrichment and storage."""

    remote_id: str
    text: str
    kind: str
    fields: dict[str, Any]  # the other InboundItem fields (author, url, ...)
    created_at: dt.datetime | None
    raw: dict[str, Any]
    raw_bytes: bytes
    account_id: int | None = None  # given directly, or found from network + account_ref
    network: str = ""
    account_ref: str = ""
    enrichment: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def resolved_account_id(self) -> int:
        if self.account_id is None:
            raise ValueError("the account of this message has not been looked up")
        return self.account_id

    @property
    def key(self) -> tuple[str, str]:
        return (self.network, self.remote_id)


# --- decode ------------------------------------------------------------------------
def raw_bytes(raw: Raw) -> bytes:
    """The bytes to keep for a raw message (ASCII-escaped JSON for a mapping, so that
    even lone surrogates survive unchanged)."""
    if isinstance(raw, bytes | bytearray):
        return bytes(raw)
    if isinstance(raw, str):
        return raw.encode("utf-8", errors="surrogatepass")
    return json.dumps(raw, ensure_ascii=True, default=str, sort_keys=True).encode("ascii")


def _unstorable(value: Any) -> str | None:
    """The reason a decoded value cannot be stored as text, or None."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        if found is None:
            return None
        return "nul_character" if found.group() == "\x00" else "lone_surrogate"
    if isinstance(value, Mapping):
        for key, item in value.items():
            reason = _unstorable(key) or _unstorable(item)
            if reason:
                return reason
    elif isinstance(value, list):
        for item in value:
            reason = _unstorable(item)
            if reason:
                return reason
    return None


_DETAILS = {
    "nul_character": "the message contains a NUL character, which cannot be stored as text",
    "lone_surrogate": "the message contains a lone UTF-16 surrogate (broken encoding)",
}


def decode(raw: Raw) -> dict[str, Any] | Rejected:
    """One raw message as a JSON object, or why it is not one."""
    kept = raw_bytes(raw)
    if isinstance(raw, Mapping):
        message: Any = dict(raw)
    else:
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        except UnicodeDecodeError as exc:
            return Rejected("invalid_utf8", f"not valid UTF-8 at byte {exc.start}", kept)
        try:
            message = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            return Rejected("malformed_json", f"not valid JSON: {exc}"[:300], kept)
        except UnicodeEncodeError:
            return Rejected("lone_surrogate", _DETAILS["lone_surrogate"], kept)
    if not isinstance(message, dict):
        return Rejected("not_an_object", "a message must be a JSON object", kept)
    reason = _unstorable(message)
    if reason:
        return Rejected(reason, _DETAILS[reason], kept, *_ids(message))
    return message


def _ids(message: Mapping[str, Any]) -> tuple[str, str]:
    """Network and remote id for a dead letter, as far as they can be read."""
    network = message.get("network")
    remote_id = message.get("remote_id")
    return (
        network[:20] if isinstance(network, str) else "",
        str(remote_id)[:200] if isinstance(remote_id, str | int) else "",
    )


# --- validate ----------------------------------------------------------------------
class _Invalid(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def validate(message: dict[str, Any], raw: bytes, *, max_chars: int) -> Candidate | Rejected:
    """Check one decoded message's fields; the account is looked up later."""
    try:
        return _candidate(message, raw, max_chars)
    except _Invalid as exc:
        return Rejected(exc.reason, exc.detail, raw, *_ids(message))


def _candidate(message: dict[str, Any], raw: bytes, max_chars: int) -> Candidate:
    remote_id = message.get("remote_id")
    if isinstance(remote_id, bool) or not isinstance(remote_id, str | int) or remote_id == "":
        raise _Invalid("missing_remote_id", "remote_id (the item's id on its network) is required")
    remote_id = str(remote_id)
    if len(remote_id) > 200:
        raise _Invalid("bad_field", "remote_id is longer than 200 characters")
    account_id, network, account_ref = _account(message)
    text = _text(message.get("text", ""), max_chars)
    kind = message.get("kind", ItemKind.POST.value)
    if kind not in _KINDS:
        raise _Invalid("bad_field", f"kind must be one of {', '.join(sorted(_KINDS))}")
    created_at = _datetime(message.get("created_at"))
    return Candidate(
        remote_id=remote_id,
        text=text,
        kind=kind,
        fields=_optional_fields(message),
        created_at=created_at,
        raw=message,
        raw_bytes=raw,
        account_id=account_id,
        network=network,
        account_ref=account_ref,
    )


def _account(message: dict[str, Any]) -> tuple[int | None, str, str]:
    account_id = message.get("account_id")
    network = message.get("network", "")
    account_ref = message.get("account_ref", "")
    if account_id is not None and (isinstance(account_id, bool) or not isinstance(account_id, int)):
        raise _Invalid("bad_field", "account_id must be an integer")
    if not isinstance(network, str) or not isinstance(account_ref, str | int):
        raise _Invalid("bad_field", "network and account_ref must be strings")
    if account_id is None and not (network and account_ref != ""):
        raise _Invalid("missing_account", "give account_id, or network and account_ref")
    return account_id, network, str(account_ref)


def _text(text: Any, max_chars: int) -> str:
    if not isinstance(text, str):
        raise _Invalid("bad_field", "text must be a string")
    if len(text) > max_chars:
        raise _Invalid("text_too_long", f"text has {len(text)} characters (limit {max_chars})")
    if not clean(text).strip():
        raise _Invalid("empty_text", "the text is empty (or only invisible characters)")
    return text


def _optional_fields(message: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, limit in _OPTIONAL_TEXT.items():
        value = message.get(name, "")
        if value is None:
            value = ""
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise _Invalid("bad_field", f"{name} must be a string")
        fields[name] = value[:limit]
    is_own = message.get("is_own", False)
    if not isinstance(is_own, bool):
        raise _Invalid("bad_field", "is_own must be true or false")
    fields["is_own"] = is_own
    return fields


def _datetime(value: Any) -> dt.datetime | None:
    """A timezone-aware datetime, or None when absent."""
    if value in (None, ""):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError, TypeError):
        raise _Invalid("bad_field", "created_at must be an ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def decode_and_validate(raws: Iterable[Raw], *, max_chars: int) -> list[Candidate | Rejected]:
    out: list[Candidate | Rejected] = []
    for raw in raws:
        message = decode(raw)
        if isinstance(message, Rejected):
            out.append(message)
        else:
            out.append(validate(message, raw_bytes(raw), max_chars=max_chars))
    return out


# --- deduplicate -------------------------------------------------------------------
def dedupe(candidates: list[Candidate]) -> tuple[list[Candidate], int]:
    """The first of each (network, remote id) in the batch, and how many repeats."""
    seen: set[tuple[str, str]] = set()
    unique: list[Candidate] = []
    for candidate in candidates:
        if candidate.key in seen:
            continue
        seen.add(candidate.key)
        unique.append(candidate)
    return unique, len(candidates) - len(unique)


# --- batching ----------------------------------------------------------------------
def chunks(items: Iterable[Raw], size: int) -> Iterator[list[Raw]]:
    """Lists of at most ``size`` items, pulled lazily (memory stays bounded)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def pack(raws: list[Raw]) -> list[str]:
    """Raw messages as a JSON-safe list (base64 of their bytes), for a batch's payload."""
    return [base64.b64encode(raw_bytes(raw)).decode("ascii") for raw in raws]


def unpack(payload: list[str]) -> list[bytes]:
    return [base64.b64decode(item) for item in payload]
