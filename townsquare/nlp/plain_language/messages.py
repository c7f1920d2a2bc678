"""Hint codes and their English default messages.

The UI translates a hint by its code:
``gettext(MESSAGES[hint.code]).format(**hint.params)``.
The templates are marked with ``gettext_noop`` (a local no-op with the name xgettext
looks for) so `make makemessages` puts them in the catalogues while this package stays
free of Django. Codes are stable: change the wording freely, never the code or its
parameter names.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .report import Hint


def gettext_noop(message: str) -> str:
    """Marks a message for translation; the UI translates it when it shows the hint."""
    return message


MESSAGES: Mapping[str, str] = {
    "long_sentence": gettext_noop(
        "This sentence has {count} words. Try to keep sentences under {limit} words."
    ),
    "long_sentence_characters": gettext_noop(
        "This sentence has {count} characters. Try to keep sentences under {limit} characters."
    ),
    "passive": gettext_noop(
        "“{phrase}” may be passive. Say who does it: “we approved it” is clearer "
        "than “it was approved”."
    ),
    "acronym": gettext_noop(
        "“{acronym}” is not explained. Write it out in full the first time, "
        "followed by ({acronym})."
    ),
    "avoid_word": gettext_noop("Try “{suggestion}” instead of “{word}”."),
    "avoid_word_omit": gettext_noop("You can usually leave out “{word}”."),
    "stock_phrase": gettext_noop("“{word}” is a stock phrase. Try “{suggestion}”."),
    "stock_phrase_omit": gettext_noop("“{word}” is a stock phrase. You can usually leave it out."),
    "rare_word": gettext_noop("“{word}” is formal. Try “{suggestion}”."),
    "rare_word_omit": gettext_noop("“{word}” is formal. You can usually leave it out."),
    "agency_word": gettext_noop("Your organisation asks writers to avoid “{word}”."),
}


def make_hint(start: int, end: int, kind: str, code: str, **params: str) -> Hint:
    return Hint(
        start=start,
        end=end,
        kind=kind,
        code=code,
        params=MappingProxyType(params),
        message=MESSAGES[code].format(**params),
    )


def lexical_hint(start: int, end: int, kind: str, word: str, suggestion: str) -> Hint:
    """A hint for a listed word: with a suggestion, or advice to leave it out."""
    if suggestion:
        return make_hint(start, end, kind, kind, word=word, suggestion=suggestion)
    return make_hint(start, end, kind, f"{kind}_omit", word=word)
