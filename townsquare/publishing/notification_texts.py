"""Texts of publishing's staff notifications, rendered in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.core.notifications import register_notification_text

register_notification_text(
    "publishing.partly_failed",
    lambda params: ngettext(
        "“%(title)s” was published, but %(failed)d account failed. Retry it from the post.",
        "“%(title)s” was published, but %(failed)d accounts failed. Retry them from the post.",
        int(params.get("failed", 0)),
    ) % {"title": params.get("title", ""), "failed": int(params.get("failed", 0))},
)
register_notification_text(
    "publishing.failed",
    lambda params: _("“%(title)s” could not be published to any account. See why on the post.")
    % {"title": params.get("title", "")},
)
