"""Reads of surveys and polls.

Staff reads are scoped to the organisations the user may see; anything else is a 404, so
ids do not leak. Citizen reads go by slug and only ever find published items.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from townsquare.engagement.models import (
    Choice,
    Poll,
    Question,
    Response,
    Section,
    Status,
    Survey,
)
from townsquare.organisations.selectors import organisations_visible_to


def surveys_visible_to(user: Any) -> QuerySet[Survey]:
    return Survey.objects.filter(
        organisation__in=organisations_visible_to(user)
    ).select_related("organisation").annotate(
        submitted=Count("responses", filter=Q(responses__submitted_at__isnull=False))
    )


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Http404("Not found") from exc


def survey_get_for_user(user: Any, survey_id: Any) -> Survey:
    found = surveys_visible_to(user).filter(pk=_int(survey_id)).first()
    if found is None:
        raise Http404("No such survey")
    return found


def question_get_for_user(user: Any, question_id: Any) -> Question:
    found = Question.objects.filter(
        pk=_int(question_id), survey__organisation__in=organisations_visible_to(user)
    ).select_related("survey__organisation", "section").first()
    if found is None:
        raise Http404("No such question")
    return found


def section_get_for_user(user: Any, section_id: Any) -> Section:
    found = Section.objects.filter(
        pk=_int(section_id), survey__organisation__in=organisations_visible_to(user)
    ).select_related("survey__organisation").first()
    if found is None:
        raise Http404("No such section")
    return found


def survey_structure(survey: Survey) -> list[Section]:
    """Sections in order, each with its questions and their choices prefetched."""
    questions = Question.objects.order_by("position", "id").prefetch_related(
        Prefetch("choices", queryset=Choice.objects.order_by("position", "id"))
    )
    return list(survey.sections.order_by("position", "id").prefetch_related(
        Prefetch("questions", queryset=questions)
    ))


def survey_questions(survey: Survey) -> list[Question]:
    return [q for section in survey_structure(survey) for q in section.questions.all()]


def public_survey(slug: str) -> Survey:
    """A survey citizens may open: published or closed (closed ones say so); never a draft."""
    found = Survey.objects.filter(
        slug=slug, status__in=[Status.PUBLISHED, Status.CLOSED]
    ).select_related("organisation").first()
    if found is None:
        raise Http404("No such survey")
    return found


def polls_visible_to(user: Any) -> QuerySet[Poll]:
    return Poll.objects.filter(
        organisation__in=organisations_visible_to(user)
    ).select_related("organisation").annotate(vote_count=Count("votes"))


def poll_get_for_user(user: Any, poll_id: Any) -> Poll:
    found = polls_visible_to(user).filter(pk=_int(poll_id)).first()
    if found is None:
        raise Http404("No such poll")
    return found


def public_poll(slug: str) -> Poll:
    found = Poll.objects.filter(
        slug=slug, status__in=[Status.PUBLISHED, Status.CLOSED]
    ).select_related("organisation").first()
    if found is None:
        raise Http404("No such poll")
    return found


def poll_counts(poll: Poll) -> list[tuple[Any, int]]:
    counts = dict(poll.votes.values_list("choice").annotate(n=Count("id")).values_list(
        "choice", "n"))
    return [(choice, counts.get(choice.pk, 0)) for choice in poll.choices.all()]


def submitted_responses(survey: Survey) -> QuerySet[Response]:
    return survey.responses.filter(submitted_at__isnull=False)


def public_surveys_and_polls() -> tuple[list[Survey], list[Poll]]:
    surveys = [s for s in Survey.objects.filter(status=Status.PUBLISHED)
               .select_related("organisation") if s.is_open()]
    polls = [p for p in Poll.objects.filter(status=Status.PUBLISHED)
             .select_related("organisation") if p.is_open()]
    return surveys, polls
