"""The XLSX export: the responses (as in the CSV export) and the results per question.

Every text cell is written with ``write_string`` after the same formula-injection escaping
as the CSV export (``csv_safe_cell``): XlsxWriter's ``write_string`` never makes a formula,
and the escaping also protects people who save the sheet back as CSV. Numbers are written
as numbers so they can be summed.
"""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _

from townsquare.core.csv_safety import csv_safe_cell
from townsquare.engagement.analysis import QuestionResult, survey_results
from townsquare.engagement.exports import response_table
from townsquare.engagement.models import QuestionKind, Survey

# Excel's limit for one cell; longer text would make the file unreadable.
MAX_CELL = 32767


def _write(sheet: Any, row: int, column: int, value: Any, fmt: Any = None) -> None:
    if isinstance(value, bool) or value is None:
        value = "" if value is None else str(value)
    if isinstance(value, int | float):
        sheet.write_number(row, column, value, fmt)
    else:
        sheet.write_string(row, column, csv_safe_cell(value)[:MAX_CELL], fmt)


def _write_choice_rows(sheet: Any, line: int, result: QuestionResult, percent: Any) -> int:
    for row in result.rows:
        _write(sheet, line, 1, row.label)
        _write(sheet, line, 2, row.count)
        _write(sheet, line, 3, row.share, percent)
        line += 1
    if result.shares_exceed_total:
        _write(sheet, line, 1, _("The shares add up to more than 100 per cent because each "
                                 "person could choose several options; each share is of "
                                 "the people who answered the question."))
        line += 1
    return line


def _write_result(sheet: Any, line: int, result: QuestionResult, bold: Any, percent: Any,
                  ) -> int:
    """One question's block on the results sheet; the next free line."""
    question = result.question
    _write(sheet, line, 0, question.key, bold)
    _write(sheet, line, 1, str(question), bold)
    _write(sheet, line, 2, _("People who answered"))
    _write(sheet, line, 3, result.answered)
    line += 1
    if result.rows and question.kind == QuestionKind.RANKING:
        for row in result.rows:
            cells: tuple[Any, ...] = (row.label, _("Average rank (1 is best)"),
                                      round(row.share, 3), _("Ranked first"), row.count)
            for column, value in enumerate(cells, start=1):
                _write(sheet, line, column, value)
            line += 1
    elif result.rows:
        line = _write_choice_rows(sheet, line, result, percent)
    elif result.matrix:
        for column, label in enumerate(result.columns, start=2):
            _write(sheet, line, column, label, bold)
        line += 1
        for label, counts in result.matrix:
            _write(sheet, line, 1, label)
            for column, count in enumerate(counts, start=2):
                _write(sheet, line, column, count)
            line += 1
    elif result.summary:
        for name, value in result.summary.items():
            _write(sheet, line, 1, name)
            _write(sheet, line, 2, value)
            line += 1
    return line


def survey_xlsx(survey: Survey) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False,
                                        "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    percent = book.add_format({"num_format": "0%"})

    responses = book.add_worksheet(_("Responses")[:31])
    header, rows = response_table(survey)
    for column, name in enumerate(header):
        _write(responses, 0, column, name, bold)
    for index, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            _write(responses, index, column, value)
    responses.freeze_panes(1, 0)

    results = book.add_worksheet(_("Results")[:31])
    total, question_results = survey_results(survey)
    _write(results, 0, 0, _("Responses"), bold)
    _write(results, 0, 1, total)
    line = 2
    for result in question_results:
        line = _write_result(results, line, result, bold, percent) + 1
    results.set_column(1, 1, 40)
    book.close()
    return buffer.getvalue()
