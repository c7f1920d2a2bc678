"""Decoding e-mail as it really arrives: any charset, RFC 2047 words, raw 8-bit headers,
broken base64 and bytes that are not what they claim to be. Never raises on content:
what cannot be decoded becomes U+FFFD."""

from __future__ import annotations

import binascii
import codecs
import datetime as dt
import email.utils
import re

# Labels seen in the wild → the Python codec that reads them best. GB2312 and GBK mail
# often contains characters only GB18030 (their superset) defines.
CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "gb_2312-80": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "unknown-8bit": "utf-8",
    "x-unknown": "utf-8",
    "unknown": "utf-8",
    "default": "utf-8",
    "utf8": "utf-8",
    "x-user-defined": "windows-1252",
}
_ASCII = frozenset({"ascii", "us-ascii", "ansi_x3.4-1968", "646"})
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_MSG_ID = re.compile(r"<[^<>\s]+>")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_REPLY_PREFIX = re.compile(
    r"^\s*(re|aw|sv|antw|r|رد|回复|答复)\s*(\[\d+\])?\s*[:：]", re.IGNORECASE
)


def _codec(charset: str | None) -> str:
    name = (charset or "").strip().strip('"').lower()
    name = CHARSET_ALIASES.get(name, name) or "utf-8"
    try:
        info = codecs.lookup(name)
    except LookupError:
        return "utf-8"
    if not getattr(info, "_is_text_encoding", True):
        return "utf-8"  # "base64", "rot13"… are not charsets
    return info.name


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes in a declared charset → text. Mislabelled UTF-8 is recognised; the rest is
    replaced, never fatal."""
    codec = _codec(charset)
    if codec in _ASCII or codec == "ascii":
        codec = "utf-8"  # "us-ascii" with 8-bit bytes is nearly always UTF-8
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    if codec != "utf-8":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return data.decode(codec, errors="replace")


def _word_bytes(encoding: str, payload: str) -> bytes:
    raw = payload.encode("ascii", errors="replace")
    if encoding.lower() == "q":
        return binascii.a2b_qp(raw, header=True)
    return b64decode_lenient(raw)


def b64decode_lenient(raw: bytes) -> bytes:
    """base64 with junk characters ignored, padding repaired, a dangling character dropped."""
    cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", raw)
    remainder = len(cleaned) % 4
    if remainder == 1:
        cleaned = cleaned[:-1]
    elif remainder:
        cleaned += b"=" * (4 - remainder)
    try:
        return binascii.a2b_base64(cleaned)
    except binascii.Error:
        return b""


def decode_words(value: str) -> str:
    """RFC 2047 encoded words in a header value → text. Adjacent words in one charset are
    joined before decoding (encoders split multi-byte characters across words)."""
    out: list[str] = []
    pending = bytearray()
    pending_charset = ""
    position = 0

    def flush() -> None:
        nonlocal pending_charset
        if pending:
            out.append(decode_bytes(bytes(pending), pending_charset))
            pending.clear()
        pending_charset = ""

    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        if between.strip() or not pending:
            flush()
            out.append(between)
        charset = match.group(1).split("*", 1)[0]  # RFC 2231 language suffix
        if pending and charset.lower() != pending_charset.lower():
            flush()
        pending_charset = charset
        pending += _word_bytes(match.group(2), match.group(3))
        position = match.end()
    flush()
    out.append(value[position:])
    return "".join(out)


def header_fields(raw: bytes, fallback_charset: str = "") -> list[tuple[str, str]]:
    """A header block → [(lower-case name, unfolded value as text)].

    Raw 8-bit bytes (RFC 6532 UTF-8, or legacy mail in the body's charset) are decoded as
    UTF-8, then the fallback charset, then with replacement characters.
    """
    fields: list[tuple[str, bytearray]] = []
    for raw_line in raw.split(b"\n"):
        line = raw_line.rstrip(b"\r")
        if not line:
            if fields:
                break
            continue
        if line[:1] in (b" ", b"\t"):
            if fields:
                fields[-1][1].extend(b" " + line.strip())
            continue
        field_name, colon, field_value = line.partition(b":")
        if not colon or not field_name.strip():
            continue
        fields.append(
            (
                field_name.strip().decode("ascii", errors="replace").lower(),
                bytearray(field_value.strip()),
            )
        )
    result: list[tuple[str, str]] = []
    for name, value in fields:
        try:
            text = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            text = decode_bytes(bytes(value), fallback_charset or "utf-8")
        result.append((name, text))
    return result


def single_line(text: str) -> str:
    """No control characters (they could inject headers when the value is reused)."""
    return " ".join(_CONTROL.sub(" ", text).split())


def message_ids(value: str) -> list[str]:
    return _MSG_ID.findall(value)


def parse_address(value: str) -> tuple[str, str]:
    """(display name decoded, address) of the first mailbox in a From/Reply-To value."""
    pairs = email.utils.getaddresses([value])
    for name, address in pairs:
        if "@" in address:
            return single_line(decode_words(name)), single_line(address)
    return single_line(decode_words(value)), ""


def parse_date(value: str) -> dt.datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def parse_internaldate(value: str) -> dt.datetime | None:
    """IMAP INTERNALDATE: ``"17-Jul-1996 02:44:25 -0700"``."""
    try:
        return dt.datetime.strptime(value.strip(), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None


def decode_body(data: bytes, transfer_encoding: str, charset: str) -> str:
    encoding = transfer_encoding.lower()
    if encoding == "base64":
        data = b64decode_lenient(data)
    elif encoding == "quoted-printable":
        data = binascii.a2b_qp(data)
    text = decode_bytes(data, charset)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def reply_subject(subject: str) -> str:
    subject = single_line(subject)
    if _REPLY_PREFIX.match(subject):
        return subject
    return f"Re: {subject}" if subject else "Re:"
