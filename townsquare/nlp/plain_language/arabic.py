"""Arabic measures: sentence length in words, stock phrases, formal vocabulary.

All matching runs on a folded copy of the text (no diacritics or tatweel, one alef,
ى→ي, ة→ه), so "بناءً على" and "بناء على" are the same phrase; spans are mapped
back to the original text, marks included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import regex

from .lexicon import entries
from .messages import lexical_hint
from .report import Hint
from .text import (
    Folded,
    Prepared,
    WordMatch,
    fold,
    fold_phrase,
    sentence_spans,
    sentence_word_counts,
    words,
)

LONG_SENTENCE_WORDS = 25
SENTENCE_BOUNDARY = regex.compile(r"[.!?…]+[\"'”’)»]*(?=\s|$)|[؟؛]+|\n")

# Letters written joined in front of a word: conjunctions و/ف, prepositions ب/ل/ك and
# the article (للـ is ل + ال). Stock phrases take only a conjunction ("وفي إطار");
# single formal words take any of them and an attached pronoun or plural ending.
_CONJUNCTIONS = ("", "و", "ف")
_PREFIXES = tuple(
    {c + p + a for c in _CONJUNCTIONS for p in ("", "ب", "ل", "ك") for a in ("", "ال")}
    | {"لل", "ولل", "فلل"}
)
_SUFFIXES = ("", "ه", "ك", "ي", "ها", "هم", "هن", "كم", "كن", "نا", "ات", "ين", "ون", "ان", "هما")
_TATWEEL = "ـ"


@dataclass(frozen=True)
class _Entry:
    rest: tuple[str, ...]  # words after the first
    attached: str  # letters written joined to the following word ("ب"), or ""
    kind: str
    suggestion: str


@dataclass(frozen=True)
class ArabicResult:
    sentences: int
    words: int
    long_sentences: list[tuple[int, int, int]]
    hints: list[Hint]


@cache
def _index() -> dict[str, list[_Entry]]:
    """Every written form of each phrase's first word (folded) → entries starting so.

    The forms with joined letters are spelt out here, once, so that matching is one
    dictionary look-up per word of the text.
    """
    index: dict[str, list[_Entry]] = {}
    for name, kind in (("ar_stock_phrases", "stock_phrase"), ("ar_formal_words", "rare_word")):
        for phrase, suggestion in entries(name).items():
            attached = ""
            parts = fold_phrase(phrase.rstrip(_TATWEEL)).split()
            if phrase.endswith(_TATWEEL):
                attached = parts.pop()  # "بـ" joins the next word
            entry = _Entry(
                rest=tuple(parts[1:]), attached=attached, kind=kind, suggestion=suggestion
            )
            for form in _forms(
                parts[0], article=phrase.startswith("ال"), affixes=kind == "rare_word"
            ):
                options = index.setdefault(form, [])
                if entry not in options:
                    options.append(entry)
    for options in index.values():
        options.sort(key=lambda e: (-len(e.rest), -len(e.attached)))
    return index


def _forms(first: str, *, article: bool, affixes: bool) -> set[str]:
    if not affixes:
        return {c + first for c in _CONJUNCTIONS}
    stem = first[2:] if article and len(first) > 4 else first
    # للـ is ل + ال with the alef dropped: only for words that take the article.
    prefixes = [p for p in _PREFIXES if article or not p.endswith("لل")]
    return {prefix + stem + suffix for prefix in prefixes for suffix in _SUFFIXES}


def analyse(prepared: Prepared) -> ArabicResult:
    folded = fold(prepared.masked)
    tokens = words(folded.text)
    sentences = sentence_spans(folded.text, SENTENCE_BOUNDARY)
    counts = sentence_word_counts(tokens, sentences)
    long_sentences = []
    for (start, end), count in zip(sentences, counts, strict=True):
        if count > LONG_SENTENCE_WORDS:
            o_start, o_end = folded.span(start, end, prepared.text)
            long_sentences.append((o_start, o_end, count))
    return ArabicResult(
        sentences=sum(1 for n in counts if n),
        words=len(tokens),
        long_sentences=long_sentences,
        hints=_phrases(prepared.text, folded, tokens),
    )


def _phrases(original: str, folded: Folded, tokens: Sequence[WordMatch]) -> list[Hint]:
    index = _index()
    keys = [t.group() for t in tokens]
    text = folded.text
    hints = []
    i = 0
    while i < len(tokens):
        best: tuple[int, int, _Entry] | None = None  # words covered, end, entry
        for entry in index.get(keys[i], ()):
            n = 1 + len(entry.rest)
            if tuple(keys[i + 1 : i + n]) != entry.rest:
                continue
            end = tokens[i + n - 1].end()
            if entry.attached:
                if i + n >= len(tokens) or not _joined_prefix(tokens, i + n - 1, entry.attached):
                    continue
                end = tokens[i + n].start() + len(entry.attached)
            if not _spaced(text, tokens, i, n + (1 if entry.attached else 0)):
                continue
            best = (n, end, entry)
            break  # options are sorted longest first
        if best is None:
            i += 1
            continue
        n, end, entry = best
        start, stop = folded.span(tokens[i].start(), end, original)
        hints.append(lexical_hint(start, stop, entry.kind, original[start:stop], entry.suggestion))
        i += n
    return hints


def _joined_prefix(tokens: Sequence[WordMatch], last: int, letters: str) -> bool:
    """The word after ``last`` starts with ``letters`` and goes on ("بإرسال")."""
    word = tokens[last + 1].group()
    return word.startswith(letters) and len(word) > len(letters)


def _spaced(text: str, tokens: Sequence[WordMatch], first: int, count: int) -> bool:
    """The words of a phrase are separated by white space only (no link, no full stop)."""
    for k in range(first, first + count - 1):
        gap = text[tokens[k].end() : tokens[k + 1].start()]
        if not gap or not gap.isspace():
            return False
    return True
