"""check(): run the measures for one language and turn them into a score and hints."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import regex

from . import arabic, chinese, english
from .messages import make_hint
from .report import Hint, Report
from .text import (
    Prepared,
    fold,
    fold_phrase,
    longest_unprotected,
    overlaps,
    prepare,
    snap_to_graphemes,
    trie_pattern,
)

# Far beyond any post or notice; refuses pasted books before they cost real time.
MAX_TEXT_CHARS = 1_000_000
MAX_AGENCY_WORDS = 2_000
MAX_AGENCY_WORD_CHARS = 100

_LANGUAGES = {
    "en": "en",
    "ar": "ar",
    "zh": "zh-hans",
    "zh-hans": "zh-hans",
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
}
SUPPORTED_LANGUAGES = ("en", "ar", "zh-hans")

# Lexical hints: when one sits inside another (a formal word inside a stock phrase,
# an agency word equal to a listed word) only the outer or the agency's one is kept.
_LEXICAL = frozenset({"avoid_word", "stock_phrase", "rare_word", "agency_word"})
_PREFERENCE = {"agency_word": 0, "stock_phrase": 1, "avoid_word": 2, "rare_word": 3}


def normalise_language(language: str) -> str:
    if not isinstance(language, str):
        raise TypeError("language must be a string such as 'en', 'ar' or 'zh-hans'")
    code = language.strip().lower().replace("_", "-")
    if code in _LANGUAGES:
        return _LANGUAGES[code]
    base = code.split("-", 1)[0]
    if base in ("en", "ar") and code != base:
        return base  # regional variants: en-gb, ar-ae
    raise ValueError(
        f"unsupported language {language!r}: choose one of {', '.join(SUPPORTED_LANGUAGES)}"
    )


def check(text: str, language: str, *, extra_avoid: Sequence[str] = ()) -> Report:
    """Check ``text`` for plain language in ``language`` ("en", "ar" or "zh-hans").

    ``extra_avoid`` is the agency's own list of words to avoid, matched whatever the
    case, Arabic marks or spacing. Raises ValueError for an unsupported language,
    over-long text or agency words, TypeError for arguments of the wrong type.
    """
    if not isinstance(text, str):
        raise TypeError("text must be a string")
    code = normalise_language(language)
    agency = _agency_matcher(_validated_agency_words(extra_avoid))
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(
            f"text is too long to check: {len(text):,} characters, the limit is {MAX_TEXT_CHARS:,}"
        )
    prepared = prepare(text)
    grade: float | None = None
    if code == "en":
        en = english.analyse(prepared)
        sentences, words, long_spans, hints = en.sentences, en.words, en.long_sentences, en.hints
        grade = en.grade
        limit, unit_code = english.LONG_SENTENCE_WORDS, "long_sentence"
    elif code == "ar":
        ar = arabic.analyse(prepared)
        sentences, words, long_spans, hints = ar.sentences, ar.words, ar.long_sentences, ar.hints
        limit, unit_code = arabic.LONG_SENTENCE_WORDS, "long_sentence"
    else:
        zh = chinese.analyse(prepared)
        sentences, words, long_spans, hints = zh.sentences, zh.words, zh.long_sentences, zh.hints
        limit, unit_code = chinese.LONG_SENTENCE_CHARACTERS, "long_sentence_characters"
    if agency is not None:
        hints = hints + _agency_hints(prepared, agency)
    for start, end, count in long_spans:
        span = longest_unprotected(start, end, prepared.masked, prepared.protected)
        if span is not None:
            hints.append(
                make_hint(
                    span[0], span[1], "long_sentence", unit_code, count=str(count), limit=str(limit)
                )
            )
    final = _finish(prepared, hints)
    return Report(
        language=code,
        score=_score(
            language=code,
            grade=grade,
            sentences=sentences,
            words=words,
            long_sentences=len(long_spans),
            hints=final,
        ),
        grade=grade,
        sentences=sentences,
        words=words,
        long_sentences=len(long_spans),
        hints=final,
    )


def _validated_agency_words(extra_avoid: Sequence[str]) -> tuple[str, ...]:
    if isinstance(extra_avoid, str):
        raise TypeError("extra_avoid must be a list of words, not a single string")
    words = tuple(extra_avoid)
    if len(words) > MAX_AGENCY_WORDS:
        raise ValueError(f"extra_avoid has {len(words)} entries; the limit is {MAX_AGENCY_WORDS}")
    for word in words:
        if not isinstance(word, str):
            raise TypeError(f"extra_avoid entries must be strings, got {type(word).__name__}")
        if len(word) > MAX_AGENCY_WORD_CHARS:
            raise ValueError(
                f"extra_avoid entry {word[:20]!r}… is longer than "
                f"{MAX_AGENCY_WORD_CHARS} characters"
            )
    return words


@dataclass(frozen=True)
class _AgencyMatcher:
    pattern: re.Pattern[str]
    # folded entry → (entry as the agency wrote it, needs a word boundary before, after)
    lookup: dict[str, tuple[str, bool, bool]]


@lru_cache(maxsize=256)
def _agency_matcher(words: tuple[str, ...]) -> _AgencyMatcher | None:
    """One pattern for an agency's list, compiled once and reused while it is unchanged."""
    lookup: dict[str, tuple[str, bool, bool]] = {}
    for word in words:
        key = fold_phrase(word)
        if key and any(ch.isalnum() for ch in key):
            # Whole words only where the entry starts or ends with a letter of a spaced
            # script; Chinese has no spaces, so "有关" is found inside a run of Han.
            lookup.setdefault(key, (word.strip(), _spaced(key[0]), _spaced(key[-1])))
    if not lookup:
        return None
    return _AgencyMatcher(pattern=re.compile(trie_pattern(lookup)), lookup=lookup)


def _spaced(ch: str) -> bool:
    return ch.isalnum() and not _HAN.match(ch)


_HAN = regex.compile(r"\p{Han}")


def _agency_hints(prepared: Prepared, agency: _AgencyMatcher) -> list[Hint]:
    folded = fold(prepared.masked)
    text = folded.text
    hints = []
    for match in agency.pattern.finditer(text):
        word, before, after = agency.lookup[" ".join(match.group().split())]
        if before and match.start() > 0 and text[match.start() - 1].isalnum():
            continue
        if after and match.end() < len(text) and text[match.end()].isalnum():
            continue
        start, end = folded.span(match.start(), match.end(), prepared.text)
        hints.append(make_hint(start, end, "agency_word", "agency_word", word=word))
    return hints


def _finish(prepared: Prepared, hints: list[Hint]) -> tuple[Hint, ...]:
    """Snap to whole graphemes, drop anything touching a link, drop nested duplicates."""
    text = prepared.text
    kept: list[Hint] = []
    for hint in hints:
        start, end = snap_to_graphemes(text, hint.start, hint.end)
        if start >= end or overlaps(start, end, prepared.protected):
            continue
        if (start, end) != (hint.start, hint.end):
            kept.append(Hint(start, end, hint.kind, hint.code, hint.params, hint.message))
        else:
            kept.append(hint)
    lexical = sorted(
        (h for h in kept if h.kind in _LEXICAL),
        key=lambda h: (h.start, -(h.end - h.start), _PREFERENCE[h.kind]),
    )
    dropped: set[int] = set()
    outer: Hint | None = None
    for hint in lexical:
        # Sorted so that for equal spans the agency's own word comes first and wins.
        if outer is not None and hint.start >= outer.start and hint.end <= outer.end:
            dropped.add(id(hint))
            continue
        outer = hint
    result = [h for h in kept if id(h) not in dropped]
    result.sort(key=lambda h: (h.start, h.end, h.kind))
    return tuple(result)


def _score(
    *,
    language: str,
    grade: float | None,
    sentences: int,
    words: int,
    long_sentences: int,
    hints: Sequence[Hint],
) -> int:
    """0–100, higher is plainer: deductions for grade, long sentences and hint density.

    Hints are weighed per 100 words, but never over fewer than 30, so a single jargon
    word in a short post costs a little, not everything.
    """
    if words == 0 or sentences == 0:
        return 100
    penalty = 0.0
    if grade is not None:
        penalty += min(40.0, max(0.0, grade - 7.0) * 5.0)
    else:
        # Arabic and Chinese: average sentence length against a comfortable target.
        target = 15.0 if language == "ar" else 25.0
        average = words / sentences
        penalty += min(30.0, max(0.0, average - target) / target * 30.0)
    penalty += 30.0 * long_sentences / sentences
    other = sum(1 for h in hints if h.kind != "long_sentence")
    penalty += min(50.0, other * 100.0 / max(words, 30) * 4.0)
    return max(0, min(100, round(100 - penalty)))
