"""CSV cells that spreadsheets will not run as formulas (CSV / formula injection).

Excel, LibreOffice and Google Sheets treat a cell that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula. Every CSV we hand out passes its cells
through ``csv_safe_cell``, which puts an apostrophe in front of such a cell (spreadsheets
show the text as it is). ``csv_unescape_cell`` undoes exactly that on import, so an
exported file reads back to the same values; text that merely begins with an apostrophe
is left alone (an extra apostrophe is added on export so it survives the round trip).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _starts_formula_after_apostrophes(value: str) -> bool:
    rest = value.lstrip("'")
    return bool(rest) and rest.startswith(FORMULA_TRIGGERS)


def csv_safe_cell(value: Any) -> str:
    """``value`` as text that no spreadsheet evaluates (None becomes an empty cell)."""
    if value is None:
        return ""
    text = str(value)
    if _starts_formula_after_apostrophes(text):
        return "'" + text
    return text


def csv_unescape_cell(value: str) -> str:
    """Undo ``csv_safe_cell``: drop the one apostrophe it added, nothing else."""
    if value.startswith("'") and _starts_formula_after_apostrophes(value):
        return value[1:]
    return value


def csv_text(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """An RFC 4180 document (CRLF line ends, quotes where needed) of safe cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([csv_safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_safe_cell(cell) for cell in row])
    return buffer.getvalue()
