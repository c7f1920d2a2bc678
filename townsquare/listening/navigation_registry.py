"""The listening module's console page in the navigation."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from townsquare.core.navigation import NavItem, register_nav

register_nav(NavItem("listening", _("Listening"), "listening:list", "hearing", order=45))
