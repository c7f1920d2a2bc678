"""Free-text answers read by ``townsquare.nlp``: sentiment counts and topic clusters.

Every answer goes through ``enrich_many`` once (language, sentiment, keywords, taxonomy
topic). Clusters are explainable on purpose: each answer joins the cluster of its keyword
that is most common among all the answers (ties by the keyword's order in the answer); a
keyword shared by fewer than ``MIN_CLUSTER`` answers does not make a cluster and its
answers are counted under "other". Each cluster also names the government taxonomy topic
most of its answers fall under, when there is one.

Small-cell suppression applies to examples: a cluster of fewer than k answers shows its
count but no example answers, so a rare answer cannot single out who gave it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy

from townsquare.engagement.models import Question, Survey
from townsquare.engagement.selectors import submitted_responses
from townsquare.nlp.enrichment import enrich_many

MAX_ANSWERS = 2000  # the latest answers analysed, so one page view stays quick
MIN_CLUSTER = 2
MAX_CLUSTERS = 8
EXAMPLES = 3
EXAMPLE_LENGTH = 240
SENTIMENTS = ("positive", "neutral", "negative")
TOPIC_NAMES = {
    "emergencies": gettext_lazy("Emergencies"),
    "transport": gettext_lazy("Transport"),
    "roads": gettext_lazy("Roads"),
    "water": gettext_lazy("Water"),
    "electricity": gettext_lazy("Electricity"),
    "waste": gettext_lazy("Waste"),
    "health": gettext_lazy("Health"),
    "education": gettext_lazy("Education"),
    "housing": gettext_lazy("Housing"),
    "benefits-and-tax": gettext_lazy("Benefits and tax"),
    "public-safety": gettext_lazy("Public safety"),
    "documents-and-permits": gettext_lazy("Documents and permits"),
}


@dataclass
class Cluster:
    keyword: str
    count: int
    topic: str = ""  # the taxonomy topic's name, or ""
    examples: list[str] = field(default_factory=list)
    suppressed: bool = False  # fewer than k answers: no examples shown


@dataclass
class FreeTextSummary:
    answered: int
    analysed: int
    # label -> count, in SENTIMENTS order; answers in a language without a model are
    # counted as "unknown".
    sentiment: dict[str, int]
    clusters: list[Cluster]
    other: int  # answers in no cluster
    k: int


def _example(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXAMPLE_LENGTH else text[:EXAMPLE_LENGTH] + "…"


def summarise(texts: list[str], *, k: int) -> FreeTextSummary:
    """``texts`` oldest first; the latest ``MAX_ANSWERS`` are analysed."""
    recent = [t for t in texts if isinstance(t, str) and t.strip()][-MAX_ANSWERS:]
    enriched = enrich_many(recent) if recent else []
    sentiment = dict.fromkeys(SENTIMENTS, 0)
    sentiment["unknown"] = 0
    frequency: Counter[str] = Counter()
    for item in enriched:
        label = item.sentiment.label if item.sentiment else "unknown"
        sentiment[label] = sentiment.get(label, 0) + 1
        frequency.update(set(item.keywords))
    members: dict[str, list[int]] = {}
    other = 0
    for index, item in enumerate(enriched):
        candidates = [kw for kw in item.keywords if frequency[kw] >= MIN_CLUSTER]
        if not candidates:
            other += 1
            continue
        best = max(candidates, key=lambda kw: frequency[kw])
        members.setdefault(best, []).append(index)
    ordered = sorted(members.items(), key=lambda pair: (-len(pair[1]), pair[0]))
    clusters = []
    for keyword, indexes in ordered[:MAX_CLUSTERS]:
        topics = Counter(enriched[i].topic for i in indexes if enriched[i].topic)
        topic = topics.most_common(1)[0][0] if topics else ""
        suppressed = len(indexes) < k
        clusters.append(Cluster(
            keyword=keyword, count=len(indexes),
            topic=str(TOPIC_NAMES.get(topic, topic)) if topic else "",
            examples=[] if suppressed else [_example(recent[i])
                                            for i in reversed(indexes[-EXAMPLES:])],
            suppressed=suppressed))
    other += sum(len(indexes) for _keyword, indexes in ordered[MAX_CLUSTERS:])
    return FreeTextSummary(answered=len(texts), analysed=len(recent), sentiment=sentiment,
                           clusters=clusters, other=other, k=k)


def question_texts(survey: Survey, question: Question) -> list[str]:
    """Every submitted answer to a free-text question, oldest first."""
    return [value for value in submitted_responses(survey).filter(answers__question=question)
            .order_by("submitted_at", "pk").values_list("answers__value", flat=True)
            if isinstance(value, str)]
