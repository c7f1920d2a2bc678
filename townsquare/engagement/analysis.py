"""Results of a survey: counts and shares per answer, and cross-tabs by one segment.

Only submitted responses count. Multiple-choice questions are reported as the share of
respondents who picked each option, so the shares can add up to more than 100%.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from townsquare.engagement.location import area_table
from townsquare.engagement.models import Channel, Question, QuestionKind, Segment, Survey
from townsquare.engagement.selectors import submitted_responses, survey_questions
from townsquare.engagement.stats import ChiSquare, chi_square
from townsquare.engagement.suppression import suppress

CATEGORICAL = (QuestionKind.SINGLE, QuestionKind.LIKERT, QuestionKind.MULTIPLE)
SEGMENTS = ("channel", Segment.REGION.value, Segment.AGE_BAND.value)


def small_cell_threshold() -> int:
    return int(getattr(settings, "ENGAGEMENT_SMALL_CELL_K", 10))


@dataclass
class Row:
    label: str
    count: int
    share: float  # 0..1 of the respondents who answered


@dataclass
class QuestionResult:
    question: Question
    answered: int
    rows: list[Row] = field(default_factory=list)
    # Matrix: column labels and, per row label, the counts per column.
    columns: list[str] = field(default_factory=list)
    matrix: list[tuple[str, list[int]]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    # Location questions: answers per area (small counts hidden), see engagement.location.
    areas: dict[str, Any] = field(default_factory=dict)
    chart: str = ""  # the rendered SVG, set by the results page

    @property
    def shares_exceed_total(self) -> bool:
        return self.question.kind == QuestionKind.MULTIPLE and sum(r.count for r in self.rows) \
            > self.answered


def _answers(survey: Survey) -> tuple[list[Question], dict[int, dict[str, Any]], int]:
    questions = survey_questions(survey)
    responses = submitted_responses(survey)
    by_response: dict[int, dict[str, Any]] = defaultdict(dict)
    for response_id, key, value in responses.values_list(
            "pk", "answers__question__key", "answers__value"):
        if key is not None:
            by_response[response_id][key] = value
    return questions, by_response, responses.count()


def _options(question: Question, role: str = "option") -> list[Any]:
    return [c for c in question.choices.all() if c.role == role]


def question_result(question: Question, values: list[Any]) -> QuestionResult:
    result = QuestionResult(question=question, answered=len(values))
    if question.kind in CATEGORICAL:
        counts = Counter(v for value in values for v in value)
        result.rows = [Row(str(o), counts[o.value], counts[o.value] / len(values) if values
                           else 0.0) for o in _options(question)]
    elif question.kind == QuestionKind.RANKING:
        options = _options(question)
        ranks: dict[str, list[int]] = defaultdict(list)
        for value in values:
            for position, option in enumerate(value, start=1):
                ranks[option].append(position)
        result.rows = sorted(
            (Row(str(o), sum(1 for r in ranks[o.value] if r == 1),
                 statistics.fmean(ranks[o.value]) if ranks[o.value] else 0.0) for o in options),
            key=lambda row: row.share or 1e9)
    elif question.kind == QuestionKind.MATRIX:
        columns = _options(question)
        result.columns = [str(c) for c in columns]
        for row in _options(question, "row"):
            counts = Counter(value.get(row.value) for value in values)
            result.matrix.append((str(row), [counts[c.value] for c in columns]))
    elif question.kind == QuestionKind.NUMBER and values:
        numbers = [float(v) for v in values]
        result.summary = {"mean": statistics.fmean(numbers), "median": statistics.median(numbers),
                          "min": min(numbers), "max": max(numbers)}
    elif question.kind == QuestionKind.DATE and values:
        result.summary = {"earliest": min(values), "latest": max(values)}
    elif question.kind == QuestionKind.LOCATION:
        result.areas = area_table(question, values, small_cell_threshold())
    elif question.kind == QuestionKind.TEXT:
        result.texts = [str(v) for v in values[-50:]]
    return result


def survey_results(survey: Survey) -> tuple[int, list[QuestionResult]]:
    """The number of submitted responses and one result per question."""
    questions, by_response, total = _answers(survey)
    results = []
    for question in questions:
        values = [answers[question.key] for answers in by_response.values()
                  if question.key in answers]
        results.append(question_result(question, values))
    return total, results


@dataclass
class CrossTab:
    question: Question
    segment: str
    columns: list[str]
    # (segment label, cells, row total); a hidden cell or total is None.
    rows: list[tuple[str, list[int | None], int | None]]
    column_totals: list[int]
    total: int
    k: int
    chi: ChiSquare | None
    any_hidden: bool

    @property
    def p_text(self) -> str:
        """The p-value as shown: three decimals, or "< 0.001" (never a misleading 0.000)."""
        if self.chi is None:
            return ""
        if self.chi.p_value < 0.001:
            return "< " + number_format(0.001, 3)
        return number_format(self.chi.p_value, 3)


def _segment_labels(survey: Survey, segment: str, questions: list[Question]) -> dict[str, str]:
    if segment == "channel":
        return {str(value): str(label) for value, label in Channel.choices}
    for question in questions:
        if question.segment == segment:
            return {c.value: str(c) for c in _options(question)}
    return {}


def crosstab(survey: Survey, question: Question, segment: str, k: int | None = None,
             ) -> CrossTab:
    """Answers to ``question`` by ``segment`` (channel, region or age band), small cells
    hidden; the chi-square test covers the groups of at least ``k`` respondents."""
    if segment not in SEGMENTS:
        raise ValueError(f"unknown segment {segment!r}")
    if question.kind not in CATEGORICAL:
        raise ValueError("cross-tabs need a choice question")
    k = k or small_cell_threshold()
    questions = survey_questions(survey)
    options = _options(question)
    groups: dict[str, list[int]] = {}
    group_totals: Counter[str] = Counter()
    answered = (submitted_responses(survey).filter(answers__question=question)
                .values_list(segment, "answers__value"))
    for group, value in answered:
        label = group or ""
        cells = groups.setdefault(label, [0] * len(options))
        group_totals[label] += 1
        for index, option in enumerate(options):
            cells[index] += option.value in value
    labels = _segment_labels(survey, segment, questions)
    order = [g for g in labels if g in groups] + sorted(g for g in groups if g not in labels)
    table = [groups[g] for g in order]
    hidden = suppress(table, k, [group_totals[g] for g in order]) if table else []
    rows = []
    for i, group in enumerate(order):
        shown = [None if hidden[i][j] else count for j, count in enumerate(table[i])]
        total = group_totals[group]
        rows.append((labels.get(group) or group or str(_("Not given")), shown,
                     total if total >= k else None))
    partition = question.kind != QuestionKind.MULTIPLE
    return CrossTab(
        question=question, segment=segment, columns=[str(o) for o in options], rows=rows,
        column_totals=[sum(row[j] for row in table) for j in range(len(options))],
        total=sum(group_totals.values()), k=k,
        # Over the groups of at least k people (a group too small to show is left out of the
        # test as well); the page shows the statistic rounded, as published tables do.
        chi=chi_square([row for row, group in zip(table, order, strict=True)
                        if group_totals[group] >= k]) if partition else None,
        any_hidden=any(any(row) for row in hidden))
