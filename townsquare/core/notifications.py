"""Texts of staff notifications, rendered in the reader's language at display time."""

from __future__ import annotations

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


def render_notification(notification: Notification) -> str:
    params = notification.params or {}
    key = notification.message_key
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
    if key == "mfa.required":
        return _("Your role needs a second sign-in factor. Set one up now.")
    return _("You have a new notification.")
