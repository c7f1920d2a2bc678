"""Simulated residents writing to the sandbox's agency accounts.

Mentions, replies to agency posts and direct messages, in English, Arabic and Chinese,
across complaints, questions, praise, rumours, emergencies and spam. Every message goes
through ``services.status_create``, the same path as a post made through the API, so
agencies receive notifications exactly as they would from a real Mastodon server.
Deterministic for a given ``random.Random`` (tests pass a seeded one).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.conf import settings

from townsquare.sandbox import services
from townsquare.sandbox.messages import (
    CATEGORIES,
    LANGUAGES,
    PLACES,
    SPAM,
    TEMPLATES,
    TIMES,
    TOPICS,
    TOPICS_BY_AGENCY,
)
from townsquare.sandbox.models import SandboxAccount, SandboxStatus, Visibility

CATEGORY_WEIGHTS = (30, 28, 12, 10, 6, 14)  # complaint … spam
KIND_WEIGHTS = {"mention": 45, "reply": 25, "direct": 30}


@dataclass(frozen=True)
class SimulatedMessage:
    status_id: int
    agency: str
    topic: str
    category: str
    language: str
    kind: str  # mention, reply or direct


def simulate(*, count: int, rng: random.Random) -> list[SimulatedMessage]:
    """Post ``count`` resident messages; nothing when the sandbox has no accounts yet."""
    agencies = list(SandboxAccount.objects.filter(is_agency=True).order_by("pk"))
    citizens = list(SandboxAccount.objects.filter(is_agency=False).order_by("pk"))
    if not agencies or not citizens:
        return []
    return [_one(rng, rng.choice(agencies), rng.choice(citizens)) for _ in range(count)]


def simulate_minute(*, rng: random.Random | None = None) -> list[SimulatedMessage]:
    """One minute of activity at SANDBOX_MESSAGES_PER_MINUTE (0 switches it off)."""
    rate = int(getattr(settings, "SANDBOX_MESSAGES_PER_MINUTE", 6))
    if rate <= 0:
        return []
    rng = rng or random.Random()  # noqa: S311 (simulated chatter, not security)
    messages = simulate(count=rate, rng=rng)
    _favourite_recent_agency_posts(rng)
    return messages


def _one(rng: random.Random, agency: SandboxAccount, citizen: SandboxAccount) -> SimulatedMessage:
    topic = rng.choice(TOPICS_BY_AGENCY.get(agency.agency_slug, TOPICS))
    category = rng.choices(CATEGORIES, weights=CATEGORY_WEIGHTS)[0]
    language = citizen.language if citizen.language in LANGUAGES else "en"
    if rng.random() < 0.2:  # people switch languages
        language = rng.choice(LANGUAGES)
    templates = SPAM[language] if category == "spam" else TEMPLATES[topic][category][language]
    body = rng.choice(templates).format(
        place=rng.choice(PLACES[language]),
        number=rng.randint(2, 99),
        time=rng.choice(TIMES[language]),
    )
    kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
    if category == "spam" or (category == "emergency" and kind == "reply"):
        kind = "mention"
    reply_to = None
    if kind == "reply":
        recent = list(
            SandboxStatus.objects.filter(
                account=agency, deleted_at__isnull=True, visibility=Visibility.PUBLIC
            ).order_by("-id")[:5]
        )
        if recent:
            reply_to = rng.choice(recent)
        else:
            kind = "mention"
    status, _ = services.status_create(
        account=citizen,
        text=f"@{agency.username} {body}",
        visibility=Visibility.DIRECT if kind == "direct" else Visibility.PUBLIC,
        in_reply_to=reply_to,
        language=language,
    )
    return SimulatedMessage(
        status_id=status.pk,
        agency=agency.agency_slug,
        topic=topic,
        category=category,
        language=language,
        kind=kind,
    )


def _favourite_recent_agency_posts(rng: random.Random) -> None:
    recent = SandboxStatus.objects.filter(
        account__is_agency=True, deleted_at__isnull=True, visibility=Visibility.PUBLIC
    ).order_by("-id")[:10]
    for status in recent:
        if rng.random() < 0.3:
            services.status_favourite_add(status=status, count=rng.randint(1, 3))
