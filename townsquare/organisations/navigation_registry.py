"""The organisations module's console pages and search results."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from townsquare.core.navigation import NavItem, SearchResult, register_nav, register_search
from townsquare.organisations.selectors import organisations_visible_to, users_visible_to

register_nav(
    NavItem("organisations", _("Organisations"), "organisations:list", "account_balance", order=10)
)
register_nav(NavItem("people", _("People"), "organisations:people", "people", order=20))


def _search_organisations(user: Any, query: str) -> list[SearchResult]:
    found = organisations_visible_to(user).filter(
        Q(name__icontains=query) | Q(short_name__icontains=query) | Q(translations__icontains=query)
    )[:10]
    return [
        SearchResult(
            _("Organisation"),
            str(org),
            reverse("organisations:detail", args=[org.pk]),
            org.get_kind_display(),
        )
        for org in found
    ]


def _search_people(user: Any, query: str) -> list[SearchResult]:
    found = users_visible_to(user).filter(
        Q(username__icontains=query)
        | Q(first_name__icontains=query)
        | Q(last_name__icontains=query)
    )[:10]
    return [
        SearchResult(
            _("Person"),
            p.display_name,
            reverse("organisations:people") + f"?q={p.username}",
            p.username,
        )
        for p in found
    ]


register_search("organisations", _search_organisations)
register_search("people", _search_people)
