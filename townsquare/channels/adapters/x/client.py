"""XAdapter: one X account over API v2, through tweepy (see api.py for the host override).

Remote ids are tweet ids (and DM event ids for private messages). The account connects
with OAuth 2.0 authorization code + PKCE (oauth.py); the access token is used as a
user-context bearer token. Tokens expire after two hours: the caller refreshes them
with ``XOAuth.refresh`` when a call raises AuthExpired, stores the rotated refresh token,
and retries.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from townsquare.channels.adapters.base import (
    AccountProfile,
    Attachment,
    Capabilities,
    ChannelAdapter,
    Credentials,
    FetchResult,
    InboundItem,
    ItemKind,
    MalformedResponse,
    MediaLimit,
    Network,
    PostMetrics,
    PostRequest,
    PublishedPost,
    RateLimit,
    RemoteRejected,
    TextLimit,
)
from townsquare.channels.adapters.x.api import DEFAULT_API_HOST, XApiClient, as_object
from townsquare.channels.adapters.x.text import MAX_WEIGHTED_LENGTH, URL_LENGTH, weighted_length

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_ALT_TEXT = 1000
TWEET_FIELDS = [
    "created_at",
    "author_id",
    "conversation_id",
    "in_reply_to_user_id",
    "referenced_tweets",
    "lang",
    "attachments",
]
USER_FIELDS = ["username", "name"]
DM_FIELDS = ["id", "text", "event_type", "created_at", "sender_id", "dm_conversation_id"]
METRICS_BATCH = 100  # GET /2/tweets takes up to 100 ids


class XConfig(BaseModel):
    """Settings of one X account (not secrets: those are in Credentials)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_host: HttpUrl = HttpUrl(DEFAULT_API_HOST)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    page_size: int = Field(default=100, ge=10, le=100)
    max_pages: int = Field(default=5, ge=1, le=50)
    # None: read DMs when the token was granted the dm.read scope.
    fetch_direct_messages: bool | None = None

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> XConfig:
        try:
            return cls.model_validate(dict(config))
        except ValidationError as exc:
            # Only field names and reasons: the input values could be secrets.
            problems = "; ".join(
                f"{'.'.join(str(p) for p in error['loc']) or 'config'}: {error['msg']}"
                for error in exc.errors()
            )
            raise ValueError(f"Invalid X configuration: {problems}") from None


def _parse_time(value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    raise MalformedResponse("x: an item has no readable created_at")


def _snowflake(value: Any) -> int:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise MalformedResponse("x: an item has no numeric id")


def tweet_url(tweet_id: str, username: str = "") -> str:
    if username:
        return f"https://x.com/{username}/status/{tweet_id}"
    return f"https://x.com/i/web/status/{tweet_id}"


class XAdapter(ChannelAdapter):
    capabilities: ClassVar[Capabilities] = Capabilities(
        network=Network.X,
        text=TextLimit(max_length=MAX_WEIGHTED_LENGTH, counting="weighted", url_length=URL_LENGTH),
        media=MediaLimit(
            mime_types=IMAGE_TYPES,
            max_items=MAX_IMAGES,
            max_image_bytes=MAX_IMAGE_BYTES,
            max_video_bytes=0,  # chunked video upload is not implemented
            alt_text_max=MAX_ALT_TEXT,
        ),
        threads=True,
        edits=False,
        deletes=True,
        private_messages=True,
        search=True,
        metrics=True,
        webhooks=False,
        reply_semantics=(
            "A reply names the tweet it answers (in_reply_to_tweet_id); the author's reply "
            "settings may forbid it. Replies share the thread's conversation_id."
        ),
        rate_limit=RateLimit(
            requests=100,
            per_seconds=15 * 60,
            note="POST /2/tweets: 100 requests per 15 minutes per user (limits differ by "
            "access tier); mentions 300 and recent search 300 per 15 minutes per user.",
        ),
    )

    def __init__(self, *, credentials: Credentials, config: Mapping[str, Any]) -> None:
        super().__init__(credentials=credentials, config=config)
        self.settings = XConfig.from_mapping(config)
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
        self.api = XApiClient(
            credentials.access_token,
            api_host=str(self.settings.api_host),
            timeout=self.settings.timeout_seconds,
            clock=self._now,
        )
        self._me: dict[str, str] = {}
        if credentials.extra.get("user_id"):
            self._me = {
                "id": credentials.extra["user_id"],
                "username": credentials.extra.get("username", ""),
            }

    def __repr__(self) -> str:
        return f"XAdapter(user_id={self.credentials.extra.get('user_id', '')!r})"

    def _now(self) -> dt.datetime:
        return self.clock()  # looked up on each call: tests replace ``clock``

    def _get(self, operation: Callable[[], Any]) -> dict[str, Any]:
        return as_object(operation)

    # --- reading ----------------------------------------------------------------------

    def _me_id(self) -> str:
        if not self._me:
            profile = self.fetch_profile()
            self._me = {"id": profile.remote_id, "username": profile.handle}
        return self._me["id"]

    def fetch_profile(self) -> AccountProfile:
        body = self._get(
            lambda: self.api.get_me(user_fields=["public_metrics", *USER_FIELDS], user_auth=False)
        )
        user = body.get("data")
        if not isinstance(user, dict) or not user.get("id"):
            raise MalformedResponse("x: /2/users/me returned no user")
        metrics = user.get("public_metrics") or {}
        self._me = {"id": str(user["id"]), "username": str(user.get("username") or "")}
        return AccountProfile(
            remote_id=str(user["id"]),
            handle=str(user.get("username") or ""),
            display_name=str(user.get("name") or ""),
            followers=metrics.get("followers_count"),
            url=f"https://x.com/{user.get('username', '')}",
        )

    def _dms_enabled(self) -> bool:
        if self.settings.fetch_direct_messages is not None:
            return self.settings.fetch_direct_messages
        return "dm.read" in self.credentials.extra.get("scope", "").split()

    def fetch_inbound(self, cursor: str | None) -> FetchResult:
        """Mentions (since_id) and, with the dm.read scope, direct messages."""
        position, unreadable = _decode_cursor(cursor)
        me = self._me_id()

        def mentions(token: str | None, since: int | None) -> dict[str, Any]:
            params: dict[str, Any] = {
                "max_results": self.settings.page_size,
                "expansions": ["author_id"],
                "tweet_fields": TWEET_FIELDS,
                "user_fields": USER_FIELDS,
                "user_auth": False,
            }
            if since:
                params["since_id"] = str(since)
            if token:
                params["pagination_token"] = token
            return self._get(lambda: self.api.get_users_mentions(me, **params))

        rows, users, newest, gap = self._walk(mentions, position.get("mentions"))
        items = [self._tweet_item(row, users, kind=None) for row in rows]
        next_position = {"mentions": newest}
        if self._dms_enabled():
            dm_items, dm_newest, dm_gap = self._fetch_dms(position.get("dm"))
            items.extend(dm_items)
            next_position["dm"] = dm_newest
            gap = gap or dm_gap
        items.sort(key=lambda item: int(item.remote_id))
        return FetchResult(items=items, cursor=json.dumps(next_position), gap=gap or unreadable)

    def _walk(
        self, page: Callable[[str | None, int | None], dict[str, Any]], since: int | None
    ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], int | None, bool]:
        """Page newest-first results back to ``since``: (rows, users by id, newest id, gap).

        ``since_id`` endpoints (mentions, search) filter on the server; the DM events
        endpoint does not, so rows at or below ``since`` are dropped here as well.
        """
        rows: list[dict[str, Any]] = []
        users: dict[str, dict[str, Any]] = {}
        newest = since
        token: str | None = None
        gap = False
        for number in range(self.settings.max_pages):
            body = page(token, since)
            data = body.get("data") or []
            if not isinstance(data, list):
                raise MalformedResponse("x: data is not a list")
            for user in (body.get("includes") or {}).get("users") or []:
                users[str(user.get("id"))] = user
            reached = False
            for row in data:
                row_id = _snowflake(row.get("id"))
                if since is not None and row_id <= since:
                    reached = True
                    continue
                rows.append(row)
                newest = max(newest or 0, row_id)
            token = (body.get("meta") or {}).get("next_token")
            if since is None or reached or not token or not data:
                break
            if number == self.settings.max_pages - 1:
                gap = True  # more pages remain than the budget allows
        return rows, users, newest, gap

    def _fetch_dms(self, since: int | None) -> tuple[list[InboundItem], int | None, bool]:
        def page(token: str | None, _since: int | None) -> dict[str, Any]:
            params: dict[str, Any] = {
                "max_results": self.settings.page_size,
                "event_types": ["MessageCreate"],
                "dm_event_fields": DM_FIELDS,
                "expansions": ["sender_id"],
                "user_fields": USER_FIELDS,
                "user_auth": False,
            }
            if token:
                params["pagination_token"] = token
            return self._get(lambda: self.api.get_direct_message_events(**params))

        rows, users, newest, gap = self._walk(page, since)
        me = self._me_id()
        items = []
        for row in rows:
            sender = str(row.get("sender_id") or "")
            user = users.get(sender, {})
            items.append(
                InboundItem(
                    remote_id=str(row["id"]),
                    kind=ItemKind.DIRECT_MESSAGE,
                    text=str(row.get("text") or ""),
                    created_at=_parse_time(row.get("created_at")),
                    author_id=sender,
                    author_handle=str(user.get("username") or ""),
                    author_name=str(user.get("name") or ""),
                    conversation_id=str(row.get("dm_conversation_id") or ""),
                    is_own=sender == me,
                    raw=row,
                )
            )
        return items, newest, gap

    def _tweet_item(
        self, row: dict[str, Any], users: dict[str, dict[str, Any]], *, kind: ItemKind | None
    ) -> InboundItem:
        author_id = str(row.get("author_id") or "")
        user = users.get(author_id, {})
        replied_to = next(
            (
                str(ref.get("id"))
                for ref in row.get("referenced_tweets") or []
                if ref.get("type") == "replied_to"
            ),
            "",
        )
        tweet_id = str(_snowflake(row.get("id")))
        username = str(user.get("username") or "")
        return InboundItem(
            remote_id=tweet_id,
            kind=kind or (ItemKind.REPLY if replied_to else ItemKind.MENTION),
            text=str(row.get("text") or ""),
            created_at=_parse_time(row.get("created_at")),
            author_id=author_id,
            author_handle=username,
            author_name=str(user.get("name") or ""),
            url=tweet_url(tweet_id, username),
            in_reply_to=replied_to,
            conversation_id=str(row.get("conversation_id") or tweet_id),
            is_own=bool(author_id) and author_id == self._me.get("id"),
            language=str(row.get("lang") or ""),
            raw=row,
        )

    def search(self, query: str, cursor: str | None = None) -> FetchResult:
        """Recent public tweets (last 7 days) matching ``query`` newer than the cursor."""
        position, unreadable = _decode_cursor(cursor)
        self._me_id()

        def page(token: str | None, since: int | None) -> dict[str, Any]:
            params: dict[str, Any] = {
                "max_results": self.settings.page_size,
                "expansions": ["author_id"],
                "tweet_fields": TWEET_FIELDS,
                "user_fields": USER_FIELDS,
                "user_auth": False,
            }
            if since:
                params["since_id"] = str(since)
            if token:
                params["next_token"] = token
            return self._get(lambda: self.api.search_recent_tweets(query, **params))

        rows, users, newest, gap = self._walk(page, position.get("search"))
        items = [self._tweet_item(row, users, kind=ItemKind.POST) for row in reversed(rows)]
        return FetchResult(
            items=items, cursor=json.dumps({"search": newest}), gap=gap or unreadable
        )

    def fetch_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        metrics: list[PostMetrics] = []
        for start in range(0, len(remote_ids), METRICS_BATCH):
            batch = remote_ids[start : start + METRICS_BATCH]
            body = self._get(
                lambda b=batch: self.api.get_tweets(  # type: ignore[misc]
                    b, tweet_fields=["public_metrics"], user_auth=False
                )
            )
            for tweet in body.get("data") or []:
                counts = tweet.get("public_metrics") or {}
                metrics.append(
                    PostMetrics(
                        remote_id=str(tweet.get("id")),
                        likes=int(counts.get("like_count") or 0),
                        shares=int(counts.get("retweet_count") or 0)
                        + int(counts.get("quote_count") or 0),
                        replies=int(counts.get("reply_count") or 0),
                        impressions=counts.get("impression_count"),
                    )
                )
        return metrics

    # --- writing ----------------------------------------------------------------------

    def _check(self, post: PostRequest) -> None:
        length = weighted_length(post.text)
        if length > MAX_WEIGHTED_LENGTH:
            raise RemoteRejected(
                f"x: the text counts {length} characters; the limit is {MAX_WEIGHTED_LENGTH}"
            )
        if len(post.attachments) > MAX_IMAGES:
            raise RemoteRejected(f"x: at most {MAX_IMAGES} images per post")
        for attachment in post.attachments:
            if attachment.mime_type not in IMAGE_TYPES:
                raise RemoteRejected(f"x: {attachment.mime_type} cannot be attached")
            if len(attachment.content) > MAX_IMAGE_BYTES:
                raise RemoteRejected("x: an image is larger than 5 MB")
            if len(attachment.alt_text) > MAX_ALT_TEXT:
                raise RemoteRejected("x: an alt text is longer than 1,000 characters")

    def publish(self, post: PostRequest) -> PublishedPost:
        self._check(post)
        media_ids = [self._upload(attachment) for attachment in post.attachments]
        body = self._get(
            lambda: self.api.create_tweet(
                text=post.text,
                in_reply_to_tweet_id=post.in_reply_to or None,
                media_ids=media_ids or None,
                user_auth=False,
            )
        )
        tweet = body.get("data")
        if not isinstance(tweet, dict) or not tweet.get("id"):
            raise MalformedResponse("x: POST /2/tweets returned no tweet id")
        tweet_id = str(tweet["id"])
        return PublishedPost(
            remote_id=tweet_id,
            url=tweet_url(tweet_id, self._me.get("username", "")),
            published_at=self.clock(),
        )

    def publish_thread(self, posts: list[PostRequest]) -> list[PublishedPost]:
        for post in posts:
            self._check(post)
        return super().publish_thread(posts)

    def _upload(self, attachment: Attachment) -> str:
        """POST /2/media/upload (one-shot, images), then the alt text via /2/media/metadata."""
        body = self.api.call(
            "POST",
            "/2/media/upload",
            files={"media": (attachment.filename, attachment.content, attachment.mime_type)},
            data={"media_category": "tweet_image", "media_type": attachment.mime_type},
        )
        media = body.get("data") or {}
        media_id = str(media.get("id") or "")
        if not media_id:
            raise MalformedResponse("x: the media upload returned no id")
        if attachment.alt_text:
            self.api.call(
                "POST",
                "/2/media/metadata",
                json={"id": media_id, "metadata": {"alt_text": {"text": attachment.alt_text}}},
            )
        return media_id

    def delete(self, remote_id: str) -> None:
        body = self._get(lambda: self.api.delete_tweet(remote_id, user_auth=False))
        if not (body.get("data") or {}).get("deleted"):
            raise RemoteRejected("x: the tweet was not deleted")


def _decode_cursor(cursor: str | None) -> tuple[dict[str, int | None], bool]:
    """{"mentions": since_id, "dm": newest DM event id, "search": since_id}; unreadable?"""
    if not cursor:
        return {}, False
    try:
        data = json.loads(cursor)
        if not isinstance(data, dict):
            raise TypeError
        return {k: int(v) if v is not None else None for k, v in data.items()}, False
    except (ValueError, TypeError):
        return {}, True
