"""The demo's surveys and polls: a published satisfaction survey and a poll of the
Transport Agency, with generated responses (marked as demo data, shown as such).

Responses are drawn from fixed distributions with a fixed seed, so every demo looks the
same: satisfaction differs by region (the chi-square test finds it) and two regions are
small enough for their cells to be hidden in the breakdown.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from townsquare.engagement.identity import keyed_hash, new_token
from townsquare.engagement.library import survey_create_from_template
from townsquare.engagement.models import (
    Answer,
    Channel,
    Poll,
    Response,
    Status,
    Survey,
    TemplateKind,
    Vote,
)
from townsquare.engagement.services.builder import ChoiceSpec
from townsquare.engagement.services.polls import poll_create
from townsquare.organisations.models import Organisation, Role

DEMO_ORGANISATION = "transport"
RESPONSES = 240
SEED = 8
REGIONS = [("north", 0.36), ("south", 0.30), ("east", 0.22), ("west", 0.08), ("central", 0.04)]
AGES = [("under-25", 0.2), ("25-44", 0.4), ("45-64", 0.28), ("65-plus", 0.12)]
# Satisfaction (very dissatisfied … very satisfied) by region: the east is less happy.
SATISFACTION = ["very-dissatisfied", "dissatisfied", "neutral", "satisfied", "very-satisfied"]
SATISFACTION_WEIGHTS = {"east": [0.18, 0.27, 0.25, 0.2, 0.1]}
DEFAULT_WEIGHTS = [0.05, 0.1, 0.2, 0.4, 0.25]
WHAT_WENT_WRONG = [
    "The bus app showed the wrong times.", "Nobody answered my message for a week.",
    "لم يرد أحد على شكواي.", "网站上的信息不清楚。", "I was sent from one office to another.",
]
IMPROVE = [
    "More buses in the evening.", "Answer on WhatsApp.", "Clearer signs at the interchange.",
    "مواعيد أدق للحافلات.", "希望有中文服务。", "<b>Faster</b> refunds",
]


@dataclass(frozen=True)
class EngagementDemoSummary:
    surveys: int
    responses: int
    votes: int
    consultations: int = 0

    def __str__(self) -> str:
        return (f"Demo surveys and polls: {self.surveys} survey(s) with {self.responses} "
                f"responses, {self.votes} poll votes, {self.consultations} consultation(s).")


# Not security-relevant: plausible sample data, the same on every run.
def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _w in weighted], weights=[w for _v, w in weighted])[0]


def _answers(rng: random.Random) -> dict[str, Any]:
    region, age = _pick(rng, REGIONS), _pick(rng, AGES)
    weights = SATISFACTION_WEIGHTS.get(region, DEFAULT_WEIGHTS)
    satisfaction = rng.choices(SATISFACTION, weights=weights)[0]
    answers: dict[str, Any] = {
        "contact-channel": [rng.choice(["website", "social-media", "phone", "in-person",
                                        "email-sms"])],
        "satisfaction": [satisfaction],
        "resolved": [rng.choices(["yes", "partly", "no"],
                                 weights=[5, 3, 2] if "satisfied" in satisfaction
                                 and "dis" not in satisfaction else [1, 3, 5])[0]],
        "aspects": {row: rng.choice(["poor", "fair", "good", "excellent"])
                    for row in ("speed", "clarity", "courtesy")},
        "region": [region], "age-band": [age],
    }
    if satisfaction in ("very-dissatisfied", "dissatisfied") and rng.random() < 0.6:
        answers["what-went-wrong"] = rng.choice(WHAT_WENT_WRONG)
    if rng.random() < 0.4:
        answers["improve"] = rng.choice(IMPROVE)
    return answers


@transaction.atomic
def engagement_demo_load(now: dt.datetime | None = None) -> EngagementDemoSummary:
    """Idempotent: does nothing when the demo survey already exists."""
    from townsquare.engagement.consultation_demo import consultation_demo_load

    consultations = consultation_demo_load(now)
    organisation = Organisation.objects.filter(slug=DEMO_ORGANISATION).first()
    if organisation is None or Survey.objects.filter(is_demo=True).exists():
        return EngagementDemoSummary(0, 0, 0, consultations)
    membership = organisation.memberships.filter(role=Role.ADMINISTRATOR).select_related(
        "user").first()
    if membership is None:
        return EngagementDemoSummary(0, 0, 0)
    actor, now = membership.user, now or timezone.now()
    survey = survey_create_from_template(actor=actor, organisation=organisation,
                                         template=TemplateKind.SATISFACTION)
    survey.status, survey.published_at, survey.is_demo = Status.PUBLISHED, now, True
    survey.opens_at = now - dt.timedelta(days=30)
    survey.save()
    questions = {q.key: q for q in survey.questions.all()}
    rng = random.Random(SEED)  # noqa: S311 (sample data)
    answers: list[Answer] = []
    for index in range(RESPONSES):
        values = _answers(rng)
        paper = rng.random() < 0.1
        response = Response.objects.create(
            survey=survey, resume_hash=keyed_hash("resume", new_token()),
            channel=Channel.PAPER if paper else rng.choice([Channel.WEB] * 4 + [Channel.EMBED]),
            is_paper=paper, entered_by=actor if paper else None, furthest_section=1,
            submitted_at=now - dt.timedelta(hours=index * 3), region=values["region"][0],
            age_band=values["age-band"][0], is_demo=True)
        answers.extend(Answer(response=response, question=questions[key], value=value)
                       for key, value in values.items())
    Answer.objects.bulk_create(answers)
    poll = poll_create(
        actor=actor, organisation=organisation,
        question="Should night buses run on weekdays too?",
        translations={"ar": {"question": "هل يجب تشغيل الحافلات الليلية في أيام الأسبوع أيضاً؟"},
                      "zh-hans": {"question": "夜间巴士是否也应在工作日运行？"}},
        choices=[ChoiceSpec("Yes", translations={"ar": {"label": "نعم"},
                                                 "zh-hans": {"label": "是"}}),
                 ChoiceSpec("No", translations={"ar": {"label": "لا"},
                                                "zh-hans": {"label": "否"}}),
                 ChoiceSpec("Only on Fridays", translations={
                     "ar": {"label": "أيام الجمعة فقط"}, "zh-hans": {"label": "仅周五"}})])
    Poll.objects.filter(pk=poll.pk).update(status=Status.PUBLISHED, is_demo=True)
    choices = list(poll.choices.all())
    votes = [Vote(poll=poll, choice=rng.choices(choices, weights=[6, 2, 3])[0],
                  voter_key=keyed_hash("demo-voter", str(i)), is_demo=True) for i in range(137)]
    Vote.objects.bulk_create(votes)
    return EngagementDemoSummary(1, RESPONSES, len(votes), consultations)
