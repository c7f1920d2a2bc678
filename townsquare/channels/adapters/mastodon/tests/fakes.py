"""A fake Mastodon server (FakeNetwork routes) answering with the documented fixtures."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from townsquare.channels.adapters.base import Credentials
from townsquare.channels.adapters.mastodon.client import MastodonAdapter
from townsquare.channels.adapters.testing import FakeNetwork, FakeRequest, FakeResponse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TOKEN = "tok-SECRET-9f8e7d6c5b4a"
OWN_ID = "109302419863527245"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def adapter_for(fake: FakeNetwork, **config: Any) -> MastodonAdapter:
    return MastodonAdapter(
        credentials=Credentials(access_token=TOKEN),
        config={"api_base_url": fake.url, "account_id": OWN_ID, **config},
    )


def mention(
    notification_id: int,
    *,
    text: str = "hello",
    visibility: str = "public",
    author_id: str = "110000000000000001",
    reply_to: str | None = None,
) -> dict[str, Any]:
    """A mention notification with the documented shape, numbered for paging tests."""
    notification = fixture("notification_mention")
    status = notification["status"]
    notification["id"] = str(notification_id)
    status["id"] = str(110250000000000000 + notification_id)
    status["content"] = f"<p>{text}</p>"
    status["visibility"] = visibility
    status["in_reply_to_id"] = reply_to
    status["account"] = copy.deepcopy(status["account"])
    status["account"]["id"] = author_id
    return notification


class NotificationStore:
    """Answers GET /api/v1/notifications like Mastodon: newest first, since_id/max_id."""

    def __init__(self, notifications: list[dict[str, Any]]) -> None:
        self.notifications = sorted(notifications, key=lambda n: int(n["id"]), reverse=True)

    def __call__(self, request: FakeRequest) -> FakeResponse:
        query = request.query
        limit = min(int(query.get("limit", ["40"])[0]), 80)
        since = int(query.get("since_id", ["0"])[0])
        max_id = int(query["max_id"][0]) if "max_id" in query else None
        page = [
            n
            for n in self.notifications
            if int(n["id"]) > since and (max_id is None or int(n["id"]) < max_id)
        ][:limit]
        return FakeResponse(200, page)


def ok(body: Any, status: int = 200) -> FakeResponse:
    return FakeResponse(status, body)
