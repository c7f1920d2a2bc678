"""The checker's result types: a score for the whole text and hints anchored in it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Hint:
    """One thing to look at again, anchored in the text the author wrote.

    ``start``/``end`` are Python string indices (code points) into the original text,
    always on grapheme-cluster boundaries, so a highlight never cuts an emoji or an
    Arabic letter from its marks. ``code`` plus ``params`` let the UI build a translated
    message; ``message`` is the English default.
    """

    start: int
    end: int
    kind: str
    code: str
    params: Mapping[str, str]
    message: str


@dataclass(frozen=True)
class Report:
    language: str
    score: int
    grade: float | None
    sentences: int
    words: int
    long_sentences: int
    hints: tuple[Hint, ...]
