"""Text normalisation for analysis and search.

Everything here works on a copy made for analysis: callers keep the original text as
received (with its direction controls and invisible characters) for display and the
archive. No function in this module raises on any ``str``; bytes are decoded with
invalid sequences replaced, because text from networks is not always valid UTF-8 and
losing a whole message over one bad byte is worse than one replacement character.
"""

from __future__ import annotations

import re
import unicodedata

# Direction controls reorder what is displayed around them and mean nothing to a model.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
    "\u200e\u200f\u061c"  # marks
)
# Zero-width and invisible characters: they split words for a tokenizer while looking
# the same to a reader (a favourite trick to slip abuse past keyword lists).
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u034f")

_REMOVE = {ord(ch): None for ch in BIDI_CONTROLS | ZERO_WIDTH}
# C0/C1 controls (NUL included) become spaces so that words on either side stay apart;
# tab and newline are kept as whitespace.
_CONTROLS = {cp: " " for cp in [*range(0x20), *range(0x7F, 0xA0)] if cp not in (9, 10)}
_CLEAN = {**_REMOVE, **_CONTROLS}
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPACES = re.compile(r"[^\S\n]+")

# Arabic: harakat, Quranic marks and the superscript alef carry no meaning for search
# and are written inconsistently; tatweel only stretches a word.
_ARABIC_MARKS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ی": "ي",  # Persian yeh, common in Gulf typing
        "ئ": "ي",
        "ؤ": "و",
        "ة": "ه",
        "ک": "ك",
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Extended (Persian) digits
    }
)
_ARABIC_ANY = re.compile(r"[\u0600-\u06ff\u0750-\u077f]")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")


def to_text(value: str | bytes | bytearray | None) -> str:
    """Any inbound value as a valid Python ``str`` (never raises).

    Lone surrogates (possible in ``str`` decoded with ``surrogateescape`` or from JSON
    ``\\ud800`` escapes) cannot be encoded to UTF-8 for storage, so they become U+FFFD.
    """
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return str(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # the only way a str fails to encode: lone surrogates
        return _SURROGATE.sub("\ufffd", value)
    return value


def clean(value: str | bytes | bytearray | None) -> str:
    """Valid text with controls, direction marks and zero-width characters removed."""
    text = to_text(value)
    return text.translate(_CLEAN)


def normalise(value: str | bytes | bytearray | None) -> str:
    """The analysis form: cleaned, NFKC, runs of spaces collapsed, trimmed.

    NFKC folds full-width Latin and digits (common in Chinese input methods), ligatures
    and Arabic presentation forms into their ordinary letters. It can re-introduce
    nothing we removed, so cleaning first is safe.
    """
    text = unicodedata.normalize("NFKC", clean(value))
    return _SPACES.sub(" ", text).strip()


def normalise_arabic(text: str) -> str:
    """Arabic spelling variants unified: marks and tatweel removed, alef/yaa/taa
    marbuta/hamza carriers unified, Arabic-Indic digits as ASCII digits."""
    if not _ARABIC_ANY.search(text):
        return text
    return _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS)


def search_text(value: str | bytes | bytearray | None, language: str | None = None) -> str:
    """The string full-text indexes store and queries are matched against.

    Normalised, case-folded, Arabic unified and Chinese segmented into words separated
    by spaces (FTS5 and PostgreSQL split on spaces, and neither knows Chinese words).
    Queries must go through the same function so that both sides agree. Japanese text
    is left unsegmented: a Chinese dictionary would cut it wrongly.
    """
    return search_text_of_folded(folded(normalise(value)), language)


def folded(normalised: str) -> str:
    """Case-folded with Arabic unified: the common start of the search text and of the
    sentiment models' view of an already ``normalise``d text."""
    return normalise_arabic(normalised.casefold())


def search_text_of_folded(text: str, language: str | None = None) -> str:
    """``search_text`` of a text already through ``normalise`` and ``folded``.

    ``normalise`` is idempotent (checked over every code point), so enrichment
    normalises once and shares the folded form instead of redoing it per stage.
    """
    if language != "ja" and _HAN_RUN.search(text):
        from townsquare.nlp.segment import segment

        text = _HAN_RUN.sub(lambda m: " " + " ".join(segment(m.group())) + " ", text)
        text = _SPACES.sub(" ", text).strip()
    return text
