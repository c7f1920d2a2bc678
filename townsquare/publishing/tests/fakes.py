"""A local fake network for the publishing engine: records what was sent, fails on demand."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from townsquare.channels.adapters.base import (
    AccountProfile,
    Capabilities,
    ChannelAdapter,
    Credentials,
    FetchResult,
    PostRequest,
    PublishedPost,
)
from townsquare.channels.adapters.mastodon.client import MastodonAdapter


class FakeNetwork:
    """Shared state of the fake network (one per test)."""

    def __init__(self) -> None:
        self.posts: dict[str, PostRequest] = {}
        self.by_key: dict[str, PublishedPost] = {}
        self.sent: list[PostRequest] = []
        self.edits: list[tuple[str, str]] = []
        self.deleted: list[str] = []
        # Exceptions raised by the next publish calls, in order (None: succeed).
        self.publish_faults: list[Exception | None] = []
        self.edit_faults: list[Exception | None] = []
        # Called after the network accepted a post (to simulate a worker crash).
        self.after_accept: Any = None
        self.tokens_seen: list[str] = []
        self.supports_lookup = True
        self.extra_configs: list[Any] = []

    def adapter_for(
        self, account: Any, credentials: Credentials, *, extra_config: Any = None
    ) -> ChannelAdapter:
        self.extra_configs.append(extra_config)
        return FakeAdapter(network=self, credentials=credentials)


class FakeAdapter(ChannelAdapter):
    capabilities: ClassVar[Capabilities] = MastodonAdapter.capabilities

    def __init__(self, *, network: FakeNetwork, credentials: Credentials) -> None:
        super().__init__(credentials=credentials, config={})
        self.network = network

    def fetch_profile(self) -> AccountProfile:
        return AccountProfile(remote_id="1", handle="@fake", display_name="Fake", followers=1)

    def fetch_inbound(self, cursor: str | None) -> FetchResult:
        return FetchResult(items=[], cursor=cursor)

    def publish(self, post: PostRequest) -> PublishedPost:
        self.network.tokens_seen.append(self.credentials.access_token)
        if self.network.publish_faults:
            fault = self.network.publish_faults.pop(0)
            if fault is not None:
                raise fault
        if post.idempotency_key in self.network.by_key:
            return self.network.by_key[post.idempotency_key]
        remote_id = str(len(self.network.posts) + 1)
        published = PublishedPost(
            remote_id=remote_id,
            url=f"https://fake.example/posts/{remote_id}",
            published_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )
        self.network.posts[remote_id] = post
        self.network.sent.append(post)
        self.network.by_key[post.idempotency_key] = published
        if self.network.after_accept is not None:
            self.network.after_accept(post)
        return published

    def find_published(self, idempotency_key: str) -> PublishedPost | None:
        if not self.network.supports_lookup:
            return None
        return self.network.by_key.get(idempotency_key)

    def edit(self, remote_id: str, text: str) -> PublishedPost:
        if self.network.edit_faults:
            fault = self.network.edit_faults.pop(0)
            if fault is not None:
                raise fault
        self.network.edits.append((remote_id, text))
        return PublishedPost(remote_id=remote_id, url=f"https://fake.example/posts/{remote_id}")

    def delete(self, remote_id: str) -> None:
        self.network.deleted.append(remote_id)
