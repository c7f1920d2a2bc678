"""Question widgets' context for the citizen pages and the staff preview/paper form."""

from __future__ import annotations

from typing import Any

from townsquare.engagement.answers import FormData, field_name
from townsquare.engagement.logic import condition_holds
from townsquare.engagement.models import Question, QuestionKind
from townsquare.engagement.uploads import (
    accept_attribute,
    accepted_types,
    is_file_answer,
    upload_limit,
)


def _condition_keys(condition: Any) -> set[str]:
    if not condition:
        return set()
    if "all" in condition or "any" in condition:
        return {k for part in condition.get("all", condition.get("any")) for k in
                _condition_keys(part)}
    return {str(condition["question"])}


def widgets(questions: list[Question], stored: dict[str, Any], data: FormData | None,
            errors: dict[str, str], *, show_all: bool = False) -> list[dict[str, Any]]:
    """One dict per question to show on a page.

    Values come from the submitted form when re-showing it with errors (nothing typed is
    lost), otherwise from the stored answers. A question whose display logic depends on a
    question on the same page is shown with a hint (the page works without JavaScript);
    an answer to it is discarded if the condition does not hold.
    """
    page_keys = {q.key for q in questions}
    shown = []
    for question in questions:
        depends_here = bool(_condition_keys(question.condition) & page_keys)
        if not (show_all or depends_here or condition_holds(question.condition, stored)):
            continue
        shown.append(_widget(question, stored.get(question.key), data, errors.get(question.key),
                             conditional=depends_here or (show_all and bool(question.condition))))
    return shown


def _widget(question: Question, value: Any, data: FormData | None, error: str | None,
            *, conditional: bool) -> dict[str, Any]:
    name = field_name(question)
    options = [c for c in question.choices.all() if c.role == "option"]
    rows = [c for c in question.choices.all() if c.role == "row"]
    widget: dict[str, Any] = {
        "question": question, "name": name, "id": name, "error": error,
        "text": question.localised("text"), "help": question.localised("help"),
        "conditional": conditional, "kind": question.kind,
        "is_choice": question.kind in (QuestionKind.SINGLE, QuestionKind.LIKERT,
                                       QuestionKind.MULTIPLE),
        "input_type": "checkbox" if question.kind == QuestionKind.MULTIPLE else "radio",
    }
    if question.kind in (QuestionKind.SINGLE, QuestionKind.LIKERT, QuestionKind.MULTIPLE):
        selected = set(data.getlist(name)) if data is not None else set(value or [])
        widget["options"] = [(o, f"{name}-{o.value}", o.value in selected) for o in options]
    elif question.kind == QuestionKind.MATRIX:
        chosen = value or {}
        widget["columns"] = options
        widget["rows"] = []
        for row in rows:
            row_name = field_name(question, row.value)
            current = data.get(row_name, "") if data is not None else chosen.get(row.value, "")
            widget["rows"].append({"row": row, "name": row_name, "options": [
                (o, f"{row_name}-{o.value}", o.value == current) for o in options]})
    elif question.kind == QuestionKind.RANKING:
        ranks = {v: i for i, v in enumerate(value or [], start=1)}
        widget["ranks"] = list(range(1, len(options) + 1))
        widget["options"] = []
        for option in options:
            option_name = field_name(question, option.value)
            current = data.get(option_name, "") if data is not None else ranks.get(option.value,
                                                                                    "")
            widget["options"].append((option, option_name, str(current)))
    elif question.kind == QuestionKind.LOCATION:
        # Re-shown as typed after an error, otherwise from the stored answer.
        stored = value if isinstance(value, dict) else {}
        widget["areas"] = options
        widget["parts"] = {part: (data.get(f"{name}-{part}", "") if data is not None
                                  else "" if stored.get(part) is None else str(stored[part]))
                           for part in ("area", "place", "lat", "lon")}
    elif question.kind == QuestionKind.FILE:
        # A file input cannot be refilled: show the stored file, kept unless replaced.
        widget["file"] = value if is_file_answer(value) else None
        widget["accept"] = accept_attribute(question)
        widget["limit"] = upload_limit(question)
        widget["types"] = ", ".join(t.upper() for t in accepted_types(question))
    else:
        widget["value"] = data.get(name, "") if data is not None else (
            "" if value is None else str(value))
    return widget
