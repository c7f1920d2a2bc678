"""The console's navigation and search registries: each app plugs its pages in here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    icon: str
    order: int = 100
    # Shown only when this returns True for the signed-in user.
    visible: Callable[[Any], bool] = lambda user: True


@dataclass(frozen=True)
class SearchResult:
    kind: str | Promise
    title: str
    url: str
    detail: str = ""


SearchProvider = Callable[[Any, str], list[SearchResult]]

_nav: dict[str, NavItem] = {}
_search: dict[str, SearchProvider] = {}


def register_nav(item: NavItem) -> None:
    _nav[item.key] = item


def nav_items_for(user: Any) -> list[NavItem]:
    return sorted((i for i in _nav.values() if i.visible(user)), key=lambda i: i.order)


def register_search(name: str, provider: SearchProvider) -> None:
    _search[name] = provider


def search_everything(user: Any, query: str, *, limit_per_kind: int = 10) -> list[SearchResult]:
    results: list[SearchResult] = []
    for provider in _search.values():
        results.extend(provider(user, query)[:limit_per_kind])
    return results
