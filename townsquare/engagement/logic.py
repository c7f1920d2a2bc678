"""Skip and display logic: a small JSON condition on earlier answers.

A question with a ``condition`` is shown only when it holds. The forms are::

    {"question": "<key>", "equals": "<choice value>"}     single choice or Likert
    {"question": "<key>", "includes": "<choice value>"}   multiple choice
    {"question": "<key>", "at_least": 3} / "at_most"      number
    {"question": "<key>", "answered": true}               any kind
    {"all": [<condition>, ...]} / {"any": [<condition>, ...]}

Conditions may only look at questions that come earlier in the survey, so a page's
visibility never depends on a later page and there are no loops. Validated on save.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from townsquare.engagement.models import Question, QuestionKind

MAX_DEPTH = 4
MAX_PARTS = 20
COMPARISONS = ("equals", "includes", "at_least", "at_most", "answered")


def validate_condition(condition: Any, earlier: Mapping[str, Question], *, _depth: int = 0,
                       ) -> None:
    """Raise ValidationError unless ``condition`` is well formed over ``earlier`` questions."""
    if not isinstance(condition, dict) or not condition:
        raise ValidationError(_("A condition must be an object such as "
                                '{"question": "q1", "equals": "yes"}.'))
    if _depth >= MAX_DEPTH:
        raise ValidationError(_("Conditions may be nested at most %(depth)s levels deep.")
                              % {"depth": MAX_DEPTH})
    if set(condition) <= {"all", "any"} and len(condition) == 1:
        parts = next(iter(condition.values()))
        if not isinstance(parts, list) or not parts or len(parts) > MAX_PARTS:
            raise ValidationError(_('"all" and "any" need a list of 1 to %(max)s conditions.')
                                  % {"max": MAX_PARTS})
        for part in parts:
            validate_condition(part, earlier, _depth=_depth + 1)
        return
    comparisons = [name for name in COMPARISONS if name in condition]
    if set(condition) != {"question", *comparisons} or len(comparisons) != 1:
        raise ValidationError(_("A condition names one earlier question and one comparison: "
                                "equals, includes, at_least, at_most or answered."))
    question = earlier.get(str(condition["question"]))
    if question is None:
        raise ValidationError(_("A condition may only refer to an earlier question; "
                                "“%(key)s” is not one.") % {"key": condition["question"]})
    _validate_comparison(question, comparisons[0], condition[comparisons[0]])


def _validate_comparison(question: Question, comparison: str, expected: Any) -> None:
    if comparison == "answered":
        if expected is not True:
            raise ValidationError(_('Use {"answered": true}.'))
        return
    kinds = {
        "equals": {QuestionKind.SINGLE, QuestionKind.LIKERT},
        "includes": {QuestionKind.MULTIPLE},
        "at_least": {QuestionKind.NUMBER},
        "at_most": {QuestionKind.NUMBER},
    }[comparison]
    if question.kind not in kinds:
        raise ValidationError(_("“%(comparison)s” cannot be used with a question of this type.")
                              % {"comparison": comparison})
    if comparison in ("at_least", "at_most"):
        if isinstance(expected, bool) or not isinstance(expected, int | float):
            raise ValidationError(_("“%(comparison)s” needs a number.")
                                  % {"comparison": comparison})
        return
    values = {c.value for c in question.choices.all() if c.role == "option"}
    if expected not in values:
        raise ValidationError(_("“%(value)s” is not a choice of question “%(key)s”.")
                              % {"value": expected, "key": question.key})


def condition_holds(condition: Any, answers: Mapping[str, Any]) -> bool:
    """Whether a (validated) condition holds for ``answers`` (question key → stored value)."""
    if not condition:
        return True
    if "all" in condition:
        return all(condition_holds(part, answers) for part in condition["all"])
    if "any" in condition:
        return any(condition_holds(part, answers) for part in condition["any"])
    value = answers.get(condition["question"])
    if value is None or value in ("", []):
        return False
    if "answered" in condition:
        return True
    if "equals" in condition:
        return isinstance(value, list) and value == [condition["equals"]]
    if "includes" in condition:
        return isinstance(value, list) and condition["includes"] in value
    if not isinstance(value, int | float):
        return False
    if "at_least" in condition:
        return bool(value >= condition["at_least"])
    return bool(value <= condition["at_most"])


def visible_questions(questions: list[Question], answers: Mapping[str, Any]) -> set[str]:
    """Keys of the questions shown, given the answers (questions in survey order).

    A hidden question's answer never makes a later question visible: it is discarded.
    """
    shown: set[str] = set()
    effective: dict[str, Any] = {}
    for question in questions:
        if condition_holds(question.condition, effective):
            shown.add(question.key)
            if question.key in answers:
                effective[question.key] = answers[question.key]
    return shown
