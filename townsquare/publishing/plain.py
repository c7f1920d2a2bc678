"""The plain-language checker as the composer and review page use it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from townsquare.nlp.plain_language import MESSAGES, Report, check
from townsquare.organisations.models import Organisation
from townsquare.publishing.models import AvoidWord, Post


@dataclass(frozen=True)
class Segment:
    text: str
    hint: str = ""  # the translated hint when this part of the text is highlighted


def translated_hint(code: str, params: dict[str, str]) -> str:
    return _(MESSAGES[code]).format(**params)


def agency_words(organisation: Organisation | None) -> tuple[str, ...]:
    """The organisation's own words to avoid and those of the organisations above it.

    A tuple in a stable order so the checker's compiled pattern cache is reused.
    """
    if organisation is None:
        return ()
    ancestors = [int(pk) for pk in organisation.path.strip("/").split("/") if pk]
    words = AvoidWord.objects.filter(organisation_id__in=ancestors or [organisation.pk])
    return tuple(sorted(set(words.values_list("word", flat=True))))


def report_for(text: str, language: str, *, extra_avoid: Sequence[str] = ()) -> Report:
    return check(text, language, extra_avoid=extra_avoid)


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
    extra = agency_words(post.organisation)
    scores = [check(v.text, v.language, extra_avoid=extra).score
              for v in post.versions.all() if v.text.strip()]
    return round(sum(scores) / len(scores), 1) if scores else None
