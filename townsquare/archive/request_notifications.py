"""Texts of the records-request deadline warnings, rendered in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext as _

from townsquare.core.notifications import register_notification_text

register_notification_text(
    "archive.request_due_soon",
    lambda params: _("Records request %(reference)s is due on %(deadline)s.")
    % {"reference": params.get("reference", ""), "deadline": params.get("deadline", "")},
)
register_notification_text(
    "archive.request_overdue",
    lambda params: _("Records request %(reference)s is overdue: its deadline was "
                     "%(deadline)s.")
    % {"reference": params.get("reference", ""), "deadline": params.get("deadline", "")},
)
