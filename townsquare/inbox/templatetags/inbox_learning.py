"""Template helpers of the learned router and of corrections (conversation and rules pages)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from townsquare.inbox.learned_router import government_of
from townsquare.inbox.models import Conversation, TrainedClassifier
from townsquare.inbox.services.learning import (
    SENTIMENTS,
    governments_retrainable_by,
    taxonomy_topics,
    topic_name,
)
from townsquare.organisations.models import Organisation
from townsquare.organisations.selectors import organisations_visible_to

register = template.Library()


@register.filter
def sentiment_label(value: str) -> str:
    return str(SENTIMENTS.get(value, value))


@register.filter
def topic_label(value: str) -> str:
    return topic_name(value)


@register.filter
def percent(value: float | None) -> int:
    """A probability as a whole percentage (0.834 → 83)."""
    return round(100 * float(value or 0))


@register.simple_tag
def routing_candidates(conversation: Conversation) -> list[tuple[Organisation, float]]:
    """The learned router's candidates kept with the conversation, with their organisations
    (ones removed since are left out)."""
    entries = [c for c in conversation.routing_candidates or [] if isinstance(c, dict)]
    found = Organisation.objects.in_bulk([int(c.get("organisation", 0)) for c in entries])
    return [(found[int(c["organisation"])], float(c.get("confidence", 0))) for c in entries
            if int(c.get("organisation", 0)) in found]


@register.inclusion_tag("inbox/router_status.html", takes_context=True)
def router_status(context: dict[str, Any]) -> dict[str, Any]:
    """The active router of each government the user sees, and the retrain button for the
    communications office's administrators."""
    user = context["request"].user
    government_ids = {government_of(o) for o in organisations_visible_to(user)}
    routers = {r.government_id: r for r in TrainedClassifier.objects.filter(
        government_id__in=government_ids, kind=TrainedClassifier.Kind.ROUTER,
        is_active=True).defer("weights")}
    governments = Organisation.objects.filter(pk__in=government_ids).order_by("path")
    rows = []
    for government in governments:
        router = routers.get(government.pk)
        known = Organisation.objects.filter(
            pk__in=[int(x) for x in router.labels]).order_by("path") if router else []
        rows.append({"government": government, "router": router, "known": known})
    return {"rows": rows, "can_retrain": bool(governments_retrainable_by(user)),
            "threshold": round(100 * settings.INBOX_ROUTER_THRESHOLD),
            "csrf_token": context.get("csrf_token")}


@register.filter
def reading_label(value: str, field: str) -> str:
    """A corrected value in words: a sentiment or a topic name."""
    if not value:
        return "—"
    return sentiment_label(value) if field == "sentiment" else topic_label(value)


@register.simple_tag
def correction_choices() -> dict[str, list[tuple[str, str]]]:
    return {"sentiments": [(k, str(v)) for k, v in SENTIMENTS.items()],
            "topics": [(t, topic_name(t)) for t in taxonomy_topics()]}
