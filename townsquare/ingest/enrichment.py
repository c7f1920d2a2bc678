"""The enrichment stage: language models over a batch of texts.

No Django here (only ``townsquare.nlp``): the embedded pipeline runs this module in a
pool of worker processes that never set Django up.
"""

from __future__ import annotations

import resource
import time
from typing import Any

from townsquare.nlp.enrichment import enrich_many


def enrich_texts(texts: list[str]) -> list[dict[str, Any]]:
    """ItemEnrichment field values for each text."""
    out = []
    for e in enrich_many(list(texts)):
        sentiment = e.sentiment
        out.append(
            {
                "language": e.language,
                "language_confidence": round(e.language_confidence, 4),
                "languages": list(e.languages),
                "search_text": e.search_text,
                "sentiment": sentiment.label if sentiment else "",
                "sentiment_score": sentiment.score if sentiment else None,
                "sentiment_confidence": sentiment.confidence if sentiment else None,
                "topic": e.topic or "",
                "keywords": list(e.keywords),
                "hashtags": list(e.hashtags),
                "mentions": list(e.mentions),
                "urls": list(e.urls),
                "urgent": e.urgent,
                "abusive": e.abusive,
                "spam": e.spam,
                "flag_terms": [list(pair) for pair in e.flag_terms],
            }
        )
    return out


def timed_enrich(texts: list[str]) -> tuple[list[dict[str, Any]], float, int]:
    """``enrich_texts``, the CPU seconds it took and the peak memory (KiB of resident
    set) of the process that ran it."""
    started = time.process_time()
    values = enrich_texts(texts)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return values, time.process_time() - started, peak


def warm_up() -> None:
    """Load the models once per worker process, before the first batch arrives."""
    enrich_texts(["warm up", "تسخين", "预热"])
