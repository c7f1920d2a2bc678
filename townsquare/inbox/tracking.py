"""Tracking numbers citizens can read out over the phone: "TS-7K3M-Q9X".

Six random characters and one check character from an alphabet without look-alikes
(no 0/O, 1/I/L, U), so a mistyped number is refused at once instead of pointing at
someone else's conversation, and guessing is hopeless (30**6 numbers).
"""

from __future__ import annotations

import secrets
import unicodedata

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "TS"
RANDOM_LENGTH = 6


def _check_character(body: str) -> str:
    total = sum((index + 1) * ALPHABET.index(ch) for index, ch in enumerate(body))
    return ALPHABET[total % len(ALPHABET)]


def _formatted(chars: str) -> str:
    return f"{PREFIX}-{chars[:4]}-{chars[4:]}"


def tracking_number_new() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return _formatted(body + _check_character(body))


def tracking_number_parse(value: str) -> str | None:
    """The canonical number for what a citizen typed, or None when it cannot be one.

    Accepts lower case, spaces, any dash, full-width characters (Chinese input methods)
    and Arabic-Indic digits; the prefix is optional.
    """
    text = unicodedata.normalize("NFKC", value or "")[:64].upper()
    text = text.translate({0x0660 + d: str(d) for d in range(10)})
    chars = "".join(ch for ch in text if ch.isalnum())
    if chars.startswith(PREFIX) and len(chars) == len(PREFIX) + RANDOM_LENGTH + 1:
        chars = chars[len(PREFIX):]
    if len(chars) != RANDOM_LENGTH + 1 or any(ch not in ALPHABET for ch in chars):
        return None
    if _check_character(chars[:-1]) != chars[-1]:
        return None
    return _formatted(chars)
