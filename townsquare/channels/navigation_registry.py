"""The channels module's console pages and search results."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from townsquare.channels.selectors import accounts_visible_to
from townsquare.core.navigation import NavItem, SearchResult, register_nav, register_search

register_nav(NavItem("channels", _("Channels"), "channels:list", "share", order=30))
register_nav(
    NavItem("channel_ghosts", _("Ghost accounts"), "channels:ghosts", "visibility_off", order=31)
)


def _search_accounts(user: Any, query: str) -> list[SearchResult]:
    found = accounts_visible_to(user).filter(
        Q(handle_key__icontains=query.lstrip("@"))
        | Q(display_name__icontains=query)
        | Q(url__icontains=query)
    )[:10]
    return [
        SearchResult(
            _("Account"),
            account.handle,
            reverse("channels:detail", args=[account.pk]),
            f"{account.get_network_display()} · {account.organisation}",
        )
        for account in found
    ]


register_search("channels", _search_accounts)
