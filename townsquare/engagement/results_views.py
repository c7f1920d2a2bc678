"""Console pages over a survey's responses: results with a segment breakdown and free-text
analysis, the exports (CSV, XLSX, open-data JSON, PDF report), the anomaly reports of
surveys and polls, and staff entry of paper questionnaires."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from townsquare.core.csv_safety import csv_text
from townsquare.core.http import StaffRequest
from townsquare.core.services import audit_record
from townsquare.engagement.analysis import (
    CATEGORICAL,
    SEGMENTS,
    crosstab,
    small_cell_threshold,
    survey_results,
)
from townsquare.engagement.anomalies import poll_anomalies, survey_anomalies
from townsquare.engagement.charts import share_chart
from townsquare.engagement.export_pdf import LANGUAGES as PDF_LANGUAGES
from townsquare.engagement.export_pdf import survey_pdf
from townsquare.engagement.export_xlsx import survey_xlsx
from townsquare.engagement.exports import open_data, response_table, segment_choices
from townsquare.engagement.free_text import question_texts, summarise
from townsquare.engagement.models import Channel, QuestionKind, Survey
from townsquare.engagement.render import widgets
from townsquare.engagement.rules import can_manage
from townsquare.engagement.selectors import (
    poll_get_for_user,
    submitted_responses,
    survey_get_for_user,
    survey_structure,
)
from townsquare.engagement.services.responses import response_enter_paper
from townsquare.engagement.views import _managed

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    k = small_cell_threshold()
    free_text = {r.question.pk: summarise(question_texts(survey, r.question), k=k)
                 for r in results if r.question.kind == QuestionKind.TEXT and r.answered}
    return render(request, "engagement/console/results.html", {
        "survey": survey, "total": total, "results": results, "free_text": free_text,
        "report_languages": [(code, name) for code, name in settings.LANGUAGES
                             if code in PDF_LANGUAGES],
        "categorical": categorical, "segments": segment_choices(), "table": table,
        "segment": segment, "selected": selected, "error": error,
        "paper": submitted_responses(survey).filter(is_paper=True).count(),
        "can_manage": can_manage(request.user, survey.organisation),
        "kinds": QuestionKind,
    })


def _download(survey: Survey, body: bytes | str, content_type: str, extension: str,
              ) -> HttpResponse:
    result = HttpResponse(body, content_type=content_type)
    stamp = timezone.now().strftime("%Y%m%d")
    result["Content-Disposition"] = f'attachment; filename="{survey.slug}-{stamp}.{extension}"'
    return result


def _audit_export(request: StaffRequest, survey: Survey, **details: Any) -> None:
    audit_record(actor=request.user, action="survey.exported", organisation=survey.organisation,
                 target=survey, details=details)


@login_required
def survey_export(request: StaffRequest, survey_id: int) -> HttpResponse:
    """One row per submitted response, one column per question (choice short names)."""
    survey = survey_get_for_user(request.user, survey_id)
    header, rows = response_table(survey)
    _audit_export(request, survey, format="csv", rows=len(rows))
    return _download(survey, csv_text(header, rows), "text/csv; charset=utf-8", "csv")


@login_required
def survey_export_xlsx(request: StaffRequest, survey_id: int) -> HttpResponse:
    survey = survey_get_for_user(request.user, survey_id)
    body = survey_xlsx(survey)
    _audit_export(request, survey, format="xlsx", rows=submitted_responses(survey).count())
    return _download(survey, body, XLSX_TYPE, "xlsx")


@login_required
def survey_export_json(request: StaffRequest, survey_id: int) -> HttpResponse:
    """The open-data document (the same as the public API serves once published)."""
    survey = survey_get_for_user(request.user, survey_id)
    document = open_data(survey)
    _audit_export(request, survey, format="json")
    return _download(survey, json.dumps(document, ensure_ascii=False, indent=2),
                     "application/json; charset=utf-8", "json")


@login_required
def survey_report_pdf(request: StaffRequest, survey_id: int) -> HttpResponse:
    survey = survey_get_for_user(request.user, survey_id)
    language = request.GET.get("lang") or translation.get_language() or "en"
    if language not in PDF_LANGUAGES:
        messages.error(request, _("Choose one of the report languages."))
        return redirect("engagement:results", survey.pk)
    body = survey_pdf(survey, language)
    _audit_export(request, survey, format="pdf", language=language)
    return _download(survey, body, "application/pdf", "pdf")


@login_required
def survey_anomalies_page(request: StaffRequest, survey_id: int) -> HttpResponse:
    survey = survey_get_for_user(request.user, survey_id)
    _managed(request, survey.organisation)
    return render(request, "engagement/console/anomalies.html", {
        "survey": survey, "report": survey_anomalies(survey), "subject": survey})


@login_required
def poll_anomalies_page(request: StaffRequest, poll_id: int) -> HttpResponse:
    poll = poll_get_for_user(request.user, poll_id)
    _managed(request, poll.organisation)
    return render(request, "engagement/console/anomalies.html", {
        "poll": poll, "report": poll_anomalies(poll), "subject": poll})


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
