"""The PDF report of a survey's results, in the language asked for.

A report is made to be passed around, so it carries the published numbers: per-question
counts with small-cell suppression (as in the open-data export), bar charts drawn by
Vega-Lite (vl-convert) as SVG from the visible numbers only, and, for every choice
question, the breakdown by each segment that has at least two groups, with suppressed
cells marked and the chi-square test. WeasyPrint lays it out; Pango shapes Arabic (right
to left) and Chinese with the installed Noto fonts. No free-text answers are included.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from townsquare.core.pdf import html_to_pdf
from townsquare.engagement.analysis import (
    CATEGORICAL,
    SEGMENTS,
    CrossTab,
    QuestionResult,
    Row,
    crosstab,
    small_cell_threshold,
    survey_results,
)
from townsquare.engagement.charts import share_chart
from townsquare.engagement.exports import (
    PublishedRow,
    published_rows,
    question_document,
    segment_choices,
)
from townsquare.engagement.models import QuestionKind, Survey

LANGUAGES = ("en", "ar", "zh-hans")


@dataclass
class ReportQuestion:
    result: QuestionResult
    rows: list[PublishedRow]
    chart_src: str
    # (segment name, breakdown table)
    tables: list[tuple[str, CrossTab]] = field(default_factory=list)
    enough: bool = True
    # The open-data view of the question (suppressed matrix cells, number summary).
    document: dict[str, Any] = field(default_factory=dict)

    @property
    def ranked(self) -> list[tuple[PublishedRow, float]]:
        """Ranking questions: each published row with its average rank."""
        return [(row, raw.share) for row, raw in zip(self.rows, self.result.rows, strict=True)]


def _chart_src(result: QuestionResult, rows: list[PublishedRow], chart_id: str) -> str:
    visible = [Row(r.label, r.count, r.share) for r in rows
               if r.count is not None and r.share is not None]
    if not visible or result.question.kind == QuestionKind.RANKING:
        return ""
    shown = QuestionResult(question=result.question, answered=result.answered, rows=visible)
    svg = str(share_chart(shown, chart_id))
    if not svg:
        return ""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _breakdowns(survey: Survey, result: QuestionResult, names: dict[str, str],
                ) -> list[tuple[str, CrossTab]]:
    tables = []
    for segment in SEGMENTS:
        table = crosstab(survey, result.question, segment)
        if len(table.rows) >= 2:
            tables.append((names[segment], table))
    return tables


def survey_pdf(survey: Survey, language: str) -> bytes:
    """The report as PDF bytes; ``language`` is one of ``LANGUAGES``."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown report language {language!r}")
    k = small_cell_threshold()
    with translation.override(language):
        total, results = survey_results(survey)
        names = _segment_names()
        questions = []
        for result in results:
            enough = result.answered >= k or result.answered == 0
            rows = (published_rows(result, k) if result.rows else [])
            questions.append(ReportQuestion(
                result=result, rows=rows, enough=enough,
                document=question_document(result, k),
                chart_src=_chart_src(result, rows, f"chart-q{result.question.pk}"),
                tables=(_breakdowns(survey, result, names)
                        if result.question.kind in CATEGORICAL else [])))
        html = render_to_string("engagement/export/report.html", {
            "survey": survey, "total": total, "questions": questions, "k": k,
            "language": language, "rtl": translation.get_language_bidi(),
            "generated": timezone.now(),
        })
    return html_to_pdf(html)


def _segment_names() -> dict[str, str]:
    return dict(segment_choices())
