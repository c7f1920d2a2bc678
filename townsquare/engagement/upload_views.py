"""Console pages over the files citizens attached to a survey's file questions.

Only the survey's managers see the list and download the files (they may hold personal
data); each download is audited. Files are sent as downloads with a sandbox CSP and
``nosniff``, so nothing a citizen sent is ever rendered in our origin.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render

from townsquare.core.http import StaffRequest
from townsquare.core.services import audit_record
from townsquare.engagement.models import Answer, Question, QuestionKind, Survey
from townsquare.engagement.selectors import submitted_responses, survey_get_for_user
from townsquare.engagement.uploads import is_file_answer
from townsquare.engagement.views import _managed
from townsquare.media import storage


def _file_question(survey: Survey, question_id: int) -> Question:
    found = survey.questions.filter(pk=question_id, kind=QuestionKind.FILE).first()
    if found is None:
        raise Http404("No such file question")
    return found


def _file_answers(survey: Survey, question: Question) -> list[Answer]:
    answers = Answer.objects.filter(
        question=question, response__in=submitted_responses(survey)
    ).select_related("response").order_by("response__submitted_at", "pk")
    return [a for a in answers if is_file_answer(a.value)]


@login_required
def survey_files(request: StaffRequest, survey_id: int, question_id: int) -> HttpResponse:
    survey = survey_get_for_user(request.user, survey_id)
    _managed(request, survey.organisation)
    question = _file_question(survey, question_id)
    return render(request, "engagement/console/survey_files.html", {
        "survey": survey, "question": question, "answers": _file_answers(survey, question)})


@login_required
def survey_file_download(request: StaffRequest, survey_id: int, answer_id: int,
                         ) -> FileResponse:
    survey = survey_get_for_user(request.user, survey_id)
    _managed(request, survey.organisation)
    answer = Answer.objects.filter(
        pk=answer_id, question__survey=survey, question__kind=QuestionKind.FILE,
        response__in=submitted_responses(survey)).first()
    if answer is None or not is_file_answer(answer.value):
        raise Http404("No such file")
    try:
        handle = storage.path_for(answer.value["sha256"]).open("rb")
    except (OSError, ValueError) as exc:
        raise Http404("The file is missing") from exc
    audit_record(actor=request.user, action="survey.file_downloaded",
                 organisation=survey.organisation, target=survey,
                 details={"response": answer.response_id, "question": answer.question_id,
                          "sha256": answer.value["sha256"]})
    response = FileResponse(handle, as_attachment=True, filename=str(answer.value["name"]),
                            content_type=str(answer.value.get("type") or
                                             "application/octet-stream"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
