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
