"""The publishing module's console pages and search results."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from townsquare.core.navigation import NavItem, SearchResult, register_nav, register_search
from townsquare.publishing.selectors import posts_visible_to

register_nav(NavItem("publishing", _("Posts"), "publishing:list", "campaign", order=20))
register_nav(
    NavItem("publishing_calendar", _("Publishing calendar"), "publishing:calendar",
            "calendar_today", order=21)
)


def _search_posts(user: Any, query: str) -> list[SearchResult]:
    found = posts_visible_to(user).filter(
        Q(title__icontains=query) | Q(versions__text__icontains=query)
    ).distinct()[:10]
    return [
        SearchResult(_("Post"), post.title, reverse("publishing:detail", args=[post.pk]),
                     f"{post.get_state_display()} · {post.organisation}")
        for post in found
    ]


register_search("publishing", _search_posts)
