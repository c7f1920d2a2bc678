"""BlueskyAdapter: one Bluesky account over XRPC, through the atproto library.

Remote ids are AT URIs (``at://did/app.bsky.feed.post/rkey``). The adapter refreshes an
expired access JWT once by itself (Bluesky access JWTs live about two hours); the rotated
tokens are then in ``adapter.credentials``, which the caller must store after every call
(compare it with the Credentials it passed in).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from atproto import models
from atproto_client.models.utils import get_model_as_dict
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from townsquare.channels.adapters.base import (
    AccountProfile,
    Attachment,
    AuthExpired,
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
from townsquare.channels.adapters.bluesky import session as bsky_session
from townsquare.channels.adapters.bluesky.text import (
    MAX_BYTES,
    MAX_GRAPHEMES,
    build_facets,
    grapheme_count,
    utf8_length,
)

T = TypeVar("T")

POST_COLLECTION = "app.bsky.feed.post"
INBOUND_REASONS = {"mention": ItemKind.MENTION, "reply": ItemKind.REPLY, "quote": ItemKind.MENTION}
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 1_000_000
MAX_ALT_GRAPHEMES = 2000
METRICS_BATCH = 25  # app.bsky.feed.getPosts accepts at most 25 URIs


class BlueskyConfig(BaseModel):
    """Settings of one Bluesky account (not secrets: those are in Credentials)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    service_url: HttpUrl = HttpUrl(bsky_session.DEFAULT_SERVICE_URL)
    # Use the account's own PDS from the session (the normal case); tests point both here.
    use_session_pds: bool = True
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    page_size: int = Field(default=50, ge=1, le=100)
    max_pages: int = Field(default=5, ge=1, le=50)
    auto_refresh: bool = True

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> BlueskyConfig:
        try:
            return cls.model_validate(dict(config))
        except ValidationError as exc:
            # Only field names and reasons: the input values could be secrets.
            problems = "; ".join(
                f"{'.'.join(str(p) for p in error['loc']) or 'config'}: {error['msg']}"
                for error in exc.errors()
            )
            raise ValueError(f"Invalid Bluesky configuration: {problems}") from None


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _rkey(uri: str) -> tuple[str, str, str]:
    """(repo DID, collection, record key) of an AT URI."""
    parts = uri.removeprefix("at://").split("/")
    if not uri.startswith("at://") or len(parts) != 3 or not all(parts):
        raise RemoteRejected("bluesky: not a post URI")
    return parts[0], parts[1], parts[2]


def post_url(uri: str, handle: str = "") -> str:
    repo, _, rkey = _rkey(uri)
    return f"https://bsky.app/profile/{handle or repo}/post/{rkey}"


class _Cursor:
    """Where polling stopped: the newest ``indexedAt`` seen and the URIs seen at it."""

    def __init__(self, since: dt.datetime | None, seen: frozenset[str]) -> None:
        self.since = since
        self.seen = seen

    @classmethod
    def decode(cls, raw: str | None) -> tuple[_Cursor, bool]:
        """The cursor, and whether it was unreadable (then polling restarts with a gap)."""
        if not raw:
            return cls(None, frozenset()), False
        try:
            data = json.loads(raw)
            since = _parse_time(data["t"])
            seen = frozenset(str(uri) for uri in data.get("seen", []))
        except (ValueError, TypeError, KeyError):
            return cls(None, frozenset()), True
        if since is None:
            return cls(None, frozenset()), True
        return cls(since, seen), False

    def encode(self) -> str | None:
        if self.since is None:
            return None
        return json.dumps({"t": self.since.isoformat(), "seen": sorted(self.seen)})

    def is_old(self, stamp: dt.datetime, uri: str) -> bool:
        if self.since is None:
            return False
        return stamp < self.since or (stamp == self.since and uri in self.seen)


class BlueskyAdapter(ChannelAdapter):
    capabilities: ClassVar[Capabilities] = Capabilities(
        network=Network.BLUESKY,
        text=TextLimit(max_length=MAX_GRAPHEMES, counting="graphemes"),
        media=MediaLimit(
            mime_types=IMAGE_TYPES,
            max_items=MAX_IMAGES,
            max_image_bytes=MAX_IMAGE_BYTES,
            max_video_bytes=0,  # video goes through a separate video service: not supported
            alt_text_max=MAX_ALT_GRAPHEMES,
        ),
        threads=True,
        edits=False,
        deletes=True,
        private_messages=False,
        search=True,
        metrics=True,
        webhooks=False,
        reply_semantics=(
            "A reply is a post whose record names the thread root and the parent "
            "(AT URI + CID); anyone may reply unless the author set a threadgate."
        ),
        rate_limit=RateLimit(
            requests=3000,
            per_seconds=300,
            note="3,000 API requests per 5 minutes per IP; writes cost points: "
            "5,000 points per hour and 35,000 per day per account (a post costs 3).",
        ),
    )

    def __init__(self, *, credentials: Credentials, config: Mapping[str, Any]) -> None:
        super().__init__(credentials=credentials, config=config)
        self.settings = BlueskyConfig.from_mapping(config)
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
        self._client = bsky_session.make_client(
            self._base_url(), timeout=self.settings.timeout_seconds
        )
        self._client.request.add_additional_headers_source(self._auth_headers)

    def __repr__(self) -> str:
        return f"BlueskyAdapter(did={self.credentials.extra.get('did', '')!r})"

    def close(self) -> None:
        self._client.request.close()

    # --- plumbing ---------------------------------------------------------------------

    def _base_url(self) -> str:
        pds = self.credentials.extra.get("pds") if self.settings.use_session_pds else None
        return pds or str(self.settings.service_url).rstrip("/")

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.access_token}"}

    @property
    def did(self) -> str:
        did = self.credentials.extra.get("did", "")
        if not did:
            raise AuthExpired("bluesky: the connection has no account DID; reconnect the account")
        return did

    def _call(self, operation: Callable[[], T]) -> T:
        """One XRPC call; on an expired session refresh once and try again."""
        try:
            return operation()
        except bsky_session.LIBRARY_ERRORS as exc:
            if not (
                self.settings.auto_refresh
                and self.credentials.refresh_token
                and bsky_session.is_token_error(exc)
            ):
                raise bsky_session.translate_error(exc, now=self.clock()) from None
        self.credentials = bsky_session.refresh_session(
            self.credentials,
            service_url=str(self.settings.service_url),
            timeout=self.settings.timeout_seconds,
        )
        return bsky_session.call(operation, now=self.clock)

    # --- reading ----------------------------------------------------------------------

    def fetch_profile(self) -> AccountProfile:
        profile = self._call(lambda: self._client.app.bsky.actor.get_profile({"actor": self.did}))
        return AccountProfile(
            remote_id=profile.did,
            handle=profile.handle,
            display_name=profile.display_name or "",
            followers=profile.followers_count,
            url=f"https://bsky.app/profile/{profile.handle}",
        )

    def fetch_inbound(self, cursor: str | None) -> FetchResult:
        """Mentions, replies and quotes since the cursor (listNotifications, newest first)."""

        def page(page_cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
            params: dict[str, Any] = {
                "limit": self.settings.page_size,
                "reasons": list(INBOUND_REASONS),
            }
            if page_cursor:
                params["cursor"] = page_cursor
            response = self._call(
                lambda: self._client.app.bsky.notification.list_notifications(params)
            )
            rows = [get_model_as_dict(n) for n in response.notifications]
            return rows, response.cursor

        rows, next_cursor, gap = self._poll(page, cursor)
        items = [
            self._item(row["record"], row, kind=INBOUND_REASONS[row["reason"]])
            for row in rows
            if row.get("reason") in INBOUND_REASONS
        ]
        return FetchResult(items=items, cursor=next_cursor, gap=gap)

    def search(self, query: str, cursor: str | None = None) -> FetchResult:
        """Public posts matching ``query`` that are newer than the cursor (searchPosts)."""

        def page(page_cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
            params: dict[str, Any] = {
                "q": query,
                "sort": "latest",
                "limit": self.settings.page_size,
            }
            if page_cursor:
                params["cursor"] = page_cursor
            response = self._call(lambda: self._client.app.bsky.feed.search_posts(params))
            return [get_model_as_dict(p) for p in response.posts], response.cursor

        rows, next_cursor, gap = self._poll(page, cursor)
        items = [self._item(row["record"], row, kind=ItemKind.POST) for row in rows]
        return FetchResult(items=items, cursor=next_cursor, gap=gap)

    def _poll(
        self,
        page: Callable[[str | None], tuple[list[dict[str, Any]], str | None]],
        cursor: str | None,
    ) -> tuple[list[dict[str, Any]], str | None, bool]:
        """Walk newest-first pages back to the cursor: (new rows oldest first, cursor, gap).

        On the first poll (no cursor) only one page is read. A gap is reported when the
        page budget ran out before reaching the cursor, or the cursor was unreadable.
        """
        position, gap = _Cursor.decode(cursor)
        fresh: list[dict[str, Any]] = []
        newest: dt.datetime | None = None
        newest_seen: set[str] = set()
        page_cursor: str | None = None
        reached = False
        for _ in range(self.settings.max_pages):
            rows, page_cursor = page(page_cursor)
            for row in rows:
                stamp, uri = self._stamp(row)
                if newest is None or stamp > newest:
                    newest, newest_seen = stamp, {uri}
                elif stamp == newest:
                    newest_seen.add(uri)
                if position.is_old(stamp, uri):
                    reached = True
                else:
                    fresh.append(row)
            if position.since is None or reached or not page_cursor or not rows:
                break
        else:
            gap = True  # the page budget ran out before reaching the cursor
        fresh.reverse()
        if newest is None or (position.since is not None and newest < position.since):
            return fresh, cursor, gap
        if newest == position.since:
            newest_seen |= position.seen
        return fresh, _Cursor(newest, frozenset(newest_seen)).encode(), gap

    def _stamp(self, row: dict[str, Any]) -> tuple[dt.datetime, str]:
        stamp = _parse_time(row.get("indexedAt"))
        uri = row.get("uri")
        if stamp is None or not isinstance(uri, str):
            raise MalformedResponse("bluesky: an item has no indexedAt or uri")
        return stamp, uri

    def _item(self, record: Any, row: dict[str, Any], *, kind: ItemKind) -> InboundItem:
        if not isinstance(record, dict):
            raise MalformedResponse("bluesky: a post has no record")
        author = row.get("author") or {}
        indexed_at, uri = self._stamp(row)
        reply = record.get("reply") or {}
        langs = record.get("langs") or []
        embed = row.get("embed") or {}
        images = embed.get("images") if isinstance(embed, dict) else None
        return InboundItem(
            remote_id=uri,
            kind=kind,
            text=str(record.get("text") or ""),
            created_at=_parse_time(record.get("createdAt")) or indexed_at,
            author_id=str(author.get("did") or ""),
            author_handle=str(author.get("handle") or ""),
            author_name=str(author.get("displayName") or ""),
            url=post_url(uri, str(author.get("handle") or "")),
            in_reply_to=str((reply.get("parent") or {}).get("uri") or ""),
            conversation_id=str((reply.get("root") or {}).get("uri") or uri),
            is_own=author.get("did") == self.credentials.extra.get("did"),
            language=str(langs[0]) if langs else "",
            attachment_urls=tuple(
                str(image.get("fullsize")) for image in images or [] if image.get("fullsize")
            ),
            raw=row,
        )

    def _get_posts(self, uris: list[str]) -> models.AppBskyFeedGetPosts.Response:
        return self._call(lambda: self._client.app.bsky.feed.get_posts({"uris": uris}))

    def fetch_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        metrics: list[PostMetrics] = []
        for start in range(0, len(remote_ids), METRICS_BATCH):
            batch = remote_ids[start : start + METRICS_BATCH]
            response = self._get_posts(batch)
            for post in response.posts:
                metrics.append(
                    PostMetrics(
                        remote_id=post.uri,
                        likes=post.like_count or 0,
                        shares=(post.repost_count or 0) + (post.quote_count or 0),
                        replies=post.reply_count or 0,
                    )
                )
        return metrics

    # --- writing ----------------------------------------------------------------------

    def publish(self, post: PostRequest) -> PublishedPost:
        reply = self._reply_refs(post.in_reply_to) if post.in_reply_to else None
        published, _ = self._create_post(post, reply)
        return published

    def publish_thread(self, posts: list[PostRequest]) -> list[PublishedPost]:
        for post in posts:
            self._check(post)
        published: list[PublishedPost] = []
        reply: dict[str, Any] | None = None
        if posts and posts[0].in_reply_to:
            reply = self._reply_refs(posts[0].in_reply_to)
        for post in posts:
            done, ref = self._create_post(post, reply)
            published.append(done)
            root = reply["root"] if reply else ref
            reply = {"root": root, "parent": ref}
        return published

    def delete(self, remote_id: str) -> None:
        repo, collection, rkey = _rkey(remote_id)
        if repo != self.did:
            raise RemoteRejected("bluesky: only the account's own posts can be deleted")
        data = models.ComAtprotoRepoDeleteRecord.Data(repo=repo, collection=collection, rkey=rkey)
        self._call(lambda: self._client.com.atproto.repo.delete_record(data))

    def _check(self, post: PostRequest) -> None:
        length = grapheme_count(post.text)
        if length > MAX_GRAPHEMES or utf8_length(post.text) > MAX_BYTES:
            raise RemoteRejected(
                f"bluesky: the text is {length} characters; the limit is {MAX_GRAPHEMES}"
            )
        if len(post.attachments) > MAX_IMAGES:
            raise RemoteRejected(f"bluesky: at most {MAX_IMAGES} images per post")
        for attachment in post.attachments:
            if attachment.mime_type not in IMAGE_TYPES:
                raise RemoteRejected(f"bluesky: {attachment.mime_type} cannot be attached")
            if len(attachment.content) > MAX_IMAGE_BYTES:
                raise RemoteRejected("bluesky: an image is larger than 1,000,000 bytes")
            if grapheme_count(attachment.alt_text) > MAX_ALT_GRAPHEMES:
                raise RemoteRejected("bluesky: an alt text is longer than 2,000 characters")

    def _reply_refs(self, parent_uri: str) -> dict[str, Any]:
        _rkey(parent_uri)
        response = self._get_posts([parent_uri])
        if not response.posts:
            raise RemoteRejected("bluesky: the post being replied to is gone")
        parent = get_model_as_dict(response.posts[0])
        parent_ref = {"uri": parent["uri"], "cid": parent["cid"]}
        root = ((parent.get("record") or {}).get("reply") or {}).get("root")
        root_ref = {"uri": root["uri"], "cid": root["cid"]} if root else parent_ref
        return {"root": root_ref, "parent": parent_ref}

    def _create_post(
        self, post: PostRequest, reply: dict[str, Any] | None
    ) -> tuple[PublishedPost, dict[str, str]]:
        self._check(post)
        created_at = self.clock().astimezone(dt.UTC)
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": post.text,
            "createdAt": created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        facets = build_facets(post.text, self._resolve_handle)
        if facets:
            record["facets"] = facets
        if post.language:
            record["langs"] = [post.language]
        if reply:
            record["reply"] = reply
        if post.attachments:
            record["embed"] = {
                "$type": "app.bsky.embed.images",
                "images": [
                    {"alt": attachment.alt_text, "image": self._upload(attachment)}
                    for attachment in post.attachments
                ],
            }
        data = models.ComAtprotoRepoCreateRecord.Data(
            repo=self.did, collection=POST_COLLECTION, record=record
        )
        created = self._call(lambda: self._client.com.atproto.repo.create_record(data))
        handle = self.credentials.extra.get("handle", "")
        published = PublishedPost(
            remote_id=created.uri, url=post_url(created.uri, handle), published_at=created_at
        )
        return published, {"uri": created.uri, "cid": created.cid}

    def _upload(self, attachment: Attachment) -> models.BlobRef:
        headers = {"Content-Type": attachment.mime_type}
        content = attachment.content
        response: models.ComAtprotoRepoUploadBlob.Response = self._call(
            lambda: self._client.com.atproto.repo.upload_blob(content, headers=headers)
        )
        return response.blob

    def _resolve_handle(self, handle: str) -> str | None:
        try:
            response = self._call(
                lambda: self._client.com.atproto.identity.resolve_handle({"handle": handle})
            )
        except RemoteRejected:
            return None  # not a Bluesky handle: the text stays plain
        return str(response.did)
