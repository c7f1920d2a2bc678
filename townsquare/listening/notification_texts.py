"""Texts of listening's staff notifications, rendered in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import ngettext

from townsquare.core.notifications import register_notification_text


def _count(params: Mapping[str, Any]) -> int:
    try:
        return int(params.get("count") or 0)
    except (TypeError, ValueError):
        return 0


register_notification_text(
    "listening.spike",
    lambda params: ngettext(
        "Spike in “%(query)s”: %(count)s post in the last hour (about %(expected)s "
        "expected).",
        "Spike in “%(query)s”: %(count)s posts in the last hour (about %(expected)s "
        "expected).", _count(params),
    )
    % {"query": params.get("query", ""), "count": params.get("count", ""),
       "expected": params.get("expected", "")},
)
register_notification_text(
    "listening.alert_note",
    lambda params: ngettext(
        "A listening alert was sent to you: “%(query)s”, %(count)s post in an hour.",
        "A listening alert was sent to you: “%(query)s”, %(count)s posts in an hour.",
        _count(params),
    )
    % {"query": params.get("query", ""), "count": params.get("count", "")},
)


def _trend_text(params: Mapping[str, Any]) -> str:
    # Imported late: the texts are registered while apps load, before services can be.
    from townsquare.listening.services.trends import trend_text

    return trend_text(str(params.get("kind", "")), str(params.get("query", "")),
                      dict(params.get("detail") or {}))


register_notification_text("listening.trend", _trend_text)
