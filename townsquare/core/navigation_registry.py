"""Core's own console pages in the navigation."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from townsquare.core.navigation import NavItem, register_nav

register_nav(NavItem("home", _("Overview"), "console:home", "home", order=0))
register_nav(
    NavItem(
        "audit",
        _("Audit log"),
        "console:audit_log",
        "history",
        order=900,
        visible=lambda user: user.has_perm("core.view_audit_log"),
    )
)
