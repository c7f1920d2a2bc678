"""The archive in the console's navigation and search (records officers and administrators)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from townsquare.archive.selectors import can_use_archive, records_visible_to
from townsquare.core.navigation import NavItem, SearchResult, register_nav, register_search

register_nav(
    NavItem("archive", _("Records archive"), "archive:list", "inventory_2", order=60,
            visible=can_use_archive)
)


def _search_records(user: Any, query: str) -> list[SearchResult]:
    if not can_use_archive(user):
        return []
    found = records_visible_to(user).filter(
        Q(source_id__icontains=query) | Q(remote_id__icontains=query)
        | Q(author__icontains=query) | Q(url__icontains=query)
    ).order_by("-first_captured_at", "-id")[:10]
    return [
        SearchResult(_("Archived record"), record.source_id,
                     reverse("archive:detail", args=[record.pk]),
                     f"{record.get_record_type_display()} · {record.organisation}")
        for record in found
    ]


register_search("archive", _search_records)
