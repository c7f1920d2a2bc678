"""Texts of listening's staff notifications, rendered in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext as _

from townsquare.core.notifications import register_notification_text

register_notification_text(
    "listening.spike",
    lambda params: _("Spike in “%(query)s”: %(count)s posts in the last hour (about "
                     "%(expected)s expected).")
    % {"query": params.get("query", ""), "count": params.get("count", ""),
       "expected": params.get("expected", "")},
)
register_notification_text(
    "listening.alert_note",
    lambda params: _("A listening alert was sent to you: “%(query)s”, %(count)s posts in "
                     "an hour.")
    % {"query": params.get("query", ""), "count": params.get("count", "")},
)
