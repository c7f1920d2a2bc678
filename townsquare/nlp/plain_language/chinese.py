"""Chinese measures: sentence length in characters, stock phrases, formal words.

Chinese has no spaces between words, so sentences are measured in characters: each
Han character counts one, as does each run of Latin letters or digits. The same
count is reported as the text's ``words``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import regex

from .lexicon import entries
from .messages import lexical_hint
from .report import Hint
from .text import Prepared, sentence_spans, trie_pattern

LONG_SENTENCE_CHARACTERS = 40
SENTENCE_BOUNDARY = regex.compile(r"[。！？；!?;…]+[\"'”’」』）)]*|\.(?=\s|$)|\n")
UNITS = regex.compile(r"\p{Han}|[^\W\p{Han}_]+")


@dataclass(frozen=True)
class ChineseResult:
    sentences: int
    words: int
    long_sentences: list[tuple[int, int, int]]
    hints: list[Hint]


@cache
def _matcher() -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    # One trie over both lists: the longest phrase at a position wins, so "望周知"
    # is one stock phrase, not also the formal word "周知" inside it.
    lookup: dict[str, tuple[str, str]] = {}
    for name, kind in (("zh_stock_phrases", "stock_phrase"), ("zh_formal_words", "rare_word")):
        for phrase, suggestion in entries(name).items():
            lookup.setdefault(phrase, (kind, suggestion))
    # The standard library's engine skips ahead to possible first characters, which
    # makes this pattern several times faster than with the regex module.
    return re.compile(trie_pattern(lookup)), lookup


def analyse(prepared: Prepared) -> ChineseResult:
    masked = prepared.masked
    sentences = sentence_spans(masked, SENTENCE_BOUNDARY)
    total = 0
    counted = 0
    long_sentences = []
    for start, end in sentences:
        units = len(UNITS.findall(masked, start, end))
        total += units
        counted += 1 if units else 0
        if units > LONG_SENTENCE_CHARACTERS:
            long_sentences.append((start, end, units))
    pattern, lookup = _matcher()
    hints = []
    for match in pattern.finditer(masked):
        kind, suggestion = lookup[match.group()]
        hints.append(lexical_hint(match.start(), match.end(), kind, match.group(), suggestion))
    return ChineseResult(sentences=counted, words=total, long_sentences=long_sentences, hints=hints)
