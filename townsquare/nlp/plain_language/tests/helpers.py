"""Small helpers shared by the checker's tests."""

from __future__ import annotations

from townsquare.nlp.plain_language import Report


def flagged(report: Report, text: str, kind: str | None = None) -> list[str]:
    """The text under each hint (of one kind, if given), in order."""
    return [text[h.start : h.end] for h in report.hints if kind is None or h.kind == kind]


def kinds(report: Report) -> set[str]:
    return {h.kind for h in report.hints}
