"""Texts of staff notifications, rendered in the reader's language at display time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from townsquare.core.models import Notification


def _role_label(value: str) -> str:
    from townsquare.organisations.models import Role

    return str(dict(Role.choices).get(value, value))


def _organisation_label(organisation_id: Any) -> str:
    from townsquare.organisations.models import Organisation

    organisation = Organisation.objects.filter(pk=organisation_id).first()
    return str(organisation) if organisation else _("a removed organisation")


def _network_label(value: str) -> str:
    from townsquare.channels.models import NETWORK_LABELS

    return str(dict(NETWORK_LABELS).get(value, value))  # type: ignore[call-overload]


NotificationText = Callable[[Mapping[str, Any]], str]
_REGISTERED: dict[str, NotificationText] = {}


def register_notification_text(key: str, render: NotificationText) -> None:
    """Lets each app give the text of its own notifications (called from its ready())."""
    _REGISTERED[key] = render


def render_notification(notification: Notification) -> str:
    params = notification.params or {}
    key = notification.message_key
    if key in _REGISTERED:
        return _REGISTERED[key](params)
    if key == "membership.granted":
        return _("You are now %(role)s in %(organisation)s.") % {
            "role": _role_label(params.get("role", "")),
            "organisation": _organisation_label(params.get("organisation_id")),
        }
    if key == "membership.revoked":
        return _("You are no longer %(role)s in %(organisation)s.") % {
            "role": _role_label(params.get("role", "")),
            "organisation": _organisation_label(params.get("organisation_id")),
        }
    if key == "api_token.expiring":
        return _("Your API token “%(name)s” expires soon.") % {"name": params.get("name", "")}
    if key == "account.review_overdue":
        return _(
            "Confirm that %(handle)s on %(network)s is still yours: its review is overdue."
        ) % {
            "handle": params.get("handle", ""),
            "network": _network_label(params.get("network", "")),
        }
    if key == "account.access_lost":
        return _("Townsquare lost access to %(handle)s on %(network)s. Reconnect it.") % {
            "handle": params.get("handle", ""),
            "network": _network_label(params.get("network", "")),
        }
    if key == "account.poll_gap":
        return _(
            "Some messages to %(handle)s on %(network)s could not be fetched: the network "
            "returned only its most recent items."
        ) % {
            "handle": params.get("handle", ""),
            "network": _network_label(params.get("network", "")),
        }
    if key == "mfa.required":
        return _("Your role needs a second sign-in factor. Set one up now.")
    return _("You have a new notification.")
