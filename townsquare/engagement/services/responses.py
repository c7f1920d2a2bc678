"""Responses: start, save a page, submit; and paper responses entered by staff.

Answers to questions hidden by skip logic are discarded, not refused: a form filled in
without JavaScript may still carry an answer to a question that an earlier answer has
since hidden, and refusing it would strand the citizen. Nothing hidden is ever stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.core.services import audit_record
from townsquare.engagement.anomalies import current_address_key
from townsquare.engagement.answers import FormData, read_answer
from townsquare.engagement.identity import keyed_hash, new_token
from townsquare.engagement.logic import visible_questions
from townsquare.engagement.models import Answer, Channel, Question, Response, Section, Survey
from townsquare.engagement.selectors import survey_structure
from townsquare.engagement.uploads import KEEP
from townsquare.organisations.models import User


class SurveyClosedError(ValidationError):
    pass


class AlreadyRespondedError(ValidationError):
    pass


@dataclass
class PageResult:
    errors: dict[str, str]
    next_section: int | None = None  # None: every page is done, the response can be submitted


def _check_open(survey: Survey, now: dt.datetime | None = None) -> None:
    if not survey.is_open(now):
        raise SurveyClosedError(_("This survey is not open for responses."))


def response_start(*, survey: Survey, channel: str = Channel.WEB, respondent_key: str = "",
                   email_domain: str = "", now: dt.datetime | None = None,
                   ) -> tuple[Response, str]:
    """A response in progress and the secret for the respondent's resume cookie.

    A verified person who already started gets their response back (with a new secret,
    since they may be on another device); one who already submitted is told so.
    """
    _check_open(survey, now)
    token = new_token()
    if respondent_key:
        existing = survey.responses.filter(respondent_key=respondent_key).first()
        if existing is not None:
            return _resume_existing(existing, token)
    try:
        with transaction.atomic():
            response = Response.objects.create(
                survey=survey, respondent_key=respondent_key, channel=channel,
                resume_hash=keyed_hash("resume", token), email_domain=email_domain,
                address_key=current_address_key(f"survey:{survey.pk}"))
    except IntegrityError:
        # The same person started twice at once: the database let exactly one through.
        existing = survey.responses.filter(respondent_key=respondent_key).first()
        if existing is None:
            raise
        return _resume_existing(existing, token)
    return response, token


def _resume_existing(response: Response, token: str) -> tuple[Response, str]:
    if response.submitted_at is not None:
        raise AlreadyRespondedError(_("You have already answered this survey. Thank you."))
    response.resume_hash = keyed_hash("resume", token)
    response.save(update_fields=["resume_hash", "updated_at"])
    return response, token


def response_for_token(*, survey: Survey, token: str) -> Response | None:
    if not token or len(token) > 100:
        return None
    return survey.responses.filter(resume_hash=keyed_hash("resume", token)).first()


def stored_answers(response: Response) -> dict[str, Any]:
    return dict(response.answers.values_list("question__key", "value"))


def _read_questions(questions: list[Question], data: FormData) -> tuple[dict[str, Any],
                                                                          dict[str, str]]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in questions:
        try:
            value = read_answer(question, data)
        except ValidationError as exc:
            errors[question.key] = " ".join(exc.messages)
            continue
        if value is not KEEP:  # a file question with no new file keeps the stored one
            values[question.key] = value
    return values, errors


def _required_errors(questions: list[Question], answers: dict[str, Any],
                     shown: set[str]) -> dict[str, str]:
    return {q.key: str(_("Answer this question.")) for q in questions
            if q.required and q.key in shown and answers.get(q.key) in (None, "", [], {})}


def next_section_index(sections: list[Section], after: int, answers: dict[str, Any],
                       ) -> int | None:
    """The next page with at least one question shown, or None at the end."""
    questions = [q for s in sections for q in s.questions.all()]
    shown = visible_questions(questions, answers)
    for index in range(after + 1, len(sections)):
        if any(q.key in shown for q in sections[index].questions.all()):
            return index
    return None


def _write_answers(response: Response, questions: list[Question], answers: dict[str, Any],
                   shown: set[str]) -> None:
    by_key = {q.key: q for q in questions}
    hidden = [q.pk for q in questions if q.key not in shown]
    response.answers.filter(question_id__in=hidden).delete()
    for key, value in answers.items():
        question = by_key[key]
        if key not in shown or value in (None, "", [], {}):
            response.answers.filter(question=question).delete()
            continue
        Answer.objects.update_or_create(response=response, question=question,
                                        defaults={"value": value})


@transaction.atomic
def response_save_page(*, response: Response, section_index: int, data: FormData,
                       now: dt.datetime | None = None) -> PageResult:
    """Check and store the answers of one page; the next page to show, or the errors."""
    survey = response.survey
    _check_open(survey, now)
    response = Response.objects.select_for_update().get(pk=response.pk)
    if response.submitted_at is not None:
        raise AlreadyRespondedError(_("This response has already been sent. Thank you."))
    sections = survey_structure(survey)
    if not 0 <= section_index <= min(response.furthest_section, len(sections) - 1):
        # A tampered page number: pages are answered in order.
        raise ValidationError(_("That page is not available yet."))
    page_questions = list(sections[section_index].questions.all())
    all_questions = [q for s in sections for q in s.questions.all()]
    values, errors = _read_questions(page_questions, data)
    answers = {**stored_answers(response), **values}
    shown = visible_questions(all_questions, answers)
    errors = {key: message for key, message in errors.items() if key in shown}
    errors.update({k: v for k, v in _required_errors(page_questions, answers, shown).items()
                   if k not in errors})
    if errors:
        return PageResult(errors=errors)
    _write_answers(response, all_questions, values, shown)
    following = next_section_index(sections, section_index, answers)
    furthest = following if following is not None else section_index
    response.furthest_section = max(response.furthest_section, furthest)
    response.save(update_fields=["furthest_section", "updated_at"])
    return PageResult(errors={}, next_section=following)


def _segments(questions: list[Question], answers: dict[str, Any]) -> dict[str, str]:
    segments: dict[str, str] = {}
    for question in questions:
        value = answers.get(question.key)
        if question.segment and isinstance(value, list) and value:
            segments[question.segment] = str(value[0])[:40]
    return segments


@transaction.atomic
def response_submit(*, response: Response, now: dt.datetime | None = None) -> PageResult:
    """Send the response; a required question left unanswered sends the citizen back there."""
    survey = response.survey
    _check_open(survey, now)
    response = Response.objects.select_for_update().get(pk=response.pk)
    if response.submitted_at is not None:
        # A double submission (two clicks, a resent form) changes nothing.
        return PageResult(errors={})
    sections = survey_structure(survey)
    questions = [q for s in sections for q in s.questions.all()]
    answers = stored_answers(response)
    shown = visible_questions(questions, answers)
    missing = _required_errors(questions, answers, shown)
    if missing:
        first = next(i for i, s in enumerate(sections)
                     if any(q.key in missing for q in s.questions.all()))
        return PageResult(errors=missing, next_section=first)
    response.answers.exclude(question__key__in=shown).delete()
    for name, value in _segments(questions, answers).items():
        setattr(response, name, value)
    response.submitted_at = now or timezone.now()
    response.save()
    return PageResult(errors={})


@transaction.atomic
def response_enter_paper(*, actor: User, survey: Survey, data: FormData,
                         now: dt.datetime | None = None) -> tuple[Response | None, dict[str, str]]:
    """A paper questionnaire typed in by staff: the whole survey at once, marked as paper."""
    from townsquare.engagement.services.builder import check_manage

    check_manage(actor, survey.organisation)
    _check_open(survey, now)
    questions = [q for s in survey_structure(survey) for q in s.questions.all()]
    answers, errors = _read_questions(questions, data)
    shown = visible_questions(questions, answers)
    errors = {k: v for k, v in errors.items() if k in shown}
    errors.update({k: v for k, v in _required_errors(questions, answers, shown).items()
                   if k not in errors})
    if errors:
        return None, errors
    response = Response.objects.create(
        survey=survey, channel=Channel.PAPER, is_paper=True, entered_by=actor,
        resume_hash=keyed_hash("resume", new_token()), submitted_at=now or timezone.now(),
        furthest_section=0, **_segments(questions, {k: v for k, v in answers.items()
                                                    if k in shown}))
    _write_answers(response, questions, answers, shown)
    audit_record(actor=actor, action="survey.paper_response_entered",
                 organisation=survey.organisation, target=survey,
                 details={"response": response.pk})
    return response, {}
