"""Text utilities shared by every app: validation of names and safe display."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Characters that change the direction of the text around them. Allowed nowhere in
# names: a name must never be able to reorder what is displayed next to it.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
    "\u200e\u200f\u061c"  # marks
)
# Invisible characters that can make two names look the same. ZWJ and ZWNJ stay
# allowed inside names: Arabic, Persian and emoji sequences need them.
INVISIBLE = frozenset("\u200b\u2060\ufeff\u00ad\u180e")


def has_lone_surrogate(value: str) -> bool:
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)


def storable(value: Any) -> Any:
    """The value with what no database can store (NUL, lone surrogates) made visible as U+FFFD.

    For text that comes from outside and must be kept rather than refused (a citizen's
    message): PostgreSQL refuses NUL in text and JSON, and neither database driver encodes
    lone surrogates. Works through the dicts and lists of a JSON payload.
    """
    if isinstance(value, str):
        if "\x00" not in value and not has_lone_surrogate(value):
            return value
        return "".join(
            "\ufffd" if ch == "\x00" or 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value
        )
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable(item) for item in value]
    return value


def validate_clean_text(value: str) -> None:
    """Refuse text that could not be stored or displayed safely."""
    if has_lone_surrogate(value):
        raise ValidationError(_("This text contains invalid characters."), code="invalid_unicode")
    for ch in value:
        if ch in "\n\r\t":
            continue
        if unicodedata.category(ch) == "Cc":
            raise ValidationError(
                _("This text contains control characters."), code="control_characters"
            )


def validate_name(value: str) -> None:
    """Names of people, organisations and teams: one line, no direction controls."""
    validate_clean_text(value)
    if any(ch in "\n\r\t" for ch in value):
        raise ValidationError(_("A name must fit on one line."), code="multiline")
    if any(ch in BIDI_CONTROLS for ch in value):
        raise ValidationError(
            _("Names cannot contain text-direction control characters."), code="bidi_control"
        )
    visible = [ch for ch in value if ch not in INVISIBLE and not ch.isspace()]
    if value and not visible:
        raise ValidationError(_("A name needs visible characters."), code="invisible")


def normalise_name(value: str) -> str:
    """NFC-normalised, invisible characters removed, surrounding space trimmed."""
    value = unicodedata.normalize("NFC", value)
    return "".join(ch for ch in value if ch not in INVISIBLE).strip()


def strip_bidi_controls(value: str) -> str:
    """For display of text from outside (citizens, networks): drop direction controls."""
    return "".join(ch for ch in value if ch not in BIDI_CONTROLS)
