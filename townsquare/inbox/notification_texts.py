"""Texts of the inbox's staff notifications, rendered in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from townsquare.core.notifications import register_notification_text


def _tracking(params: Mapping[str, Any]) -> str:
    return str(params.get("tracking_number", ""))


register_notification_text(
    "inbox.emergency",
    lambda params: _("Possible emergency in conversation %(tracking_number)s: answer it now.")
    % {"tracking_number": _tracking(params)},
)
register_notification_text(
    "inbox.mentioned",
    lambda params: _("%(by)s mentioned you in conversation %(tracking_number)s.")
    % {"by": params.get("by", ""), "tracking_number": _tracking(params)},
)
register_notification_text(
    "inbox.assigned",
    lambda params: _("Conversation %(tracking_number)s is assigned to you.")
    % {"tracking_number": _tracking(params)},
)


def _sla_target(params: Mapping[str, Any]) -> str:
    return _("first answer") if params.get("target") == "first" else _("resolution")


register_notification_text(
    "inbox.sla_warning",
    lambda params: _("The %(target)s of conversation %(tracking_number)s is due soon.")
    % {"target": _sla_target(params), "tracking_number": _tracking(params)},
)
register_notification_text(
    "inbox.sla_breach",
    lambda params: _("The %(target)s of conversation %(tracking_number)s is overdue: it is "
                     "escalated to you.")
    % {"target": _sla_target(params), "tracking_number": _tracking(params)},
)
