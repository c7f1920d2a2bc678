"""Password rules after NIST SP 800-63B: length and a blocklist, no composition rules."""

from __future__ import annotations

import gzip
import itertools
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MIN_LENGTH = 12
MAX_LENGTH = 128
PROJECT_BLOCKLIST = Path(__file__).with_name("data") / "blocked-passwords.txt"
# Words tied to this service that a guesser would try first (NIST "context-specific words").
CONTEXT_WORDS = ("townsquare", "password", "government", "passw0rd", "letmein", "welcome")


@lru_cache(maxsize=1)
def blocked_passwords() -> frozenset[str]:
    """Django's list of 20,000 common passwords plus the project's own list."""
    django_list = Path(password_validation.__file__).resolve().parent / "common-passwords.txt.gz"
    with gzip.open(django_list, "rt", encoding="utf-8") as f:
        words = {line.strip().lower() for line in f if line.strip()}
    if PROJECT_BLOCKLIST.exists():
        for raw_line in PROJECT_BLOCKLIST.read_text(encoding="utf-8").splitlines():
            entry = raw_line.strip()
            if entry and not entry.startswith("#"):
                words.add(entry.lower())
    return frozenset(words)


def _is_repetitive_or_sequential(password: str) -> bool:
    if len(set(password)) <= 2:
        return True
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(password)}
    return len(steps) == 1 and steps.pop() in (-1, 0, 1)


def _personal_words(user: Any) -> list[str]:
    words = list(CONTEXT_WORDS)
    if user is not None:
        for attr in ("username", "first_name", "last_name"):
            part = str(getattr(user, attr, "") or "").lower()
            if len(part) >= 4:
                words.append(part)
        email = str(getattr(user, "email", "") or "").lower()
        local_part = email.split("@")[0]
        if len(local_part) >= 4:
            words.append(local_part)
        if email:
            words.append(email)
    # Longest first, so "alice@example.org" goes before "alice".
    return sorted(set(words), key=len, reverse=True)


def _is_guessable_from(lowered: str, words: list[str]) -> bool:
    """True when the password is one of ``words`` plus a little padding ("Alice2024!")."""
    rest = lowered
    found = False
    for word in words:
        if word in rest:
            found = True
            rest = rest.replace(word, "")
    if not found:
        return False
    # What is left besides the names must be a real secret on its own: not short,
    # not a pattern, not on the list.
    core = "".join(ch for ch in rest if not ch.isspace())
    return (
        len(core) < 8
        or _is_repetitive_or_sequential(core)
        or core in blocked_passwords()
    )


def _normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


class NistPasswordValidator:
    """At least 12 and at most 128 characters of any kind; not common, guessable or personal."""

    def validate(self, password: str, user: Any = None) -> None:
        value = _normalise(password)
        length = len(value)
        if length < MIN_LENGTH:
            raise ValidationError(
                ngettext(
                    "Use at least %(min)d character.",
                    "Use at least %(min)d characters.",
                    MIN_LENGTH,
                )
                % {"min": MIN_LENGTH},
                code="password_too_short",
            )
        if length > MAX_LENGTH:
            raise ValidationError(
                _("Use at most %(max)d characters.") % {"max": MAX_LENGTH},
                code="password_too_long",
            )
        lowered = value.lower()
        if lowered in blocked_passwords() or lowered.strip() in blocked_passwords():
            raise ValidationError(
                _("This password is on a list of common or breached passwords."),
                code="password_blocked",
            )
        if _is_repetitive_or_sequential(value):
            raise ValidationError(
                _("This password is a repeated or sequential pattern."),
                code="password_pattern",
            )
        if _is_guessable_from(lowered, _personal_words(user)):
            raise ValidationError(
                _("This password is too close to your name or to this service's name."),
                code="password_personal",
            )

    def get_help_text(self) -> str:
        return _(
            "Use %(min)d to %(max)d characters. Long passphrases are good; any letters, "
            "numbers, symbols and spaces are allowed."
        ) % {"min": MIN_LENGTH, "max": MAX_LENGTH}
