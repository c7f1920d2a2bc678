"""What every console page needs: navigation, the agency switcher, unread notifications."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def console(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    language = getattr(request, "LANGUAGE_CODE", "en")
    context: dict[str, Any] = {"is_rtl": language == "ar"}
    if user is None or not user.is_authenticated:
        return context
    from townsquare.core.navigation import nav_items_for
    from townsquare.organisations.selectors import organisations_visible_to

    context.update(
        {
            "nav_items": nav_items_for(user),
            "switchable_organisations": list(
                organisations_visible_to(user).filter(is_active=True).order_by("path")[:200]
            ),
            "unread_notifications": user.notifications.filter(read_at__isnull=True).count(),
        }
    )
    return context
