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
from collections.abc import Sequence
from dataclasses import dataclass

from townsquare.nlp import keywords as kw
from townsquare.nlp.backends import LinearBackend, active_backend
from townsquare.nlp.langid import UNDETERMINED, identify_many
from townsquare.nlp.lexicon import ABUSE, SPAM, URGENCY, TermIndex, analyse, term_index
from townsquare.nlp.normalise import folded, normalise, search_text_of_folded
from townsquare.nlp.sentiment import SENTIMENT_LANGUAGES, Sentiment
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


def _sentiment_language(text: str, language: str) -> str | None:
    """The model language that reads this text, or None when no model does."""
    if language == UNDETERMINED and _has_symbols(text):
        return "en"
    return language if language in SENTIMENT_LANGUAGES else None


def _sentiments(
    texts: list[str], bases: list[str], searches: list[str], languages: list[str]
) -> list[Sentiment | None]:
    """Sentiment of each text: one batch per model language."""
    backend = active_backend()
    groups: dict[str, list[int]] = {}
    for row, (text, language) in enumerate(zip(texts, languages, strict=True)):
        model_language = _sentiment_language(text, language)
        if model_language is not None and backend.supports(model_language):
            groups.setdefault(model_language, []).append(row)
    out: list[Sentiment | None] = [None] * len(texts)
    for model_language, rows in groups.items():
        if isinstance(backend, LinearBackend):
            # The folded form is already made: share it (same result as classify_many).
            # The search form of a Chinese text is already cut into words; a model that
            # wants words reuses it ("zh" rows are segmented whatever else they hold).
            found = backend.classify_folded_many(
                [bases[r] for r in rows],
                model_language,
                [searches[r] for r in rows] if model_language == "zh" else None,
            )
        else:
            found = backend.classify_many([texts[r] for r in rows], model_language)
        for row, sentiment in zip(rows, found, strict=True):
            out[row] = sentiment
    return out


def enrich(
    value: str | bytes | bytearray | None,
    *,
    taxonomy: Taxonomy = DEFAULT_TAXONOMY,
    with_sentiment: bool = True,
) -> Enrichment:
    """Analyse one text (never raises on any ``str`` or ``bytes``)."""
    return enrich_many([value], taxonomy=taxonomy, with_sentiment=with_sentiment)[0]


def enrich_many(
    values: Sequence[str | bytes | bytearray | None],
    *,
    taxonomy: Taxonomy = DEFAULT_TAXONOMY,
    with_sentiment: bool = True,
) -> list[Enrichment]:
    """``enrich`` of each text, for pipelines that work in batches: the same results,
    with the sentiment model run once per language over the whole batch."""
    texts = [normalise(value) for value in values]
    guesses = identify_many(texts)
    languages = [g.primary if g.languages else g.language for g in guesses]
    # normalise is idempotent: fold once, share it with search text and sentiment.
    bases = [folded(text) for text in texts]
    searches = [
        search_text_of_folded(base, language)
        for base, language in zip(bases, languages, strict=True)
    ]
    sentiments: list[Sentiment | None] = (
        _sentiments(texts, bases, searches, languages) if with_sentiment else [None] * len(texts)
    )
    flag_index = _flag_index()
    out = []
    for text, guess, search, sentiment in zip(texts, guesses, searches, sentiments, strict=True):
        analysed = analyse(search)
        flag_terms = tuple(
            (flag, term) for flag, terms in flag_index.find(analysed).items() for term in terms
        )
        flags = {flag for flag, _ in flag_terms}
        links = kw.urls(text)
        tags = kw.hashtags(text)
        spam = "spam" in flags or len(links) >= SPAM_LINKS or len(tags) >= SPAM_HASHTAGS
        match = taxonomy.classify(analysed)
        out.append(
            Enrichment(
                language=guess.language,
                language_confidence=guess.confidence,
                languages=guess.languages,
                normalised=text,
                search_text=search,
                sentiment=sentiment,
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
        )
    return out
