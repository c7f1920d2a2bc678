"""The media library's console page and search results."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from townsquare.core.navigation import NavItem, SearchResult, register_nav, register_search
from townsquare.media.selectors import assets_visible_to

register_nav(NavItem("media", _("Media library"), "media:library", "photo_library", order=35))


def _search_assets(user: Any, query: str) -> list[SearchResult]:
    found = assets_visible_to(user).filter(is_archived=False).filter(
        Q(original_filename__icontains=query) | Q(sha256=query.lower())
    )[:10]
    return [
        SearchResult(
            _("Media file"),
            asset.original_filename,
            reverse("media:detail", args=[asset.pk]),
            f"{asset.get_kind_display()} · {asset.organisation}",
        )
        for asset in found
    ]


register_search("media", _search_assets)
