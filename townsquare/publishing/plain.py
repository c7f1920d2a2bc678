"""The plain-language checker as the composer and review page use it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from townsquare.nlp.plain_language import MESSAGES, Report, check
from townsquare.publishing.models import Post


@dataclass(frozen=True)
class Segment:
    text: str
    hint: str = ""  # the translated hint when this part of the text is highlighted


def translated_hint(code: str, params: dict[str, str]) -> str:
    return _(MESSAGES[code]).format(**params)


def report_for(text: str, language: str) -> Report:
    return check(text, language)


def highlighted(text: str, report: Report) -> list[Segment]:
    """The text cut into plain and highlighted segments (overlapping hints: first wins)."""
    segments: list[Segment] = []
    position = 0
    for hint in sorted(report.hints, key=lambda h: (h.start, -h.end)):
        if hint.start < position or hint.end <= hint.start:
            continue
        if hint.start > position:
            segments.append(Segment(text[position:hint.start]))
        segments.append(Segment(text[hint.start:hint.end],
                                translated_hint(hint.code, dict(hint.params))))
        position = hint.end
    if position < len(text):
        segments.append(Segment(text[position:]))
    return segments


def post_plain_language_score(post: Post) -> float | None:
    """The mean score of the post's language versions (stored on the post for analytics)."""
    scores = [check(v.text, v.language).score for v in post.versions.all() if v.text.strip()]
    return round(sum(scores) / len(scores), 1) if scores else None
