"""Plain-language checker for English, Arabic and Simplified Chinese.

    from townsquare.nlp.plain_language import check
    report = check(text, "en", extra_avoid=["stakeholder engagement"])
    report.score, report.grade, report.hints

Pure Python with no Django and no other townsquare imports, so it can run anywhere
(the composer as the author types, review, analytics back-fills, benchmarks).
"""

from __future__ import annotations

from .checker import MAX_TEXT_CHARS, SUPPORTED_LANGUAGES, check, normalise_language
from .messages import MESSAGES
from .report import Hint, Report

__all__ = [
    "MAX_TEXT_CHARS",
    "MESSAGES",
    "SUPPORTED_LANGUAGES",
    "Hint",
    "Report",
    "check",
    "normalise_language",
]
