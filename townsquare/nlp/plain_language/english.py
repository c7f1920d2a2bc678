"""English measures: reading grade, long sentences, passive voice, acronyms, word list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import regex

from .lexicon import entries, word_lists
from .messages import lexical_hint, make_hint
from .report import Hint
from .text import WORD, Prepared, WordMatch, sentence_spans, sentence_word_counts, words

LONG_SENTENCE_WORDS = 25
_RULES = word_lists("en_rules")

# A full stop ends a sentence only before white space or the end, so "3.5" and
# "gov.uk" (already masked) do not; a line break always does (posts use them as ends).
SENTENCE_BOUNDARY = regex.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)|\n")
# Abbreviations after which a full stop does not end the sentence.
ABBREVIATIONS = frozenset(_RULES["abbreviations"])

# Acronyms readers know without help. Small on purpose: everything else gets spelt out.
KNOWN_ACRONYMS = frozenset(_RULES["known_acronyms"])
_ROMAN = regex.compile(r"[IVXLC]{1,5}")
_DEFINED_AFTER = regex.compile(r"\(\s*(\p{Lu}[\p{Lu}\p{N}\-]*\p{Lu}[\p{N}]*)s?\s*\)")
_DEFINED_BEFORE = regex.compile(
    r"(?<![\p{L}\p{N}])(\p{Lu}[\p{Lu}\p{N}\-]*\p{Lu}[\p{N}]*)s?\s*\(\s*\p{L}[^)]*?\p{Ll}"
)

BE_VERBS = frozenset(
    {
        "am",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
    }
)
# Words that may sit between the be-verb and the participle ("was not approved").
_BETWEEN = frozenset(_RULES["between_be_and_participle"])
_NOT_ADVERBS = frozenset(_RULES["ly_words_not_adverbs"])
IRREGULAR_PARTICIPLES = frozenset(_RULES["irregular_participles"])
# Participles that after a be-verb describe a state, and -ed words that are not verbs:
# "is closed", "is broken", "is based in" read plainly and would only add noise.
_NOT_PASSIVE = frozenset(_RULES["participles_not_passive"])


@dataclass(frozen=True)
class EnglishResult:
    sentences: int
    words: int
    long_sentences: list[tuple[int, int, int]]  # start, end, word count
    grade: float | None
    hints: list[Hint]


def analyse(prepared: Prepared) -> EnglishResult:
    masked = prepared.masked
    tokens = words(masked)
    sentences = _sentences(masked)
    counts = sentence_word_counts(tokens, sentences)
    long_sentences = [
        (start, end, n)
        for (start, end), n in zip(sentences, counts, strict=True)
        if n > LONG_SENTENCE_WORDS
    ]
    texts = [t.group() for t in tokens]
    keys = _keys(texts)
    total_words = sum(counts)
    grade = None
    if total_words:
        grade = flesch_kincaid_grade(
            words=total_words,
            sentences=sum(1 for n in counts if n),
            syllables=sum(map(_syllables, keys)),
        )
    hints = _avoid_words(prepared.text, tokens, keys)
    hints += _passives(prepared.text, tokens, keys)
    hints += _acronyms(masked, tokens, texts)
    return EnglishResult(
        sentences=sum(1 for n in counts if n),
        words=total_words,
        long_sentences=long_sentences,
        grade=grade,
        hints=hints,
    )


def flesch_kincaid_grade(*, words: int, sentences: int, syllables: int) -> float:
    """The US school grade needed to read the text; never below 0."""
    grade = 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59
    return round(max(0.0, grade), 1)


def _sentences(masked: str) -> list[tuple[int, int]]:
    spans = sentence_spans(masked, SENTENCE_BOUNDARY)
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and _ends_with_abbreviation(masked, merged[-1]):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _ends_with_abbreviation(masked: str, span: tuple[int, int]) -> bool:
    chunk = masked[span[0] : span[1]]
    if not chunk.endswith("."):
        return False
    last = chunk[:-1].rsplit(maxsplit=1)[-1] if chunk[:-1].split() else ""
    last = last.lower().rstrip(".")
    # "J. Smith": a lone capital initial is not the end of a sentence either.
    return last in ABBREVIATIONS or (len(last) == 1 and chunk[-2:-1].isupper())


_VOWEL_GROUPS = regex.compile(r"[aeiouy]+")
_HIATUS_IA = regex.compile(r"(?<![cgst])ia")
_HIATUS_UA = regex.compile(r"(?<![gq])ua")
_SYLLABLE_EXCEPTIONS = {
    "business": 2,
    "create": 2,
    "created": 3,
    "creates": 2,
    "creating": 3,
    "every": 2,
    "everyone": 3,
    "different": 3,
    "evening": 2,
    "interest": 2,
    "family": 3,
    "people": 2,
    "poem": 2,
    "science": 2,
    "quiet": 2,
    "real": 1,
    "naive": 2,
    "forecast": 2,
    "via": 2,
}


def syllables(word: str) -> int:
    """Syllables by vowel groups, corrected for the commonest English spellings."""
    return _syllables(word.lower())


@lru_cache(maxsize=65536)
def _syllables(lowered: str) -> int:
    w = "".join(ch for ch in lowered if "a" <= ch <= "z")
    if not w:
        return 1  # numbers and words in other scripts count as one
    if w in _SYLLABLE_EXCEPTIONS:
        return _SYLLABLE_EXCEPTIONS[w]
    if len(w) <= 3:
        return 1
    stem = w[1:] if w[0] == "y" else w
    count = len(_VOWEL_GROUPS.findall(stem))
    if w.endswith("e") and not w.endswith(("ee", "ye")) and w[-2] not in "aeiouy":
        if not (w.endswith("le") and w[-3] not in "aeiouy"):
            count -= 1  # silent final e: "make", "service" (but "table" keeps it)
    elif w.endswith("ed") and w[-3] not in "aeiouytd":
        count -= 1  # "jumped" (but "wanted" keeps it)
    elif (
        w.endswith("es")
        and w[-3] not in "aeiouysxz"
        and not w.endswith(("ches", "shes", "ges", "ces"))
    ):
        count -= 1  # "makes" (but "boxes", "changes" keep it)
    if w.endswith(("ea", "eo", "io")) and not w.endswith(("tio", "sio", "cio")):
        count += 1  # "area", "video", "radio"
    if w.endswith("ing") and len(w) > 4 and w[-4] in "aeiouy":
        count += 1  # "being", "going"
    count += len(_HIATUS_IA.findall(w))  # "media", "material"
    count += len(_HIATUS_UA.findall(w))  # "actual", "usually"
    return max(1, count)


@cache
def _avoid_index() -> dict[str, list[tuple[list[str], str]]]:
    """First word (and each inflected form of it) → [(words of the phrase, suggestion)].

    Inflected forms are generated once here ("utilise" → "utilised", "utilising"…) so
    matching is one dictionary look-up per word of the text.
    """
    index: dict[str, list[tuple[list[str], str]]] = {}
    for phrase, suggestion in entries("en_avoid").items():
        parts = [_key(m.group()) for m in WORD.finditer(phrase)]
        if not parts:
            continue
        for form in (parts[0], *_inflections(parts[0])):
            option = ([form, *parts[1:]], suggestion)
            if form == parts[0] or option not in index.get(form, []):
                index.setdefault(form, []).append(option)
    for options in index.values():
        options.sort(key=lambda option: -len(option[0]))
    return index


def _key(word: str) -> str:
    return word.lower().replace("’", "'")


def _keys(texts: list[str]) -> list[str]:
    """_key of every word, done in one pass over the joined text (words hold no \\n)."""
    if not texts:
        return []
    return "\n".join(texts).lower().replace("’", "'").split("\n")


def _inflections(word: str) -> list[str]:
    """Plural, past and -ing forms of a base word; over-generating is harmless."""
    if not word.isalpha() or len(word) < 4:
        return []
    forms = [word + "s", word + "es", word + "ed", word + "ing"]
    if word.endswith("e"):
        forms += [word + "d", word[:-1] + "ing"]
    if word.endswith("y") and word[-2] not in "aeiou":
        forms += [word[:-1] + "ies", word[:-1] + "ied"]
    if word[-1] not in "aeiouwxy" and word[-2] in "aeiou" and word[-3] not in "aeiou":
        forms += [word + word[-1] + "ed", word + word[-1] + "ing"]  # "commit" → "committed"
    return forms


def _joined(text: str, tokens: Sequence[WordMatch], first: int, last: int) -> bool:
    """Tokens first..last are separated by white space only (no punctuation, no link)."""
    for i in range(first, last):
        gap = text[tokens[i].end() : tokens[i + 1].start()]
        if not gap or not gap.isspace():
            return False
    return True


def _avoid_words(text: str, tokens: Sequence[WordMatch], keys: list[str]) -> list[Hint]:
    index = _avoid_index()
    hints = []
    i = 0
    while i < len(tokens):
        matched = 0
        for parts, suggestion in index.get(keys[i], ()):
            n = len(parts)
            if keys[i : i + n] != parts:
                continue
            if n > 1 and not _joined(text, tokens, i, i + n - 1):
                continue
            start, end = tokens[i].start(), tokens[i + n - 1].end()
            hints.append(lexical_hint(start, end, "avoid_word", text[start:end], suggestion))
            matched = n
            break
        i += matched or 1
    return hints


def _is_participle(word: str) -> bool:
    if word in _NOT_PASSIVE:
        return False
    return word in IRREGULAR_PARTICIPLES or (word.endswith("ed") and len(word) > 4)


def _is_between(word: str) -> bool:
    return word in _BETWEEN or (word.endswith("ly") and len(word) > 4 and word not in _NOT_ADVERBS)


def _passives(text: str, tokens: Sequence[WordMatch], keys: list[str]) -> list[Hint]:
    hints = []
    i = 0
    while i < len(keys):
        if keys[i] not in BE_VERBS:
            i += 1
            continue
        j = i + 1
        while j < len(keys) and j - i <= 3 and _is_between(keys[j]):
            j += 1
        if j < len(keys) and _is_participle(keys[j]) and _joined(text, tokens, i, j):
            start, end = tokens[i].start(), tokens[j].end()
            hints.append(make_hint(start, end, "passive", "passive", phrase=text[start:end]))
            i = j  # "is being processed" is one passive, not also "being processed"
        i += 1
    return hints


def _acronym_of(word: str) -> str | None:
    base = word
    for suffix in ("'s", "’s", "s"):
        if base.endswith(suffix) and len(base) > len(suffix) + 1:
            base = base[: -len(suffix)]
            break
    letters = [ch for ch in base if ch.isalpha()]
    if len(letters) < 2 or len(base) > 10 or not all(ch.isupper() for ch in letters):
        return None
    if not base[0].isalpha() or _ROMAN.fullmatch(base):
        return None
    return base


def _acronyms(masked: str, tokens: Sequence[WordMatch], texts: list[str]) -> list[Hint]:
    # Only words starting with two capitals can be acronyms; most posts have none.
    candidates = [i for i, word in enumerate(texts) if word[:2].isupper()]
    if not candidates:
        return []
    defined: dict[str, int] = {}
    for pattern in (_DEFINED_AFTER, _DEFINED_BEFORE):
        for match in pattern.finditer(masked):
            defined[match.group(1)] = min(defined.get(match.group(1), match.start()), match.start())
    reported: set[str] = set()
    hints = []
    for i in candidates:
        token = tokens[i]
        acronym = _acronym_of(texts[i])
        if acronym is None or acronym in reported:
            continue
        if acronym in KNOWN_ACRONYMS or acronym.split("-")[0] in KNOWN_ACRONYMS:
            continue
        # Three capitalised words in a row is shouting ("PLEASE READ THIS"), not acronyms.
        if _capital_run(tokens, i) >= 3:
            continue
        if defined.get(acronym, len(masked) + 1) <= token.start():
            continue
        reported.add(acronym)
        hints.append(make_hint(token.start(), token.end(), "acronym", "acronym", acronym=acronym))
    return hints


def _capital_run(tokens: Sequence[WordMatch], i: int) -> int:
    """The length of the run of all-capital words that word ``i`` belongs to."""
    first = i
    while first > 0 and _all_capitals(tokens[first - 1].group()):
        first -= 1
    last = i
    while last + 1 < len(tokens) and _all_capitals(tokens[last + 1].group()):
        last += 1
    return last - first + 1


def _all_capitals(word: str) -> bool:
    return word.isupper()
