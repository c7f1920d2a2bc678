"""A scripted adapter recording the answers it is asked to send (not a network)."""

from __future__ import annotations

from typing import Any, ClassVar

from townsquare.channels.adapters.base import (
    AccountProfile,
    FetchResult,
    PostRequest,
    PublishedPost,
)
from townsquare.channels.tests.fakes import ScriptedAdapter


class ReplyRecorder(ScriptedAdapter):
    """``script`` holds exceptions to raise on the next sends; then sends succeed."""

    sent: ClassVar[list[tuple[str, str, str]]] = []
    script: ClassVar[list[Any]] = []

    def fetch_profile(self) -> AccountProfile:
        return AccountProfile("1", "agency", "Agency", 10)

    def fetch_inbound(self, cursor: str | None) -> FetchResult:
        return FetchResult([], cursor)

    def _next(self, how: str, remote_id: str, post: PostRequest) -> PublishedPost:
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, Exception):
                raise step
        self.sent.append((how, remote_id, post.text))
        return PublishedPost(remote_id=f"sent-{len(self.sent)}", url="https://net.example/s")

    def reply(self, remote_id: str, post: PostRequest) -> PublishedPost:
        return self._next("reply", remote_id, post)

    def private_reply(self, remote_id: str, post: PostRequest) -> PublishedPost:
        return self._next("private", remote_id, post)
