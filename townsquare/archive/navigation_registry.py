"""The archive in the console's navigation and search (records officers and administrators)."""

from __future__ import annotations

import html
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from townsquare.archive.selectors import can_use_archive, records_search, records_visible_to
from townsquare.core.navigation import NavItem, SearchResult, register_nav, register_search

register_nav(
    NavItem("archive", _("Records archive"), "archive:list", "inventory_2", order=60,
            visible=can_use_archive)
)


def _search_records(user: Any, query: str) -> list[SearchResult]:
    """Records whose text matches (the archive's full-text index), then by id or author."""
    if not can_use_archive(user):
        return []
    results: list[SearchResult] = []
    seen: set[int] = set()
    try:
        page = records_search(user, query, page_size=10)
    except ValidationError:
        page = None  # not a full-text query (e.g. only punctuation): ids may still match
    for hit in page.hits if page else []:
        seen.add(hit.record.pk)
        snippet = html.unescape(strip_tags(str(hit.snippet)))
        results.append(SearchResult(
            _("Archived record"), f"{hit.record.get_record_type_display()} {hit.record.pk}",
            reverse("archive:detail", args=[hit.record.pk]),
            f"{snippet[:160]} · {hit.record.organisation}"))
    found = records_visible_to(user).filter(
        Q(source_id__icontains=query) | Q(remote_id__icontains=query)
        | Q(author__icontains=query) | Q(url__icontains=query)
    ).exclude(pk__in=seen).order_by("-first_captured_at", "-id")[:10]
    results += [
        SearchResult(_("Archived record"), record.source_id,
                     reverse("archive:detail", args=[record.pk]),
                     f"{record.get_record_type_display()} · {record.organisation}")
        for record in found
    ]
    return results[:10]


register_search("archive", _search_records)
