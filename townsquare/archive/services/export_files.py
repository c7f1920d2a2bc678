"""The files of an export package: JSON Lines, CSV, WARC 1.1 and thread PDFs.

records.jsonl keeps every value exactly as archived (the chain proof recomputes hashes
from it). The files people open in a spreadsheet or read (CSV, PDF) are made safe:
spreadsheet formulas cannot start a cell, and control and bidirectional-override
characters in names are removed or shown, so a name cannot reorder or hide what is
printed around it.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import unicodedata
import uuid
from typing import IO, Any

from townsquare.core.pdf import html_to_pdf

# Characters that change the direction of the text around them (Unicode bidi controls).
BIDI_CONTROLS = frozenset(
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = [
    "record_id", "organisation", "record_type", "network", "account", "author", "author_id",
    "remote_id", "url", "created_on_network", "first_captured", "versions", "deleted",
    "redacted", "restricted", "content",
]


def visible_name(value: str) -> str:
    """A name safe to print: bidi controls removed, other control characters shown.

    C0 controls become their Unicode control pictures (U+0007 → ␇); DEL and C1 controls
    become "<U+0085>"; newlines in a name are shown too, as a name is one line.
    """
    out = []
    for char in value:
        if char in BIDI_CONTROLS:
            continue
        code = ord(char)
        if code < 0x20:
            out.append(chr(0x2400 + code))
        elif code == 0x7F:
            out.append("\u2421")
        elif unicodedata.category(char) == "Cc":
            out.append(f"<U+{code:04X}>")
        else:
            out.append(char)
    return "".join(out)


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_writer(handle: IO[str]) -> Any:
    # RFC 4180: comma separated, CRLF line ends, quotes doubled inside quoted fields.
    return csv.writer(handle, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)


def csv_row(line: dict[str, Any]) -> list[str]:
    released = [v for v in line["versions"] if not v.get("withheld")]
    current = released[-1]["content"] if released else ""
    names = {"organisation", "account", "author"}
    values = {
        "record_id": line["id"],
        "organisation": line["organisation"],
        "record_type": line["record_type"],
        "network": line["network"],
        "account": line["account_handle"],
        "author": line["author"],
        "author_id": line["author_id"],
        "remote_id": line["remote_id"],
        "url": line["url"],
        "created_on_network": line["remote_created_at"] or "",
        "first_captured": line["first_captured_at"],
        "versions": len(line["versions"]),
        "deleted": "yes" if line["deleted"] else "no",
        "redacted": "yes" if line["redacted"] else "no",
        "restricted": "yes" if line["restricted"] else "no",
        "content": current,
    }
    return [safe_cell(visible_name(str(values[c])) if c in names else values[c])
            for c in CSV_COLUMNS]


# --- WARC 1.1 ------------------------------------------------------------------------
# ISO 28500:2017. Each record: "WARC/1.1" CRLF, named fields CRLF, CRLF, block, CRLF CRLF.
# Digests are "sha256:" + base32 of the digest, as WARC tools write SHA-1 ("sha1:" base32).


def warc_digest(data: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode("ascii")


def _warc_record(fields: list[tuple[str, str]], block: bytes) -> bytes:
    head = "WARC/1.1\r\n" + "".join(f"{name}: {value}\r\n" for name, value in fields)
    head += f"Content-Length: {len(block)}\r\n\r\n"
    return head.encode("utf-8") + block + b"\r\n\r\n"


def warc_id(package_id: int, name: str) -> str:
    # Stable ids: a chunk written again after a crash produces the same bytes.
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'townsquare-export:{package_id}:{name}')}>"


def warc_info(*, package_id: int, date: str, software: str, description: str) -> bytes:
    block = (f"software: {software}\r\nformat: WARC File Format 1.1\r\n"
             f"conformsTo: https://iipc.github.io/warc-specifications/specifications/"
             f"warc-format/warc-1.1/\r\ndescription: {description}\r\n").encode()
    return _warc_record([
        ("WARC-Type", "warcinfo"),
        ("WARC-Record-ID", warc_id(package_id, "warcinfo")),
        ("WARC-Date", date),
        ("WARC-Filename", "records.warc"),
        ("Content-Type", "application/warc-fields"),
        ("WARC-Block-Digest", warc_digest(block)),
    ], block)


def warc_resource(*, package_id: int, line: dict[str, Any], body: bytes) -> bytes:
    """One archived record as a ``resource`` record of its JSON (redactions applied)."""
    target = line["url"] if line["url"].startswith(("http://", "https://")) else (
        f"urn:townsquare:record:{line['id']}")
    digest = warc_digest(body)
    return _warc_record([
        ("WARC-Type", "resource"),
        ("WARC-Record-ID", warc_id(package_id, f"record:{line['id']}")),
        ("WARC-Date", warc_date(line["first_captured_at"])),
        ("WARC-Target-URI", target.replace("\r", "").replace("\n", "").replace(" ", "%20")),
        ("WARC-Warcinfo-ID", warc_id(package_id, "warcinfo")),
        ("Content-Type", "application/json"),
        ("WARC-Block-Digest", digest),
        ("WARC-Payload-Digest", digest),
    ], body)


def warc_date(text: str) -> str:
    # WARC-Date is W3C-ISO8601 in UTC; 1.1 allows fractions of a second.
    return text


# --- thread PDFs ----------------------------------------------------------------------


def text_direction(text: str) -> str:
    """"rtl" when the first strong character is right-to-left (Arabic, Hebrew)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def thread_pdf(*, lines: list[dict[str, Any]], title: str, language: str) -> bytes:
    """A readable PDF of one thread: the post, then its replies in time order.

    One WeasyPrint document per thread on purpose: laying out many threads in one pass
    and writing each one's pages (``document.copy(pages)``), or sharing a parsed style
    sheet and FontConfiguration, measured no faster; text layout, drawing and font
    subsetting are the cost, and they are per page and per PDF either way.
    """
    return html_to_pdf(thread_html(lines=lines, title=title, language=language))


def thread_html(*, lines: list[dict[str, Any]], title: str, language: str) -> str:
    """The HTML the thread PDF is made from (names cleaned, text direction per post)."""
    from django.template.loader import render_to_string
    from django.utils import translation

    posts = []
    for line in lines:
        released = [v for v in line["versions"] if not v.get("withheld")]
        content = released[-1]["content"] if released else ""
        posts.append({
            "id": line["id"],
            "author": visible_name(line["author"] or line["account_handle"]),
            "account": visible_name(line["account_handle"]),
            "created": line["remote_created_at"] or line["first_captured_at"],
            "content": content,
            "dir": text_direction(content),
            "deleted": line["deleted"], "redacted": line["redacted"],
            "withheld": not released,
            "versions": len(line["versions"]),
        })
    with translation.override(language):
        return render_to_string("archive/export/thread.html", {
            "title": visible_name(title), "posts": posts,
            "language": language, "rtl": translation.get_language_bidi(),
        })


def jsonl_bytes(line: dict[str, Any]) -> bytes:
    import json

    return json.dumps(line, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"


def csv_bytes(row: list[str]) -> bytes:
    buffer = io.StringIO()
    csv_writer(buffer).writerow(row)
    return buffer.getvalue().encode("utf-8")

