"""The inbox's console page and search results (tracking numbers)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from townsquare.core.navigation import NavItem, SearchResult, register_nav, register_search
from townsquare.inbox.selectors import conversation_by_tracking_for_user
from townsquare.inbox.tracking import tracking_number_parse

register_nav(NavItem("inbox", _("Inbox"), "inbox:queue", "mail", order=20))


def _search_conversations(user: Any, query: str) -> list[SearchResult]:
    number = tracking_number_parse(query)
    found = conversation_by_tracking_for_user(user, number) if number else None
    if found is None:
        return []
    return [SearchResult(_("Conversation"), found.tracking_number,
                         reverse("inbox:conversation", args=[found.pk]),
                         f"{found.get_status_display()} · {found.organisation}")]


register_search("inbox", _search_conversations)

