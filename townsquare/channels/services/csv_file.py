"""Reading an uploaded CSV file: encoding, delimiter, header and bounded rows."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from townsquare.core.text import normalise_name

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
REQUIRED_COLUMNS = ("network", "handle", "organisation")
OPTIONAL_COLUMNS = (
    "display_name",
    "url",
    "responsible",
    "purpose",
    "languages",
    "status",
    "listed",
)
# Written by the export for people to read; an import ignores them.
EXPORT_ONLY_COLUMNS = ("connection", "review_due")
EXPORT_COLUMNS = (
    "network",
    "handle",
    "display_name",
    "url",
    "organisation",
    "responsible",
    "purpose",
    "languages",
    "status",
    "listed",
    *EXPORT_ONLY_COLUMNS,
)
COLUMN_ALIASES = {
    "organization": "organisation",
    "agency": "organisation",
    "owner": "organisation",
    "responsible_staff": "responsible",
    "language": "languages",
    "listed_publicly": "listed",
    "name": "display_name",
    "address": "url",
}


def decode_csv(data: bytes) -> tuple[str, list[str]]:
    """The text of an uploaded file, or the reasons it cannot be read."""
    if len(data) > MAX_BYTES:
        return "", [
            _("The file is larger than %(size)s MB. Split it into smaller files.")
            % {"size": MAX_BYTES // (1024 * 1024)}
        ]
    if not data.strip():
        return "", [_("The file is empty.")]
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return "", [
            _(
                "This is a spreadsheet workbook, not a CSV file. In your spreadsheet use "
                "Save As and choose “CSV UTF-8 (comma delimited)”."
            )
        ]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text": UTF-16 with a byte order mark, usually tab-separated.
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            return "", [_("The file says it is UTF-16 but is not valid UTF-16 text.")]
    if b"\x00" in data:
        return "", [
            _(
                "The file contains NUL bytes: it is not a UTF-8 text file (perhaps UTF-16 "
                "without a byte order mark). Save it as “CSV UTF-8”."
            )
        ]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return "", [
            _(
                "The file is not UTF-8 text (the first bad byte is on line %(line)s). "
                "In your spreadsheet use Save As and choose “CSV UTF-8”."
            )
            % {"line": line}
        ]


def column_name(raw: str) -> str:
    name = normalise_name(raw).lower().replace(" ", "_").replace("-", "_")
    return COLUMN_ALIASES.get(name, name)


def pick_delimiter(first_line: str) -> str:
    known = set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS + EXPORT_ONLY_COLUMNS) | set(COLUMN_ALIASES)

    def score(delimiter: str) -> int:
        return sum(1 for cell in first_line.split(delimiter) if column_name(cell) in known)

    return max((",", ";", "\t"), key=score)


def read_rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]], list[str]]:
    """The header (column names) and the non-blank rows with their line numbers."""
    errors: list[str] = []
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=pick_delimiter(first_line))
    header: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if not header:
                if not any(cell.strip() for cell in cells):
                    continue
                header = [column_name(cell) for cell in cells]
                continue
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                errors.append(
                    _("The file has more than %(max)s rows. Split it into smaller files.")
                    % {"max": MAX_ROWS}
                )
                return header, [], errors
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        errors.append(
            _("The file is not valid CSV near line %(line)s (%(problem)s).")
            % {"line": reader.line_num, "problem": str(exc)[:100]}
        )
        return header, [], errors
    return header, rows, errors


def check_header(header: list[str]) -> tuple[list[str], list[str]]:
    """Problems with the header, and the columns an import ignores."""
    errors: list[str] = []
    if not header:
        return [_("The file has no header line naming its columns.")], []
    duplicates = sorted({name for name in header if name and header.count(name) > 1})
    if duplicates:
        errors.append(
            _("These columns appear more than once: %(columns)s.")
            % {"columns": ", ".join(duplicates)}
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        errors.append(
            _(
                "Required columns are missing: %(missing)s. The first line must name the "
                "columns, for example: %(example)s."
            )
            % {"missing": ", ".join(missing), "example": ",".join(EXPORT_COLUMNS[:10])}
        )
    known = set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS + EXPORT_ONLY_COLUMNS)
    return errors, [name for name in header if name and name not in known]
