"""``enrich(text)``: everything Townsquare reads from one text, in one call.

The stored original is never changed; ``Enrichment.normalised`` is the analysis form.
Sentiment comes from the model of the text's language (the largest part of a mixed
text). A text without letters (only emoji, say) is read by the English model, which
learnt emoji from tweets; a text in a language we have no model for gets no sentiment
rather than a guess.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from townsquare.nlp import keywords as kw
from townsquare.nlp.features import prepare_folded
from townsquare.nlp.langid import UNDETERMINED, identify
from townsquare.nlp.lexicon import ABUSE, SPAM, URGENCY, TermIndex, analyse, term_index
from townsquare.nlp.normalise import folded, normalise, search_text_of_folded
from townsquare.nlp.sentiment import SENTIMENT_LANGUAGES, Sentiment, shipped_model
from townsquare.nlp.topics import DEFAULT_TAXONOMY, Taxonomy

SPAM_LINKS = 3  # this many links in one post is spam whatever it says
SPAM_HASHTAGS = 8


@dataclass(frozen=True)
class Enrichment:
    language: str  # ISO 639-1 code, "mixed" or "und"
    language_confidence: float
    languages: tuple[str, ...]  # the parts of a mixed text, largest first
    normalised: str
    search_text: str
    sentiment: Sentiment | None
    keywords: tuple[str, ...]
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    urls: tuple[str, ...]
    urgent: bool
    abusive: bool
    spam: bool
    flag_terms: tuple[tuple[str, str], ...]  # (flag, term found): why a flag is set
    topic: str | None
    topic_scores: tuple[tuple[str, int], ...]


@functools.cache
def _flag_index() -> TermIndex:
    return term_index({"urgent": URGENCY, "abusive": ABUSE, "spam": SPAM})


def _has_symbols(text: str) -> bool:
    return any(unicodedata.category(ch) == "So" for ch in text)


def _sentiment(text: str, base: str, language: str) -> Sentiment | None:
    if language == UNDETERMINED and _has_symbols(text):
        language = "en"
    if language not in SENTIMENT_LANGUAGES:
        return None
    # Same as classify(text): text is already normalised, base is its folded form.
    return shipped_model(language).classify_prepared(prepare_folded(base))


def enrich(
    value: str | bytes | bytearray | None,
    *,
    taxonomy: Taxonomy = DEFAULT_TAXONOMY,
    with_sentiment: bool = True,
) -> Enrichment:
    """Analyse one text (never raises on any ``str`` or ``bytes``)."""
    text = normalise(value)
    guess = identify(text)
    language = guess.primary if guess.languages else guess.language
    # normalise is idempotent: fold once, share it with sentiment (was done 3 times).
    base = folded(text)
    search = search_text_of_folded(base, language)
    analysed = analyse(search)
    flag_terms = tuple(
        (flag, term) for flag, terms in _flag_index().find(analysed).items() for term in terms
    )
    flags = {flag for flag, _ in flag_terms}
    links = kw.urls(text)
    tags = kw.hashtags(text)
    spam = "spam" in flags or len(links) >= SPAM_LINKS or len(tags) >= SPAM_HASHTAGS
    match = taxonomy.classify(analysed)
    return Enrichment(
        language=guess.language,
        language_confidence=guess.confidence,
        languages=guess.languages,
        normalised=text,
        search_text=search,
        sentiment=_sentiment(text, base, language) if with_sentiment else None,
        keywords=tuple(kw.keywords(search)),
        hashtags=tuple(tags),
        mentions=tuple(kw.mentions(text)),
        urls=tuple(links),
        urgent="urgent" in flags,
        abusive="abusive" in flags,
        spam=spam,
        flag_terms=flag_terms,
        topic=match.topic,
        topic_scores=match.scores,
    )


def enrich_many(
    values: list[str | bytes | bytearray | None], *, taxonomy: Taxonomy = DEFAULT_TAXONOMY
) -> list[Enrichment]:
    """``enrich`` of each text (the same results), for pipelines that work in batches."""
    return [enrich(value, taxonomy=taxonomy) for value in values]
