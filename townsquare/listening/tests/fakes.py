"""Adapters for testing listening's use of network search (not a network)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, ClassVar

from townsquare.channels.adapters.base import (
    AccountProfile,
    FetchResult,
    InboundItem,
    ItemKind,
    Network,
)
from townsquare.channels.tests.fakes import ScriptedAdapter

T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def post(remote_id: str, text: str, *, own: bool = False) -> InboundItem:
    return InboundItem(
        remote_id=remote_id, kind=ItemKind.POST, text=text, created_at=T0, author_id="p1",
        author_handle="resident@elsewhere.social", url=f"https://elsewhere.social/{remote_id}",
        is_own=own,
    )


class SearchingAdapter(ScriptedAdapter):
    """Answers search from ``pages``: {(term, cursor): FetchResult or exception}."""

    capabilities = dataclasses.replace(ScriptedAdapter.capabilities, search=True)
    pages: ClassVar[dict[tuple[str, str | None], Any]] = {}
    asked: ClassVar[list[tuple[str, str | None]]] = []

    def fetch_profile(self) -> AccountProfile:
        return AccountProfile("1", "agency", "Agency", 10)

    def search(self, query: str, cursor: str | None = None) -> FetchResult:
        self.asked.append((query, cursor))
        answer = self.pages.get((query, cursor), FetchResult(items=[], cursor=None))
        if isinstance(answer, Exception):
            raise answer
        return answer


class NoSearchAdapter(ScriptedAdapter):
    capabilities = dataclasses.replace(
        ScriptedAdapter.capabilities, network=Network.TELEGRAM, search=False
    )
