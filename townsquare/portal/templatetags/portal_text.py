"""Template helpers of the citizen site."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def localised(obj: Any, field: str) -> str:
    """``{{ organisation|localised:"description" }}``: the field in the active language."""
    if obj is None:
        return ""
    return str(obj.localised(field))
