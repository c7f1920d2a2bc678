"""Reading IMAP FETCH responses (RFC 3501 §7.4.2) as imaplib hands them over.

imaplib returns a FETCH answer as a list of lines and ``(line, literal)`` tuples. They are
put back together into the wire form and tokenised here: parenthesised lists, quoted
strings, ``{n}`` literals, NIL and atoms. BODYSTRUCTURE is then walked into parts with
their section numbers, so the adapter can fetch the text part alone and list the
attachments by name and size without downloading them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import decode_rfc2231
from typing import Any
from urllib.parse import unquote_to_bytes

from townsquare.channels.adapters.base import MalformedResponse
from townsquare.channels.adapters.email.decoding import decode_bytes

Token = Any  # bytes (string) | str (atom) | int | None (NIL) | list[Token]

_ATOM_END = frozenset(b' ()\r\n{"')


def join_fetch_data(data: list[Any]) -> bytes:
    """imaplib's answer back into wire form (literals re-attached after their ``{n}``)."""
    out = bytearray()
    for part in data:
        if part is None:
            continue
        if isinstance(part, tuple):
            head, literal = part[0], part[1]
            out += bytes(head) + b"\r\n" + bytes(literal)
        else:
            out += bytes(part) + b" "
    return bytes(out)


class _Tokenizer:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _skip_space(self) -> None:
        while self.pos < len(self.data) and self.data[self.pos] in b" \r\n":
            self.pos += 1

    def tokens(self) -> list[Token]:
        result: list[Token] = []
        while True:
            self._skip_space()
            if self.pos >= len(self.data):
                return result
            if self.data[self.pos] == ord(")"):
                raise MalformedResponse("email: unbalanced parenthesis in an IMAP answer")
            result.append(self._token())

    def _token(self) -> Token:
        data = self.data
        char = data[self.pos]
        if char == ord("("):
            self.pos += 1
            items: list[Token] = []
            while True:
                self._skip_space()
                if self.pos >= len(data):
                    raise MalformedResponse("email: unterminated list in an IMAP answer")
                if data[self.pos] == ord(")"):
                    self.pos += 1
                    return items
                items.append(self._token())
        if char == ord('"'):
            return self._quoted()
        if char == ord("{"):
            return self._literal()
        return self._atom()

    def _quoted(self) -> bytes:
        data = self.data
        self.pos += 1
        out = bytearray()
        while self.pos < len(data):
            char = data[self.pos]
            if char == ord("\\") and self.pos + 1 < len(data):
                out.append(data[self.pos + 1])
                self.pos += 2
                continue
            self.pos += 1
            if char == ord('"'):
                return bytes(out)
            out.append(char)
        raise MalformedResponse("email: unterminated string in an IMAP answer")

    def _literal(self) -> bytes:
        data = self.data
        end = data.find(b"}", self.pos)
        digits = data[self.pos + 1 : end] if end > 0 else b""
        if not digits.isdigit():
            raise MalformedResponse("email: bad literal in an IMAP answer")
        size = int(digits)
        start = end + 1
        if data[start : start + 2] == b"\r\n":
            start += 2
        if start + size > len(data):
            raise MalformedResponse("email: truncated literal in an IMAP answer")
        self.pos = start + size
        return data[start : start + size]

    def _atom(self) -> Token:
        data = self.data
        start = self.pos
        depth = 0
        while self.pos < len(data):
            char = data[self.pos]
            if char == ord("["):
                depth += 1
            elif char == ord("]"):
                depth = max(0, depth - 1)
            elif depth == 0 and char in _ATOM_END:
                break
            self.pos += 1
        atom = data[start : self.pos].decode("ascii", errors="replace")
        if not atom:
            raise MalformedResponse("email: unexpected character in an IMAP answer")
        if atom.upper() == "NIL":
            return None
        if atom.isdigit():
            return int(atom)
        return atom


def parse_fetch(data: list[Any]) -> list[dict[str, Token]]:
    """``UID FETCH`` answers as dicts keyed by item name (``UID``, ``BODY[HEADER]``…).

    Unsolicited FETCH answers without a UID (flag updates) are skipped.
    """
    tokens = _Tokenizer(join_fetch_data(data)).tokens()
    messages: list[dict[str, Token]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if isinstance(token, list):
            items: dict[str, Token] = {}
            for i in range(0, len(token) - 1, 2):
                key = token[i]
                if isinstance(key, str):
                    # "BODY[1]<0>" → "BODY[1]" (partial fetches echo the origin).
                    items[key.upper().split("<", 1)[0]] = token[i + 1]
            if isinstance(items.get("UID"), int):
                messages.append(items)
        index += 1
    return messages


# --- BODYSTRUCTURE ------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    section: str
    mime_type: str
    params: dict[str, str]
    encoding: str
    size: int  # octets as transferred (base64 is about 78/57 of the decoded size)
    disposition: str = ""
    disposition_params: dict[str, str] = field(default_factory=dict)

    @property
    def charset(self) -> str:
        return self.params.get("charset", "")

    @property
    def filename(self) -> str:
        return self.disposition_params.get("filename") or self.params.get("name") or ""

    @property
    def decoded_size(self) -> int:
        if self.encoding == "base64":  # 76 characters and CRLF carry 57 bytes
            return self.size * 57 // 78
        return self.size


def _text(value: Token) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, str | int):
        return str(value)
    return ""


def _params(value: Token) -> dict[str, str]:
    """Parameter list → dict, with RFC 2231 (``name*``, ``name*0*``) decoded."""
    if not isinstance(value, list):
        return {}
    raw: dict[str, bytes] = {}
    for i in range(0, len(value) - 1, 2):
        key = _text(value[i]).lower()
        val = value[i + 1]
        raw[key] = val if isinstance(val, bytes) else _text(val).encode()
    result: dict[str, str] = {}
    continued: dict[str, list[tuple[int, bool, bytes]]] = {}
    for key, val in raw.items():
        name, star, rest = key.partition("*")
        if not star:
            result[name] = val.decode("utf-8", errors="replace")
            continue
        encoded = rest.endswith("*") or rest == ""
        number = rest.rstrip("*")
        index = int(number) if number.isdigit() else 0
        continued.setdefault(name, []).append((index, encoded, val))
    for name, pieces in continued.items():
        pieces.sort()
        joined = b"".join(p[2] for p in pieces)
        text = joined.decode("utf-8", errors="replace")
        if pieces[0][1]:
            charset, _lang, encoded_value = decode_rfc2231(text)
            if charset is None:  # no "charset''" prefix: percent-encoding only
                encoded_value = text
            text = decode_bytes(unquote_to_bytes(encoded_value), charset or "utf-8")
        result[name] = text
    return result


def walk_bodystructure(body: Token, section: str = "") -> list[Part]:
    """Leaf parts in order. message/rfc822 parts are leaves (attachments)."""
    if not isinstance(body, list) or not body:
        raise MalformedResponse("email: the BODYSTRUCTURE is not a list")
    if isinstance(body[0], list):  # multipart: (part)(part)… "subtype" extension…
        parts: list[Part] = []
        for number, child in enumerate(body, start=1):
            if not isinstance(child, list):
                break  # the subtype; extension data follows
            child_section = f"{section}.{number}" if section else str(number)
            parts.extend(walk_bodystructure(child, child_section))
        return parts
    if len(body) < 7:
        raise MalformedResponse("email: a BODYSTRUCTURE part is too short")
    main, sub = _text(body[0]).lower(), _text(body[1]).lower()
    size = body[6] if isinstance(body[6], int) else 0
    if main == "text":
        extension_at = 8
    elif (main, sub) == ("message", "rfc822"):
        extension_at = 10
    else:
        extension_at = 7
    disposition, disposition_params = "", {}
    if len(body) > extension_at + 1 and isinstance(body[extension_at + 1], list):
        found = body[extension_at + 1]
        disposition = _text(found[0]).lower() if found else ""
        disposition_params = _params(found[1]) if len(found) > 1 else {}
    return [
        Part(
            section=section or "1",
            mime_type=f"{main}/{sub}",
            params=_params(body[2]),
            encoding=_text(body[5]).lower() or "7bit",
            size=size,
            disposition=disposition,
            disposition_params=disposition_params,
        )
    ]
