"""Console pages of the survey builder: list, create, edit, sections, questions, preview,
publish and close. Results, exports and paper entry are in results_views; polls in
poll_views."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.core.http import StaffRequest
from townsquare.engagement.forms import (
    QuestionForm,
    SectionForm,
    SurveyForm,
    initial_translations,
    merge_translations,
)
from townsquare.engagement.library import TEMPLATE_DESCRIPTIONS, survey_create_from_template
from townsquare.engagement.models import Question, Status
from townsquare.engagement.render import widgets
from townsquare.engagement.rules import can_manage, managed_organisations
from townsquare.engagement.selectors import (
    polls_visible_to,
    question_get_for_user,
    section_get_for_user,
    survey_get_for_user,
    survey_structure,
    surveys_visible_to,
)
from townsquare.engagement.services import builder


def apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _managed(request: StaffRequest, organisation: Any) -> None:
    if not can_manage(request.user, organisation):
        raise PermissionDenied


@login_required
def engagement_home(request: StaffRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    surveys = surveys_visible_to(request.user)
    polls = polls_visible_to(request.user)
    if query:
        surveys = surveys.filter(Q(title__icontains=query) | Q(slug__icontains=query))
        polls = polls.filter(question__icontains=query)
    return render(request, "engagement/console/home.html", {
        "surveys": surveys[:100], "polls": polls[:100], "query": query,
        "can_create": managed_organisations(request.user).exists(),
    })


@login_required
def survey_new(request: StaffRequest) -> HttpResponse:
    organisations = managed_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied
    form = SurveyForm(request.POST or None, organisations=organisations,
                      initial={"template": request.GET.get("template", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["template"]:
                survey = survey_create_from_template(
                    actor=request.user, organisation=data["organisation"],
                    template=data["template"])
            else:
                survey = builder.survey_create(
                    actor=request.user, organisation=data["organisation"], title=data["title"],
                    intro=data["intro"], respondent_mode=data["respondent_mode"],
                    translations=merge_translations(data, ("title", "intro")),
                    opens_at=data["opens_at"], closes_at=data["closes_at"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Survey created as a draft."))
            return redirect("engagement:survey", survey.pk)
    return render(request, "engagement/console/survey_form.html", {
        "form": form, "templates": TEMPLATE_DESCRIPTIONS})


@login_required
def survey_detail(request: StaffRequest, survey_id: int) -> HttpResponse:
    survey = survey_get_for_user(request.user, survey_id)
    return render(request, "engagement/console/survey_detail.html", {
        "survey": survey, "sections": survey_structure(survey),
        "can_manage": can_manage(request.user, survey.organisation),
        "is_draft": survey.status == Status.DRAFT, "section_form": SectionForm(),
    })


@login_required
def survey_edit(request: StaffRequest, survey_id: int) -> HttpResponse:
    survey = survey_get_for_user(request.user, survey_id)
    _managed(request, survey.organisation)
    initial = {"title": survey.title, "intro": survey.intro,
               "respondent_mode": survey.respondent_mode, "opens_at": survey.opens_at,
               "closes_at": survey.closes_at,
               **initial_translations(survey.translations, ("title", "intro"))}
    form = SurveyForm(request.POST or None, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            builder.survey_update(
                actor=request.user, survey=survey, title=data["title"], intro=data["intro"],
                respondent_mode=data["respondent_mode"], opens_at=data["opens_at"],
                closes_at=data["closes_at"],
                translations=merge_translations(data, ("title", "intro")))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Survey saved."))
            return redirect("engagement:survey", survey.pk)
    return render(request, "engagement/console/survey_form.html", {"form": form, "survey": survey})


@login_required
@require_POST
def section_new(request: StaffRequest, survey_id: int) -> HttpResponse:
    survey = survey_get_for_user(request.user, survey_id)
    _managed(request, survey.organisation)
    form = SectionForm(request.POST)
    if form.is_valid():
        try:
            builder.section_add(actor=request.user, survey=survey,
                                title=form.cleaned_data["title"],
                                translations=merge_translations(form.cleaned_data, ("title",)))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Section added."))
    else:
        messages.error(request, _("Give the section a title."))
    return redirect("engagement:survey", survey.pk)


def _question_kwargs(form: QuestionForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "text": data["text"], "help": data["help"], "required": data["required"],
        "min_value": data["min_value"], "max_value": data["max_value"],
        "max_length": data["max_length"], "condition": data["condition"],
        "segment": data["segment"], "options": form.choice_specs("options"),
        "rows": form.choice_specs("rows"),
        "translations": merge_translations(data, ("text", "help")),
        "upload_types": data["upload_types"], "upload_max_bytes": form.upload_max_bytes(),
    }


@login_required
def question_new(request: StaffRequest, section_id: int) -> HttpResponse:
    section = section_get_for_user(request.user, section_id)
    survey = section.survey
    _managed(request, survey.organisation)
    form = QuestionForm(request.POST or None, initial={"max_length": 1000,
                                                       "kind": request.GET.get("kind", "")})
    if request.method == "POST" and form.is_valid():
        try:
            builder.question_add(actor=request.user, section=section,
                                 kind=form.cleaned_data["kind"], **_question_kwargs(form))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Question added."))
            return redirect("engagement:survey", survey.pk)
    return render(request, "engagement/console/question_form.html", {
        "form": form, "survey": survey, "section": section, "earlier": _earlier_keys(survey)})


def _earlier_keys(survey: Any, before: Question | None = None) -> list[Question]:
    keys: list[Question] = []
    for section in survey_structure(survey):
        for question in section.questions.all():
            if before is not None and question.pk == before.pk:
                return keys
            keys.append(question)
    return keys


def _lines_of(question: Question, role: str, language: str = "") -> str:
    choices = [c for c in question.choices.all() if c.role == role]
    if language:
        return "\n".join(c.translations.get(language, {}).get("label", "") for c in choices)
    return "\n".join(f"{c.value}|{c.label}" for c in choices)


@login_required
def question_edit(request: StaffRequest, question_id: int) -> HttpResponse:
    question = question_get_for_user(request.user, question_id)
    survey = question.survey
    _managed(request, survey.organisation)
    initial = {
        "text": question.text, "help": question.help, "required": question.required,
        "min_value": question.min_value, "max_value": question.max_value,
        "max_length": question.max_length, "segment": question.segment,
        "upload_types": question.upload_types,
        "upload_max_mb": round(question.upload_max_bytes / (1024 * 1024), 3)
        if question.upload_max_bytes else None,
        "condition": json.dumps(question.condition, ensure_ascii=False) if question.condition
        else "",
        "options": _lines_of(question, "option"), "rows": _lines_of(question, "row"),
        "options_ar": _lines_of(question, "option", "ar"),
        "options_zh": _lines_of(question, "option", "zh-hans"),
        "rows_ar": _lines_of(question, "row", "ar"), "rows_zh": _lines_of(question, "row",
                                                                          "zh-hans"),
        **initial_translations(question.translations, ("text", "help")),
    }
    form = QuestionForm(request.POST or None, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            builder.question_update(actor=request.user, question=question,
                                    **_question_kwargs(form))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Question saved."))
            return redirect("engagement:survey", survey.pk)
    return render(request, "engagement/console/question_form.html", {
        "form": form, "survey": survey, "section": question.section, "question": question,
        "earlier": _earlier_keys(survey, question)})


@login_required
@require_POST
def question_action(request: StaffRequest, question_id: int, action: str) -> HttpResponse:
    question = question_get_for_user(request.user, question_id)
    survey = question.survey
    _managed(request, survey.organisation)
    try:
        if action in ("up", "down"):
            builder.question_move(actor=request.user, question=question, direction=action)
        elif action == "delete":
            builder.question_delete(actor=request.user, question=question)
            messages.success(request, _("Question deleted."))
        else:
            raise Http404("No such action")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("engagement:survey", survey.pk)


@login_required
@require_POST
def survey_action(request: StaffRequest, survey_id: int, action: str) -> HttpResponse:
    survey = survey_get_for_user(request.user, survey_id)
    _managed(request, survey.organisation)
    try:
        if action == "publish":
            builder.survey_publish(actor=request.user, survey=survey)
            messages.success(request, _("The survey is published."))
        elif action == "close":
            builder.survey_close(actor=request.user, survey=survey)
            messages.success(request, _("The survey is closed; no more answers are accepted."))
        else:
            raise Http404("No such action")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("engagement:survey", survey.pk)


@login_required
def survey_preview(request: StaffRequest, survey_id: int) -> HttpResponse:
    """Every page as citizens see it, in the chosen language, with nothing to submit."""
    survey = survey_get_for_user(request.user, survey_id)
    language = request.GET.get("language", "")
    languages = [code for code, _name in settings.LANGUAGES]
    if language not in languages:
        language = translation.get_language() or languages[0]
    with translation.override(language):
        pages = [(section.localised("title"), widgets(list(section.questions.all()), {}, None,
                                                      {}, show_all=True))
                 for section in survey_structure(survey)]
        title, intro = survey.localised("title"), survey.localised("intro")
    return render(request, "engagement/console/preview.html", {
        "survey": survey, "pages": pages, "language": language, "title": title,
        "intro": intro, "languages": languages,
        "is_rtl": translation.get_language_info(language)["bidi"],
    })
