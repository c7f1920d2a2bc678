"""The survey builder: surveys, sections, questions and choices, publishing and closing.

The structure of a survey (sections, questions, choices) can change only while it is a
draft, so every submitted answer was given to the question as it stands.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from townsquare.core.services import audit_record
from townsquare.engagement.logic import validate_condition
from townsquare.engagement.models import (
    CHOICE_KINDS,
    Choice,
    ChoiceRole,
    Question,
    QuestionKind,
    RespondentMode,
    Section,
    Status,
    Survey,
    TemplateKind,
)
from townsquare.engagement.rules import can_manage
from townsquare.engagement.sms import no_sms_account_message, sms_account_for
from townsquare.engagement.uploads import FILE_TYPES
from townsquare.organisations.models import Organisation, User

MAX_CHOICES = 30
LANGUAGES = ("ar", "zh-hans")


@dataclass
class ChoiceSpec:
    label: str
    value: str = ""
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


def check_manage(actor: User, organisation: Organisation) -> None:
    if not can_manage(actor, organisation):
        raise PermissionDenied(_("Only administrators and editors can change surveys."))


def _check_draft(survey: Survey) -> None:
    # Read from the database: the caller's copy may predate a publish in another request.
    if not Survey.objects.filter(pk=survey.pk, status=Status.DRAFT).exists():
        raise ValidationError(_("Questions can be changed only while the survey is a draft."))


def unique_slug(model: Any, text: str) -> str:
    # A random suffix, so a survey's address cannot be guessed before it is announced.
    base = slugify(text, allow_unicode=False)[:60].strip("-") or "survey"
    while True:
        slug = f"{base}-{secrets.token_hex(3)}"
        if not model.objects.filter(slug=slug).exists():
            return slug


def clean_translations(translations: dict[str, dict[str, str]] | None,
                       fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
    cleaned: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        values = {f: str(v).strip() for f, v in ((translations or {}).get(language) or {}).items()
                  if f in fields and str(v).strip()}
        if values:
            cleaned[language] = values
    return cleaned


def _check_respondent_mode(organisation: Organisation, respondent_mode: str) -> None:
    # SMS codes need an account to send them through (see engagement.sms).
    if respondent_mode == RespondentMode.VERIFIED_SMS and sms_account_for(organisation) is None:
        raise ValidationError({"respondent_mode": no_sms_account_message()})


def _check_dates(opens_at: dt.datetime | None, closes_at: dt.datetime | None) -> None:
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValidationError({"closes_at": _("The closing time must be after the opening time.")})


@transaction.atomic
def survey_create(*, actor: User, organisation: Organisation, title: str, intro: str = "",
                  translations: dict[str, dict[str, str]] | None = None,
                  respondent_mode: str = RespondentMode.ANONYMOUS,
                  template_kind: str = TemplateKind.CUSTOM,
                  opens_at: dt.datetime | None = None, closes_at: dt.datetime | None = None,
                  audit: bool = True) -> Survey:
    check_manage(actor, organisation)
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Give the survey a title.")})
    _check_dates(opens_at, closes_at)
    _check_respondent_mode(organisation, respondent_mode)
    survey = Survey.objects.create(
        organisation=organisation, slug=unique_slug(Survey, title), title=title,
        intro=intro.strip(), translations=clean_translations(translations, ("title", "intro")),
        respondent_mode=respondent_mode, template_kind=template_kind, opens_at=opens_at,
        closes_at=closes_at, created_by=actor,
    )
    if audit:
        audit_record(actor=actor, action="survey.created", organisation=organisation,
                     target=survey, details={"template": template_kind})
    return survey


SURVEY_FIELDS = ("title", "intro", "translations", "respondent_mode", "opens_at", "closes_at")


@transaction.atomic
def survey_update(*, actor: User, survey: Survey, **changes: Any) -> Survey:
    check_manage(actor, survey.organisation)
    survey.status = Survey.objects.values_list("status", flat=True).get(pk=survey.pk)
    if survey.status == Status.CLOSED:
        raise ValidationError(_("A closed survey cannot be changed."))
    unknown = set(changes) - set(SURVEY_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    if "respondent_mode" in changes and survey.status != Status.DRAFT \
            and changes["respondent_mode"] != survey.respondent_mode:
        raise ValidationError(_("Who may respond cannot change once the survey is published."))
    if changes.get("respondent_mode", survey.respondent_mode) != survey.respondent_mode:
        _check_respondent_mode(survey.organisation, changes["respondent_mode"])
    if "title" in changes and not str(changes["title"]).strip():
        raise ValidationError({"title": _("Give the survey a title.")})
    if "translations" in changes:
        changes["translations"] = clean_translations(changes["translations"], ("title", "intro"))
    _check_dates(changes.get("opens_at", survey.opens_at), changes.get("closes_at",
                                                                      survey.closes_at))
    for name, value in changes.items():
        setattr(survey, name, value.strip() if isinstance(value, str) else value)
    survey.save()
    audit_record(actor=actor, action="survey.updated", organisation=survey.organisation,
                 target=survey, details={"fields": sorted(changes)})
    return survey


@transaction.atomic
def survey_publish(*, actor: User, survey: Survey, now: dt.datetime | None = None) -> Survey:
    check_manage(actor, survey.organisation)
    now = now or timezone.now()
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.status != Status.DRAFT:
        raise ValidationError(_("Only a draft can be published."))
    if not survey.questions.exists():
        raise ValidationError(_("Add at least one question before publishing."))
    _check_respondent_mode(survey.organisation, survey.respondent_mode)
    if survey.closes_at is not None and survey.closes_at <= now:
        raise ValidationError(_("The closing time has already passed."))
    survey.status, survey.published_at = Status.PUBLISHED, now
    survey.save(update_fields=["status", "published_at", "updated_at"])
    audit_record(actor=actor, action="survey.published", organisation=survey.organisation,
                 target=survey)
    return survey


@transaction.atomic
def survey_close(*, actor: User, survey: Survey, now: dt.datetime | None = None) -> Survey:
    check_manage(actor, survey.organisation)
    now = now or timezone.now()
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.status != Status.PUBLISHED:
        raise ValidationError(_("Only a published survey can be closed."))
    survey.status = Status.CLOSED
    if survey.closes_at is None or survey.closes_at > now:
        survey.closes_at = now
    survey.save(update_fields=["status", "closes_at", "updated_at"])
    audit_record(actor=actor, action="survey.closed", organisation=survey.organisation,
                 target=survey)
    return survey


@transaction.atomic
def section_add(*, actor: User, survey: Survey, title: str,
                translations: dict[str, dict[str, str]] | None = None,
                audit: bool = True) -> Section:
    check_manage(actor, survey.organisation)
    _check_draft(survey)
    if not title.strip():
        raise ValidationError({"title": _("Give the section a title.")})
    top = survey.sections.aggregate(top=Max("position"))["top"]
    section = Section.objects.create(
        survey=survey, title=title.strip(), position=(top or 0) + 1 if top is not None else 0,
        translations=clean_translations(translations, ("title",)))
    if audit:
        audit_record(actor=actor, action="survey.section_added",
                     organisation=survey.organisation, target=survey,
                     details={"section": section.pk})
    return section


def _ordered(survey: Survey) -> list[Question]:
    return list(Question.objects.filter(survey=survey).select_related("section")
                .prefetch_related("choices").order_by("section__position", "section_id",
                                                       "position", "id"))


def _check_conditions(survey: Survey) -> None:
    """Every condition must refer to questions that come earlier in the survey."""
    earlier: dict[str, Question] = {}
    for question in _ordered(survey):
        if question.condition:
            try:
                validate_condition(question.condition, earlier)
            except ValidationError as exc:
                raise ValidationError({"condition": _("Question “%(key)s”: %(error)s") % {
                    "key": question.key, "error": " ".join(exc.messages)}}) from exc
        earlier[question.key] = question


def _set_choices(question: Question, role: str, specs: list[ChoiceSpec]) -> None:
    if len(specs) > MAX_CHOICES:
        raise ValidationError({"choices": _("At most %(count)s options.") % {"count": MAX_CHOICES}})
    kept: list[Choice] = []
    used: set[str] = set()
    for position, spec in enumerate(specs):
        label = spec.label.strip()
        if not label:
            continue
        value = slugify(spec.value or label)[:40] or f"option-{position + 1}"
        while value in used:
            value = f"{value[:36]}-{position + 1}"
        used.add(value)
        kept.append(Choice(question=question, role=role, value=value, label=label[:200],
                           position=position,
                           translations=clean_translations(spec.translations, ("label",))))
    question.choices.filter(role=role).delete()
    Choice.objects.bulk_create(kept)


def _check_question(kind: str, options: list[ChoiceSpec], rows: list[ChoiceSpec],
                    min_value: float | None, max_value: float | None) -> None:
    if kind not in QuestionKind.values:
        raise ValidationError({"kind": _("Choose a question type.")})
    labelled = [c for c in options if c.label.strip()]
    if kind in CHOICE_KINDS and len(labelled) < 2:
        raise ValidationError({"choices": _("Give at least two options.")})
    if kind == QuestionKind.MATRIX and not [r for r in rows if r.label.strip()]:
        raise ValidationError({"rows": _("Give at least one row.")})
    if min_value is not None and max_value is not None and min_value > max_value:
        raise ValidationError({"max_value": _("The maximum must not be below the minimum.")})


def _upload_limits(kind: str, types: list[str] | None, max_bytes: int | None,
                   ) -> dict[str, Any]:
    """A file question's accepted types and size limit, checked; other kinds have none."""
    if kind != QuestionKind.FILE:
        return {"upload_types": [], "upload_max_bytes": None}
    types = list(dict.fromkeys(types or []))
    if any(t not in FILE_TYPES for t in types):
        raise ValidationError({"upload_types": _("Choose from PDF, JPEG and PNG.")})
    limit = settings.ENGAGEMENT_UPLOAD_MAX_BYTES
    if max_bytes is not None and not 1024 <= max_bytes <= limit:
        raise ValidationError({"upload_max_mb": _(
            "Give a size limit between 1 KB and %(limit)s.") % {"limit": filesizeformat(limit)}})
    return {"upload_types": types, "upload_max_bytes": max_bytes}


@transaction.atomic
def question_add(*, actor: User, section: Section, kind: str, text: str, key: str = "",
                 help: str = "", required: bool = False, min_value: float | None = None,
                 max_value: float | None = None, max_length: int = 1000,
                 condition: dict[str, Any] | None = None, segment: str = "",
                 translations: dict[str, dict[str, str]] | None = None,
                 options: list[ChoiceSpec] | None = None, rows: list[ChoiceSpec] | None = None,
                 upload_types: list[str] | None = None, upload_max_bytes: int | None = None,
                 audit: bool = True) -> Question:
    survey = section.survey
    check_manage(actor, survey.organisation)
    _check_draft(survey)
    options, rows = options or [], rows or []
    if not text.strip():
        raise ValidationError({"text": _("Write the question.")})
    _check_question(kind, options, rows, min_value, max_value)
    key = slugify(key or text)[:30] or "q"
    if Question.objects.filter(survey=survey, key=key).exists():
        key = f"{key[:30]}-{secrets.token_hex(2)}"
    top = section.questions.aggregate(top=Max("position"))["top"]
    question = Question.objects.create(
        section=section, survey=survey, key=key, kind=kind, text=text.strip(),
        help=help.strip(), required=required, min_value=min_value, max_value=max_value,
        max_length=max(1, min(max_length, 4000)), condition=condition or None,
        segment=segment if kind in (QuestionKind.SINGLE, QuestionKind.LIKERT) else "",
        position=(top + 1) if top is not None else 0,
        translations=clean_translations(translations, ("text", "help")),
        **_upload_limits(kind, upload_types, upload_max_bytes))
    # A location question's options are its areas (districts, regions); they are optional.
    _set_choices(question, ChoiceRole.OPTION,
                 options if kind in CHOICE_KINDS or kind == QuestionKind.LOCATION else [])
    _set_choices(question, ChoiceRole.ROW, rows if kind == QuestionKind.MATRIX else [])
    _check_conditions(survey)
    if audit:
        audit_record(actor=actor, action="survey.question_added",
                     organisation=survey.organisation, target=survey,
                     details={"question": question.key, "kind": kind})
    return question


@transaction.atomic
def question_update(*, actor: User, question: Question, text: str, help: str = "",
                    required: bool = False, min_value: float | None = None,
                    max_value: float | None = None, max_length: int = 1000,
                    condition: dict[str, Any] | None = None, segment: str = "",
                    translations: dict[str, dict[str, str]] | None = None,
                    options: list[ChoiceSpec] | None = None,
                    rows: list[ChoiceSpec] | None = None,
                    upload_types: list[str] | None = None,
                    upload_max_bytes: int | None = None) -> Question:
    survey = question.survey
    check_manage(actor, survey.organisation)
    _check_draft(survey)
    options, rows = options or [], rows or []
    if not text.strip():
        raise ValidationError({"text": _("Write the question.")})
    _check_question(question.kind, options, rows, min_value, max_value)
    question.text, question.help, question.required = text.strip(), help.strip(), required
    question.min_value, question.max_value = min_value, max_value
    question.max_length = max(1, min(max_length, 4000))
    question.condition = condition or None
    question.segment = segment if question.kind in (QuestionKind.SINGLE,
                                                    QuestionKind.LIKERT) else ""
    question.translations = clean_translations(translations, ("text", "help"))
    for name, value in _upload_limits(question.kind, upload_types, upload_max_bytes).items():
        setattr(question, name, value)
    question.save()
    if question.kind in CHOICE_KINDS or question.kind == QuestionKind.LOCATION:
        _set_choices(question, ChoiceRole.OPTION, options)
    if question.kind == QuestionKind.MATRIX:
        _set_choices(question, ChoiceRole.ROW, rows)
    _check_conditions(survey)
    audit_record(actor=actor, action="survey.question_updated",
                 organisation=survey.organisation, target=survey,
                 details={"question": question.key})
    return question


@transaction.atomic
def question_move(*, actor: User, question: Question, direction: str) -> Question:
    """Swap the question with its neighbour in the section ("up" or "down")."""
    survey = question.survey
    check_manage(actor, survey.organisation)
    _check_draft(survey)
    siblings = list(question.section.questions.order_by("position", "id"))
    index = next(i for i, q in enumerate(siblings) if q.pk == question.pk)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(siblings):
        raise ValidationError(_("The question cannot move further."))
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            Question.objects.filter(pk=sibling.pk).update(position=position)
    try:
        _check_conditions(survey)
    except ValidationError as exc:
        raise ValidationError(_("Moving it would put a question before one its display logic "
                                "depends on.")) from exc
    audit_record(actor=actor, action="survey.question_moved", organisation=survey.organisation,
                 target=survey, details={"question": question.key, "direction": direction})
    return question


@transaction.atomic
def question_delete(*, actor: User, question: Question) -> None:
    survey = question.survey
    check_manage(actor, survey.organisation)
    _check_draft(survey)
    key = question.key
    question.delete()
    try:
        _check_conditions(survey)
    except ValidationError as exc:
        raise ValidationError(_("Another question's display logic depends on this one; "
                                "change that first.")) from exc
    audit_record(actor=actor, action="survey.question_deleted",
                 organisation=survey.organisation, target=survey, details={"question": key})
