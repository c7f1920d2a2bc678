"""The dead-letter console in the navigation (administrators and the communications office)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from townsquare.core.navigation import NavItem, register_nav
from townsquare.ingest.deadletters import can_see_dead_letters

register_nav(NavItem("dead_letters", _("Dead letters"), "ingest:rejections", "report",
                     order=46, visible=can_see_dead_letters))
