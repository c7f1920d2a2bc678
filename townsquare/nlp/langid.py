"""Language identification for short posts: script shares, then function words.

Most of the work is done by the writing system: Arabic script, Han characters, kana and
Hangul settle a text almost alone. Within Arabic script, letters that Arabic does not
use point to Persian or Urdu. Within Latin script, counts of very common function words
(and a few letters with diacritics) separate English from the Latin-script languages
citizens are most likely to write in; with no evidence at all a Latin text is taken as
English with low confidence, the most likely case for the governments we serve.

Two languages that each hold at least a fifth of the letters make the text "mixed"
(``languages`` lists them, largest share first). Text without enough letters (emoji,
links, numbers) is "und" (undetermined). Only the first ``SAMPLE_CHARS`` characters are
read: enough to be sure, and a 100,000-character post costs no more than a tweet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from townsquare.nlp.normalise import clean

SAMPLE_CHARS = 4000
MIXED_SHARE = 0.2
MIN_WEIGHT = 3  # letters needed to decide; one Han character counts as three
UNDETERMINED = "und"
MIXED = "mixed"
SUPPORTED = frozenset({"en", "ar", "zh"})

_STRIP = re.compile(
    r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|(?<!\w)@[\w.]+(?:@[\w.-]+)?", re.IGNORECASE
)
_SCRIPTS: dict[str, re.Pattern[str]] = {
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc]"),
    "han": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"),
    "kana": re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]"),
    "hangul": re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]"),
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "greek": re.compile(r"[\u0370-\u03ff]"),
    "hebrew": re.compile(r"[\u0590-\u05ff]"),
    "devanagari": re.compile(r"[\u0900-\u097f]"),
    "thai": re.compile(r"[\u0e00-\u0e7f]"),
}
_WIDE_SCRIPTS = frozenset({"han", "kana", "hangul"})
# Scripts that name one language; others (Cyrillic, Devanagari) serve many.
_SCRIPT_LANGUAGE = {"hangul": "ko", "kana": "ja", "greek": "el", "hebrew": "he", "thai": "th"}
# Persian and Urdu write keheh and Farsi yeh (ک ی) where Arabic writes kaf and yeh
# (ك ي), and add letters of their own. Gulf Arabic borrows چ and گ, so those alone
# do not decide.
_PERSIAN = re.compile(r"[پچژگکی]")
_ARABIC_ONLY = re.compile(r"[كية]")
_URDU = re.compile(r"[ٹڈڑںے]")

_LATIN_WORDS = {
    "en": "the and is are was to of in for you it this that with not have on my your be at "
    "we they will what when please thank thanks can just do no from i me our",
    "fr": "le la les des est et une un pour pas je vous nous dans que qui sur avec ce "
    "mais ne sont merci bonjour très",
    "es": "el la los las es y un una por para que no en con del al se lo muy gracias "
    "hola pero está son",
    "de": "der die das und ist nicht ein eine ich sie wir mit für auf den dem zu danke "
    "bitte sehr es",
    "pt": "o a os as é e um uma para não com que do da em por obrigado muito você são",
    "it": "il lo la gli le è e un una per non che di del della con sono grazie molto",
    "id": "dan yang di ini itu tidak saya kami untuk dengan ada dari terima kasih apa",
    "tr": "ve bir bu da de için ile çok ne değil ben sen teşekkür ederim",
    "nl": "de het een en is niet van ik je wij met voor op dank zijn",
}
_LATIN_SETS = {lang: frozenset(words.split()) for lang, words in _LATIN_WORDS.items()}
_LATIN_INDEX: dict[str, tuple[str, ...]] = {}  # word -> the languages that use it
for _lang, _words in _LATIN_SETS.items():
    for _word in _words:
        _LATIN_INDEX[_word] = (*_LATIN_INDEX.get(_word, ()), _lang)
_LATIN_MARKS = {
    "fr": re.compile(r"[éèêëçàâîïôûœ]"),
    "es": re.compile(r"[ñ¿¡]"),
    "de": re.compile(r"[äöüß]"),
    "pt": re.compile(r"[ãõ]"),
    "tr": re.compile(r"[ğışİ]"),
}
_LATIN_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class LanguageGuess:
    language: str  # ISO 639-1 code, "mixed" or "und"
    confidence: float  # 0..1
    languages: tuple[str, ...] = ()  # the languages found, largest share first

    @property
    def supported(self) -> bool:
        """Whether the models cover this text (a mixed text is covered by its parts)."""
        if self.language == MIXED:
            return any(lang in SUPPORTED for lang in self.languages)
        return self.language in SUPPORTED

    @property
    def primary(self) -> str:
        """The single language to analyse the text in (the largest part of a mixed text)."""
        if self.language == MIXED:
            return self.languages[0]
        return self.language


def _latin_language(text: str) -> tuple[str, float]:
    scores = dict.fromkeys(_LATIN_SETS, 0)
    for token in _LATIN_WORD.findall(text.lower()):
        for lang in _LATIN_INDEX.get(token, ()):
            scores[lang] += 1
    if not text.isascii():  # every mark is a non-ASCII letter
        for lang, pattern in _LATIN_MARKS.items():
            scores[lang] += len(pattern.findall(text))
    best = max(scores, key=lambda lang: (scores[lang], lang == "en"))
    if scores[best] == 0:
        return "en", 0.5
    total = sum(scores.values())
    return best, min(1.0, 0.5 + 0.5 * scores[best] / total * min(1.0, scores[best] / 2))


def _arabic_script_language(letters: str) -> str:
    if len(_URDU.findall(letters)) >= 2:
        return "ur"
    persian = len(_PERSIAN.findall(letters))
    if persian >= 3 and persian > len(_ARABIC_ONLY.findall(letters)):
        return "fa"
    return "ar"


def _script_table() -> npt.NDArray[np.uint8]:
    """Code point -> 1 + index of its script in ``_SCRIPTS`` (0: none of them), built
    from the same patterns the scripts are defined by."""
    table = np.zeros(_TABLE_SIZE, dtype=np.uint8)
    for k, pattern in enumerate(_SCRIPTS.values(), start=1):
        for lo, hi in _ranges(pattern.pattern):
            table[lo : hi + 1] = k
    return table


def _ranges(pattern: str) -> list[tuple[int, int]]:
    """The code point ranges of a pattern that is one character class of ranges."""
    body = pattern[1:-1].encode("ascii").decode("unicode_escape")
    out, i = [], 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            out.append((ord(body[i]), ord(body[i + 2])))
            i += 3
        else:
            out.append((ord(body[i]), ord(body[i])))
            i += 1
    return out


_TABLE_SIZE = 0x31351  # the last entry, past every script, stands for all higher ones
_SCRIPT_NAMES = tuple(_SCRIPTS)
_SCRIPT_CODES: npt.NDArray[np.uint8] | None = None


def _script_counts(samples: list[str]) -> npt.NDArray[np.int64]:
    """Letters of each script in each sample, shape (len(samples), len(_SCRIPTS) + 1):
    every sample in one NumPy pass instead of one regular expression per script."""
    global _SCRIPT_CODES  # noqa: PLW0603 - built once per process, on first use
    if _SCRIPT_CODES is None:
        _SCRIPT_CODES = _script_table()
    width = len(_SCRIPT_NAMES) + 1
    cps = np.frombuffer("".join(samples).encode("utf-32-le"), dtype=np.uint32)
    codes = _SCRIPT_CODES[np.minimum(cps, _TABLE_SIZE - 1)].astype(np.int64)
    rows = np.repeat(np.arange(len(samples), dtype=np.int64), [len(s) for s in samples])
    counts = np.bincount(rows * width + codes, minlength=len(samples) * width)
    return counts.reshape(len(samples), width)


def identify(value: str | bytes | bytearray | None) -> LanguageGuess:
    """The language of a text (never raises)."""
    return identify_many([value])[0]


def identify_many(values: Sequence[str | bytes | bytearray | None]) -> list[LanguageGuess]:
    """``identify`` of each text (the same results, counted in one pass)."""
    samples = [_STRIP.sub(" ", clean(value)[:SAMPLE_CHARS]) for value in values]
    counts = _script_counts(samples)
    return [_decide(text, row) for text, row in zip(samples, counts.tolist(), strict=True)]


def _decide(text: str, counts: list[int]) -> LanguageGuess:
    weights: dict[str, int] = {}
    for script, count in zip(_SCRIPT_NAMES, counts[1:], strict=True):
        if count:
            weights[script] = count * (3 if script in _WIDE_SCRIPTS else 1)
    total = sum(weights.values())
    if total < MIN_WEIGHT:
        return LanguageGuess(UNDETERMINED, 0.0)
    # Japanese writes Han characters between its kana: count them as Japanese then.
    if "kana" in weights and "han" in weights and weights["kana"] >= 0.1 * weights["han"]:
        weights["kana"] += weights.pop("han")
    shares: dict[str, float] = {}
    latin_confidence = 1.0
    for script, weight in weights.items():
        if script == "latin":
            language, latin_confidence = _latin_language(text)
        elif script == "arabic":
            language = _arabic_script_language(text)
        elif script == "han":
            language = "zh"
        else:
            language = _SCRIPT_LANGUAGE.get(script, UNDETERMINED)
        shares[language] = shares.get(language, 0.0) + weight / total
    ranked = sorted(shares, key=lambda lang: -shares[lang])
    present = [lang for lang in ranked if shares[lang] >= MIXED_SHARE]
    if len(present) > 1:
        return LanguageGuess(MIXED, round(sum(shares[p] for p in present), 3), tuple(present))
    top = ranked[0]
    if top == UNDETERMINED:  # a script we cannot name one language for
        return LanguageGuess(UNDETERMINED, 0.0)
    confidence = shares[top] * (latin_confidence if top in _LATIN_SETS else 1.0)
    return LanguageGuess(top, round(confidence, 3), (top,))
