"""Console pages over a survey's responses: results with a segment breakdown, the CSV
export and staff entry of paper questionnaires."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.core.csv_safety import csv_text
from townsquare.core.http import StaffRequest
from townsquare.core.services import audit_record
from townsquare.engagement.analysis import CATEGORICAL, SEGMENTS, crosstab, survey_results
from townsquare.engagement.charts import share_chart
from townsquare.engagement.models import Channel, QuestionKind, Segment
from townsquare.engagement.render import widgets
from townsquare.engagement.rules import can_manage
from townsquare.engagement.selectors import (
    submitted_responses,
    survey_get_for_user,
    survey_questions,
    survey_structure,
)
from townsquare.engagement.services.responses import response_enter_paper
from townsquare.engagement.views import _managed


def segment_choices() -> list[tuple[str, str]]:
    return [("channel", _("Channel")), (Segment.REGION.value, str(Segment.REGION.label)),
            (Segment.AGE_BAND.value, str(Segment.AGE_BAND.label))]


@login_required
def survey_results_page(request: StaffRequest, survey_id: int) -> HttpResponse:
    survey = survey_get_for_user(request.user, survey_id)
    total, results = survey_results(survey)
    for result in results:
        result.chart = share_chart(result, f"chart-q{result.question.pk}")
    categorical = [r.question for r in results if r.question.kind in CATEGORICAL]
    table: Any = None
    segment = request.GET.get("segment", "")
    question_id = request.GET.get("question", "")
    selected = next((q for q in categorical if str(q.pk) == question_id), None)
    error = ""
    if segment or question_id:
        if segment not in SEGMENTS or selected is None:
            error = _("Choose a choice question and a segment to break the answers down by.")
        else:
            table = crosstab(survey, selected, segment)
    return render(request, "engagement/console/results.html", {
        "survey": survey, "total": total, "results": results,
        "categorical": categorical, "segments": segment_choices(), "table": table,
        "segment": segment, "selected": selected, "error": error,
        "paper": submitted_responses(survey).filter(is_paper=True).count(),
        "can_manage": can_manage(request.user, survey.organisation),
        "kinds": QuestionKind,
    })


def _cell(question: Any, value: Any) -> str:
    if value is None:
        return ""
    if question.kind == QuestionKind.MATRIX:
        return "; ".join(f"{row}={column}" for row, column in value.items())
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


@login_required
def survey_export(request: StaffRequest, survey_id: int) -> HttpResponse:
    """One row per submitted response, one column per question (choice short names)."""
    survey = survey_get_for_user(request.user, survey_id)
    questions = survey_questions(survey)
    responses = submitted_responses(survey).order_by("submitted_at", "pk").prefetch_related(
        "answers")
    header = ["response", "submitted_at", "channel", "paper", "region", "age_band"]
    header += [q.key for q in questions]
    rows = []
    for response in responses:
        answers = {a.question_id: a.value for a in response.answers.all()}
        rows.append([response.pk, response.submitted_at.isoformat() if response.submitted_at
                     else "", response.channel, "yes" if response.is_paper else "no",
                     response.region, response.age_band,
                     *[_cell(q, answers.get(q.pk)) for q in questions]])
    audit_record(actor=request.user, action="survey.exported", organisation=survey.organisation,
                 target=survey, details={"format": "csv", "rows": len(rows)})
    result = HttpResponse(csv_text(header, rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    result["Content-Disposition"] = f'attachment; filename="{survey.slug}-{stamp}.csv"'
    return result


@login_required
def paper_entry(request: StaffRequest, survey_id: int) -> HttpResponse:
    survey = survey_get_for_user(request.user, survey_id)
    _managed(request, survey.organisation)
    errors: dict[str, str] = {}
    data: Any = None
    if request.method == "POST":
        from django.core.exceptions import ValidationError

        try:
            response, errors = response_enter_paper(actor=request.user, survey=survey,
                                                    data=request.POST)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("engagement:results", survey.pk)
        if response is not None:
            messages.success(request, _("Paper response saved (number %(number)s).")
                             % {"number": response.pk})
            return redirect("engagement:paper", survey.pk)
        data = request.POST
    pages = [(section, widgets(list(section.questions.all()), {}, data, errors, show_all=True))
             for section in survey_structure(survey)]
    return render(request, "engagement/console/paper.html", {
        "survey": survey, "pages": pages, "errors": errors, "channel": Channel.PAPER,
    }, status=400 if errors else 200)
