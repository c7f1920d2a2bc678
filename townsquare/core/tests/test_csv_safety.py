import csv
import io

import pytest

from townsquare.core.csv_safety import csv_safe_cell, csv_text, csv_unescape_cell

DANGEROUS = [
    "=HYPERLINK(\"http://127.0.0.1/x\",\"click\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_cells_get_an_apostrophe(value):
    safe = csv_safe_cell(value)
    assert safe == "'" + value
    assert csv_unescape_cell(safe) == value


@pytest.mark.parametrize(
    "value", ["", "plain", "Ministry of Health", "'quoted", "a=b", "وزارة الصحة", "卫生部"]
)
def test_harmless_cells_are_unchanged(value):
    assert csv_safe_cell(value) == value
    assert csv_unescape_cell(value) == value


@pytest.mark.parametrize("value", ["'=1+1", "''@x", "'-"])
def test_text_that_already_starts_with_an_apostrophe_round_trips(value):
    safe = csv_safe_cell(value)
    assert safe.startswith("''")
    assert csv_unescape_cell(safe) == value


def test_none_and_numbers():
    assert csv_safe_cell(None) == ""
    assert csv_safe_cell(42) == "42"
    assert csv_safe_cell(-3) == "'-3"


def test_csv_text_is_rfc4180_and_safe():
    text = csv_text(["a", "b"], [["=1+1", 'say "hi", then\nleave'], [None, "x"]])
    assert text.endswith("\r\n")
    assert text.splitlines()[0] == "a,b"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["a", "b"], ["'=1+1", 'say "hi", then\nleave'], ["", "x"]]
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
