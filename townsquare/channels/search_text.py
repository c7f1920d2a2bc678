"""The normalised text the public directory searches (``Account.search_text``).

Pure functions (no models), so the data migration that fills the column uses exactly the
same rules as the services that keep it up to date.

One rule set for the stored text and for the query, so that a citizen finds an account
however they type its name:

- Unicode NFKC and case folding (full-width Latin, ligatures, upper case);
- Arabic: short vowels and other diacritics, the superscript alef and the tatweel are
  removed; alef with hamza or madda and alef wasla become a bare alef; alef maqsura
  becomes yeh, teh marbuta becomes heh, hamza on waw or yeh becomes waw or yeh —
  the spellings people use interchangeably when they type;
- invisible and direction-control characters are removed, control characters and lone
  surrogates become spaces;
- Chinese needs no segmentation: the directory matches substrings, and every query
  term is looked up with a database ``LIKE '%term%'`` on SQLite and PostgreSQL alike.

Fields are joined with line breaks, which a query term (split on white space) never
contains, so a term cannot match across two fields.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_LETTERS = str.maketrans(
    {
        "\u0623": "\u0627",  # أ
        "\u0625": "\u0627",  # إ
        "\u0622": "\u0627",  # آ
        "\u0671": "\u0627",  # ٱ
        "\u0649": "\u064a",  # ى → ي
        "\u0629": "\u0647",  # ة → ه
        "\u0624": "\u0648",  # ؤ → و
        "\u0626": "\u064a",  # ئ → ي
    }
)
# Control characters and lone surrogates: never part of a name, and PostgreSQL refuses
# NUL and unpaired surrogates in a query parameter (a 500 instead of "nothing found").
_UNUSABLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACES = re.compile(r"[^\S\n]+")
MAX_TERMS = 8


def fold(text: str) -> str:
    """``text`` as the directory compares it."""
    text = unicodedata.normalize("NFKC", text).casefold()
    # NFKC first: it may compose presentation forms into letters that carry marks.
    text = _INVISIBLE.sub("", _ARABIC_MARKS.sub("", _UNUSABLE.sub(" ", text)))
    return _SPACES.sub(" ", text.translate(_LETTERS)).strip()


def query_terms(query: str) -> list[str]:
    """The terms of a citizen's query; a leading "@" of a handle does not matter."""
    terms = [term.lstrip("@") for term in fold(query).split()]
    return [term for term in terms if term][:MAX_TERMS]


def organisation_names(
    *, name: str, short_name: str, slug: str, translations: Mapping[str, Any] | None
) -> list[str]:
    names = [name, short_name, slug]
    for fields in (translations or {}).values():
        if isinstance(fields, Mapping):
            names += [str(fields.get("name") or ""), str(fields.get("short_name") or "")]
    return names


def build_search_text(
    *, handle: str, display_name: str, url: str, organisation: Iterable[str]
) -> str:
    parts = [handle, handle.lstrip("@"), display_name, url, *organisation]
    seen: dict[str, None] = {}
    for part in parts:
        folded = fold(part).replace("\n", " ")
        if folded:
            seen.setdefault(folded)
    return "\n".join(seen)
