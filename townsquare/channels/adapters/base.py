"""The one interface the rest of Townsquare uses to talk to any network.

Pure Python (no Django): adapters receive credentials and configuration as plain
objects and return plain data classes, so each can be tested against a local fake of
its network's HTTP API without a database.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    from townsquare.channels.adapters.streaming import StreamReport


class Network(StrEnum):
    MASTODON = "mastodon"
    BLUESKY = "bluesky"
    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    WEIBO = "weibo"
    WECHAT = "wechat"
    RSS = "rss"
    EMAIL = "email"
    SMS = "sms"


class ItemKind(StrEnum):
    MENTION = "mention"
    COMMENT = "comment"
    REPLY = "reply"
    DIRECT_MESSAGE = "direct_message"
    POST = "post"  # a public post found by search or read from a feed


# How a network counts the length of a post.
TextCounting = Literal["graphemes", "code_points", "utf16_units", "weighted", "bytes"]


@dataclass(frozen=True)
class TextLimit:
    max_length: int
    counting: TextCounting
    # Networks that shorten links count every URL as this many characters.
    url_length: int | None = None


@dataclass(frozen=True)
class MediaLimit:
    mime_types: tuple[str, ...]
    max_items: int
    max_image_bytes: int
    max_video_bytes: int
    alt_text_max: int | None  # None: the network has no alt text


@dataclass(frozen=True)
class RateLimit:
    requests: int
    per_seconds: int
    note: str = ""


@dataclass(frozen=True)
class Capabilities:
    network: Network
    text: TextLimit
    media: MediaLimit | None
    threads: bool
    edits: bool
    deletes: bool
    private_messages: bool
    search: bool
    metrics: bool
    webhooks: bool
    reply_semantics: str
    rate_limit: RateLimit
    # A documented HTTP streaming endpoint of public posts (see ChannelAdapter.stream).
    streaming: bool = False


@dataclass(frozen=True)
class Credentials:
    access_token: str = ""
    refresh_token: str = ""
    expires_at: dt.datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # tokens must never reach logs or error pages
        return f"Credentials(expires_at={self.expires_at!r}, extra_keys={sorted(self.extra)})"


@dataclass(frozen=True)
class Attachment:
    content: bytes
    mime_type: str
    alt_text: str = ""
    filename: str = "upload"


@dataclass(frozen=True)
class InboundItem:
    remote_id: str
    kind: ItemKind
    text: str
    created_at: dt.datetime
    author_id: str
    author_handle: str
    author_name: str = ""
    url: str = ""
    in_reply_to: str = ""
    conversation_id: str = ""
    # True when the account itself wrote it (our own post echoed back, not a citizen).
    is_own: bool = False
    language: str = ""
    attachment_urls: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FetchResult:
    items: list[InboundItem]
    cursor: str | None
    # The network could not return everything since the cursor (e.g. a timeline cap).
    gap: bool = False


@dataclass(frozen=True)
class PostRequest:
    text: str
    attachments: tuple[Attachment, ...] = ()
    in_reply_to: str = ""
    # Sent where the network supports idempotency; otherwise used to reconcile.
    idempotency_key: str = ""
    language: str = ""


@dataclass(frozen=True)
class PublishedPost:
    remote_id: str
    url: str
    published_at: dt.datetime | None = None


@dataclass(frozen=True)
class PostMetrics:
    remote_id: str
    likes: int = 0
    shares: int = 0
    replies: int = 0
    impressions: int | None = None


@dataclass(frozen=True)
class AccountProfile:
    remote_id: str
    handle: str
    display_name: str
    followers: int | None
    url: str = ""


# --- Errors: what every caller can rely on, whatever the network -----------------------


class AdapterError(Exception):
    """Base class. Messages never contain credentials."""


class RateLimited(AdapterError):
    def __init__(self, message: str, *, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthExpired(AdapterError):
    """The access token expired or was revoked: the account owner must reconnect."""


class TransientError(AdapterError):
    """Timeouts, 5xx, connection errors: safe to retry later."""


class RemoteRejected(AdapterError):
    """The network refused the request for good (too long, deleted original, blocked)."""


class MalformedResponse(AdapterError):
    """The network answered with something that is not what its API documents."""


class NotSupported(AdapterError):
    """This network cannot do that (e.g. edit a post)."""


class ChannelAdapter(ABC):
    """One network account. Subclasses implement what their network supports."""

    capabilities: ClassVar[Capabilities]

    def __init__(self, *, credentials: Credentials, config: Mapping[str, Any]) -> None:
        self.credentials = credentials
        self.config = dict(config)

    @abstractmethod
    def fetch_profile(self) -> AccountProfile: ...

    @abstractmethod
    def fetch_inbound(self, cursor: str | None) -> FetchResult: ...

    def publish(self, post: PostRequest) -> PublishedPost:
        raise NotSupported(f"{self.capabilities.network} cannot publish")

    def publish_thread(self, posts: list[PostRequest]) -> list[PublishedPost]:
        if not self.capabilities.threads:
            raise NotSupported(f"{self.capabilities.network} has no threads")
        published: list[PublishedPost] = []
        for post in posts:
            reply_to = published[-1].remote_id if published else post.in_reply_to
            published.append(self.publish(_with_reply_to(post, reply_to)))
        return published

    def reply(self, remote_id: str, post: PostRequest) -> PublishedPost:
        return self.publish(_with_reply_to(post, remote_id))

    def edit(self, remote_id: str, text: str) -> PublishedPost:
        raise NotSupported(f"{self.capabilities.network} posts cannot be edited")

    def delete(self, remote_id: str) -> None:
        raise NotSupported(f"{self.capabilities.network} posts cannot be deleted")

    def fetch_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        raise NotSupported(f"{self.capabilities.network} gives no metrics")

    def search(self, query: str, cursor: str | None = None) -> FetchResult:
        raise NotSupported(f"{self.capabilities.network} has no public search")

    def stream(
        self, *, topic: str = "", max_seconds: float, max_items: int,
        report: StreamReport | None = None,
    ) -> Iterator[InboundItem]:
        """Public posts as the network's streaming endpoint delivers them, for at most
        ``max_seconds`` or ``max_items`` (``topic``: what to follow where the network
        streams by topic, such as a hashtag; empty: the network's public stream).

        Refusals before the stream starts raise the adapter errors; a connection lost
        mid-stream just ends it, with the reason and any skipped lines in ``report``.
        """
        raise NotSupported(f"{self.capabilities.network} has no HTTP streaming endpoint")

    def fetch_post(self, remote_id: str) -> InboundItem | None:
        """What one post says now, or None when it no longer exists (the archive re-reads
        an account's recent posts this way to notice edits and deletions)."""
        raise NotSupported(f"{self.capabilities.network} cannot read one post back")

    def find_published(self, idempotency_key: str) -> PublishedPost | None:
        """Look up a post we may have published before a crash (reconciliation)."""
        return None


def _with_reply_to(post: PostRequest, remote_id: str) -> PostRequest:
    return PostRequest(
        text=post.text,
        attachments=post.attachments,
        in_reply_to=remote_id,
        idempotency_key=post.idempotency_key,
        language=post.language,
    )


# --- Webhooks --------------------------------------------------------------------------


class ChangeKind(StrEnum):
    CREATED = "created"
    EDITED = "edited"
    DELETED = "deleted"


@dataclass(frozen=True)
class InboundChange:
    """One thing a webhook (or a poll) told us: an item appeared, changed or went away.

    ``item`` is None for deletions that carry only the id. ``account_ref`` names the
    receiving account as the network identifies it (page id, phone number id, bot id…),
    so the receiver can find which registered account the event belongs to.
    """

    kind: ChangeKind
    remote_id: str
    account_ref: str
    item: InboundItem | None = None
    occurred_at: dt.datetime | None = None


class InvalidSignature(AdapterError):
    """The webhook body was not signed with the shared secret."""


class StaleEvent(AdapterError):
    """The webhook's timestamp is outside the accepted window (a possible replay)."""


class WebhookHandler(ABC):
    """Verifies and parses one network's webhook deliveries. Pure: bytes in, changes out."""

    network: ClassVar[Network]
    # Deliveries older or newer than this many seconds are refused as replays.
    replay_window_seconds: ClassVar[int] = 300

    def handshake(self, query: Mapping[str, str], secret: str) -> str | None:
        """Answer a subscription challenge (GET), or None when this is not one."""
        return None

    @abstractmethod
    def verify(
        self,
        *,
        body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        secret: str,
        now: dt.datetime,
    ) -> None:
        """Raise InvalidSignature or StaleEvent; return None when the delivery is genuine."""

    @abstractmethod
    def parse(self, body: bytes) -> list[InboundChange]:
        """Changes in the delivery; raise MalformedResponse for a body that is not valid."""


# --- Connecting an account -------------------------------------------------------------


class OAuthClient(ABC):
    """The OAuth 2 authorisation-code flow of one network (the console keeps state/PKCE)."""

    network: ClassVar[Network]
    uses_pkce: ClassVar[bool] = True

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)

    @abstractmethod
    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        """Where to send the administrator's browser to grant access."""

    @abstractmethod
    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> Credentials:
        """Trade the code from the callback for tokens."""

    def refresh(self, credentials: Credentials) -> Credentials:
        """New tokens from a refresh token. A rotated refresh token comes back with them."""
        raise NotSupported(f"{self.network} tokens cannot be refreshed")
