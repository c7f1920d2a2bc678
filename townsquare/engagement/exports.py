"""Exports of survey results: the response table (CSV and XLSX share it) and the open-data
document of the published results (JSON download and the public API share it).

The response table is every submitted response, for the organisation's own analysis. The
open-data document is for anyone: per-question counts and shares with small-cell
suppression applied (a count of 1 to k-1 respondents is hidden, plus the complementary
cells that would give it away from the total, see ``suppression``); no free text, and for
numbers only the mean and median of at least k answers (a minimum or maximum is one
person's answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.engagement.analysis import (
    CATEGORICAL,
    QuestionResult,
    small_cell_threshold,
    survey_results,
)
from townsquare.engagement.location import location_text
from townsquare.engagement.models import QuestionKind, Segment, Survey
from townsquare.engagement.selectors import submitted_responses, survey_questions
from townsquare.engagement.suppression import suppress

OPEN_DATA_FORMAT = "townsquare.survey-results/1"
RESPONSE_HEADER = ["response", "submitted_at", "channel", "paper", "region", "age_band"]


def segment_choices() -> list[tuple[str, str]]:
    return [("channel", _("Channel")), (Segment.REGION.value, str(Segment.REGION.label)),
            (Segment.AGE_BAND.value, str(Segment.AGE_BAND.label))]


def answer_cell(question: Any, value: Any) -> str:
    if value is None:
        return ""
    if question.kind == QuestionKind.MATRIX:
        return "; ".join(f"{row}={column}" for row, column in value.items())
    if question.kind == QuestionKind.LOCATION:
        return location_text(value)
    if question.kind == QuestionKind.FILE and isinstance(value, dict):
        # The name and the SHA-256 that identifies the stored file (never its content).
        return f"{value.get('name', '')} sha256:{value.get('sha256', '')}"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def response_table(survey: Survey) -> tuple[list[str], list[list[Any]]]:
    """One row per submitted response, one column per question (choice short names)."""
    questions = survey_questions(survey)
    responses = submitted_responses(survey).order_by("submitted_at", "pk").prefetch_related(
        "answers")
    header = RESPONSE_HEADER + [q.key for q in questions]
    rows: list[list[Any]] = []
    for response in responses:
        answers = {a.question_id: a.value for a in response.answers.all()}
        rows.append([response.pk, response.submitted_at.isoformat() if response.submitted_at
                     else "", response.channel, "yes" if response.is_paper else "no",
                     response.region, response.age_band,
                     *[answer_cell(q, answers.get(q.pk)) for q in questions]])
    return header, rows


@dataclass
class PublishedRow:
    value: str
    label: str
    count: int | None  # None: suppressed
    share: float | None


def published_rows(result: QuestionResult, k: int) -> list[PublishedRow]:
    """The rows of a choice or ranking result with small counts suppressed."""
    options = [c for c in result.question.choices.all() if c.role == "option"]
    by_label = {str(c): c.value for c in options}
    counts = [row.count for row in result.rows]
    hidden = suppress([counts], k, [result.answered])[0] if counts else []
    rows = []
    for row, is_hidden in zip(result.rows, hidden, strict=True):
        if is_hidden:
            rows.append(PublishedRow(by_label.get(row.label, ""), row.label, None, None))
        elif result.question.kind == QuestionKind.RANKING:
            rows.append(PublishedRow(by_label.get(row.label, ""), row.label, row.count,
                                     None))
        else:
            rows.append(PublishedRow(by_label.get(row.label, ""), row.label, row.count,
                                     round(row.share, 4)))
    return rows


def question_document(result: QuestionResult, k: int) -> dict[str, Any]:
    question = result.question
    enough = result.answered >= k
    document: dict[str, Any] = {
        "key": question.key, "kind": question.kind, "text": question.text,
        "translations": {lang: values.get("text", "") for lang, values
                         in (question.translations or {}).items() if values.get("text")},
        "answered": result.answered if enough or result.answered == 0 else None,
    }
    if question.kind in CATEGORICAL or question.kind == QuestionKind.RANKING:
        document["share_of"] = "respondents"
        if question.kind == QuestionKind.MULTIPLE:
            document["note"] = ("Multiple choice: each share is of the respondents who "
                                "answered; one person may choose several options, so the "
                                "shares can add up to more than 1.")
        rows = published_rows(result, k)
        document["answers"] = [{"value": r.value, "label": r.label, "count": r.count,
                                "share": r.share} for r in rows]
        if question.kind == QuestionKind.RANKING:
            document["note"] = "count: respondents who ranked the option first."
            document["average_rank"] = {
                r.value: round(row.share, 3) if enough else None
                for r, row in zip(rows, result.rows, strict=True)}
    elif question.kind == QuestionKind.MATRIX:
        table = [counts for _label, counts in result.matrix]
        hidden = suppress(table, k) if table else []
        document["columns"] = result.columns
        document["rows"] = [
            {"label": label, "counts": [None if hidden[i][j] else count
                                        for j, count in enumerate(counts)]}
            for i, (label, counts) in enumerate(result.matrix)]
    elif question.kind == QuestionKind.NUMBER:
        document["summary"] = ({"mean": round(result.summary["mean"], 4),
                                "median": result.summary["median"]}
                               if enough and result.summary else None)
    else:
        # Free text, dates and other personal answers are not part of open data.
        document["withheld"] = True
    return document


def open_data(survey: Survey) -> dict[str, Any]:
    """The open-data document of a survey's results (see the module docstring)."""
    k = small_cell_threshold()
    total, results = survey_results(survey)
    organisation = survey.organisation
    return {
        "format": OPEN_DATA_FORMAT,
        "survey": {
            "slug": survey.slug, "title": survey.title,
            "translations": {lang: values.get("title", "") for lang, values
                             in (survey.translations or {}).items() if values.get("title")},
            "organisation": {"slug": organisation.slug, "name": organisation.name},
            "status": survey.status, "respondent_mode": survey.respondent_mode,
            "opens_at": survey.opens_at.isoformat() if survey.opens_at else None,
            "closes_at": survey.closes_at.isoformat() if survey.closes_at else None,
            "published_at": survey.published_at.isoformat() if survey.published_at else None,
            "demonstration_data": survey.is_demo,
        },
        "licence": {"id": settings.ENGAGEMENT_OPEN_DATA_LICENCE,
                    "url": settings.ENGAGEMENT_OPEN_DATA_LICENCE_URL},
        "generated_at": timezone.now().isoformat(),
        "responses": total,
        "suppression": {
            "minimum_cell": k,
            "note": (f"Counts of 1 to {k - 1} respondents are null, as are the cells that "
                     "would let them be worked out from the totals."),
        },
        "questions": [question_document(result, k) for result in results],
    }
