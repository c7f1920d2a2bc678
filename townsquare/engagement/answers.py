"""Reading one answer from a submitted form, with the checks every answer gets.

The form field names are ``q-<key>`` (one value, or several for multiple choice), and
``q-<key>-<row>`` for a matrix row or a ranked option, so every page works without
JavaScript. Stored values: a list of choice values (single, multiple, Likert, ranking in
rank order), ``{row: column}`` for a matrix, a number, an ISO date, or text.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from townsquare.engagement.location import read_location_answer
from townsquare.engagement.models import MAX_TEXT_ANSWER, Choice, Question, QuestionKind
from townsquare.engagement.uploads import read_file_answer

MAX_NUMBER_LENGTH = 30


class FormData(Protocol):
    def get(self, key: str, default: Any = ...) -> Any: ...
    def getlist(self, key: str) -> list[Any]: ...


def field_name(question: Question, row: str = "") -> str:
    return f"q-{question.key}-{row}" if row else f"q-{question.key}"


def _options(question: Question) -> list[Choice]:
    return [c for c in question.choices.all() if c.role == "option"]


def _rows(question: Question) -> list[Choice]:
    return [c for c in question.choices.all() if c.role == "row"]


def _clean_text(raw: str) -> str:
    # Stored as typed (HTML is escaped when shown), minus control characters that
    # break exports; line breaks and tabs are kept.
    return "".join(ch for ch in raw if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()


def read_answer(question: Question, data: FormData) -> Any:
    """The value to store for ``question`` from ``data``, or None when left empty.

    Raises ValidationError (a message for the citizen) for an invalid answer.
    """
    kind = question.kind
    if kind == QuestionKind.FILE:
        # A new file, None to remove it, or uploads.KEEP to leave the stored one alone.
        return read_file_answer(question, data)
    if kind == QuestionKind.LOCATION:
        return read_location_answer(question, data)
    if kind in (QuestionKind.SINGLE, QuestionKind.LIKERT, QuestionKind.MULTIPLE):
        return _read_choices(question, data)
    if kind == QuestionKind.MATRIX:
        return _read_matrix(question, data)
    if kind == QuestionKind.RANKING:
        return _read_ranking(question, data)
    raw = str(data.get(field_name(question), "") or "").strip()
    if not raw:
        return None
    if kind == QuestionKind.NUMBER:
        return _read_number(question, raw)
    if kind == QuestionKind.DATE:
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError as exc:
            raise ValidationError(_("Enter a date as year-month-day, for example 2025-03-31.")
                                  ) from exc
        return day.isoformat()
    limit = min(question.max_length or MAX_TEXT_ANSWER, MAX_TEXT_ANSWER)
    text = _clean_text(raw)
    if len(text) > limit:
        raise ValidationError(_("Keep your answer under %(limit)s characters (it has "
                                "%(length)s).") % {"limit": limit, "length": len(text)})
    return text or None


def _read_choices(question: Question, data: FormData) -> list[str] | None:
    picked = [str(v) for v in data.getlist(field_name(question)) if str(v)]
    allowed = {c.value for c in _options(question)}
    if any(v not in allowed for v in picked):
        raise ValidationError(_("Choose from the options given."))
    multiple = question.kind == QuestionKind.MULTIPLE
    if not multiple and len(picked) > 1:
        raise ValidationError(_("Choose only one option."))
    picked = list(dict.fromkeys(picked))
    if multiple and question.max_value and len(picked) > question.max_value:
        raise ValidationError(_("Choose at most %(count)s options.")
                              % {"count": int(question.max_value)})
    return picked or None


def _read_matrix(question: Question, data: FormData) -> dict[str, str] | None:
    columns = {c.value for c in _options(question)}
    chosen: dict[str, str] = {}
    for row in _rows(question):
        value = str(data.get(field_name(question, row.value), "") or "")
        if value and value not in columns:
            raise ValidationError(_("Choose from the options given."))
        if value:
            chosen[row.value] = value
    if question.required and chosen and len(chosen) < len(_rows(question)):
        raise ValidationError(_("Answer every row."))
    return chosen or None


def _read_number(question: Question, raw: str) -> float | int:
    if len(raw) > MAX_NUMBER_LENGTH:
        raise ValidationError(_("Enter a number."))
    try:
        number = float(raw.replace(",", ""))
    except ValueError as exc:
        raise ValidationError(_("Enter a number.")) from exc
    if not math.isfinite(number):
        raise ValidationError(_("Enter a number."))
    if question.min_value is not None and number < question.min_value:
        raise ValidationError(_("Enter a number of at least %(min)s.")
                              % {"min": _plain(question.min_value)})
    if question.max_value is not None and number > question.max_value:
        raise ValidationError(_("Enter a number of at most %(max)s.")
                              % {"max": _plain(question.max_value)})
    return int(number) if number.is_integer() else number


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _read_ranking(question: Question, data: FormData) -> list[str] | None:
    options = _options(question)
    ranks: dict[str, int] = {}
    for option in options:
        raw = str(data.get(field_name(question, option.value), "") or "").strip()
        if not raw:
            continue
        try:
            rank = int(raw)
        except ValueError as exc:
            raise ValidationError(_("Give each option a rank from 1 to %(count)s.")
                                  % {"count": len(options)}) from exc
        if not 1 <= rank <= len(options):
            raise ValidationError(_("Give each option a rank from 1 to %(count)s.")
                                  % {"count": len(options)})
        ranks[option.value] = rank
    if not ranks:
        return None
    if len(set(ranks.values())) != len(ranks):
        raise ValidationError(_("Each rank can be used only once."))
    if len(ranks) != len(options):
        raise ValidationError(_("Rank every option."))
    return [value for value, _rank in sorted(ranks.items(), key=lambda item: item[1])]
