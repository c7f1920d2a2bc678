"""Mastodon adapter, built on Mastodon.py (the maintained client library).

One adapter instance is one account on one Mastodon server. Inbound items are the
account's ``mention`` notifications (public mentions, replies and direct messages, which
Mastodon delivers as statuses with visibility "direct").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import time
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
    MastodonVersionError,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from townsquare.channels.adapters.base import (
    AccountProfile,
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
    RateLimited,
    RemoteRejected,
    TextLimit,
    TransientError,
)
from townsquare.channels.adapters.http import parse_retry_after
from townsquare.channels.adapters.mastodon.streaming import stream_statuses
from townsquare.channels.adapters.mastodon.text import (
    DEFAULT_MAX_CHARACTERS,
    URL_LENGTH,
    html_to_text,
    mastodon_length,
)
from townsquare.channels.adapters.streaming import StreamReport

NETWORK = "mastodon"
# The server version we tell Mastodon.py to assume: it then uses /api/v2/media and the
# search parameters of 2.8+, without an extra request to find the version out.
ASSUMED_SERVER_VERSION = "4.3.0"
MAX_ALT_TEXT = 1500


class MastodonConfigError(ValueError):
    """The account's Mastodon settings are not valid."""


class MastodonConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    api_base_url: str
    # The account's own id; looked up once with verify_credentials when not given.
    account_id: str = ""
    # Mastodon returns at most 40 notifications per page by default and 80 at most.
    page_size: int = Field(default=40, ge=1, le=80)
    # How many pages one poll reads back towards the cursor before reporting a gap.
    max_pages: int = Field(default=10, ge=1, le=100)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    visibility: Literal["public", "unlisted", "private"] = "public"
    # Video uploads are processed asynchronously (202): poll until the file is ready.
    media_poll_attempts: int = Field(default=30, ge=0, le=300)
    media_poll_interval: float = Field(default=1.0, ge=0, le=30)
    # The streaming API's address when the server runs it elsewhere (urls.streaming).
    streaming_base_url: str = ""
    # Stream only this server's posts rather than everything it federates.
    stream_local: bool = False

    @field_validator("streaming_base_url")
    @classmethod
    def _optional_url(cls, value: str) -> str:
        return cls._http_url(value) if value.strip() else ""

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) address such as https://mastodon.social")
        return value.strip().rstrip("/")


def parse_config(config: Mapping[str, Any]) -> MastodonConfig:
    try:
        return MastodonConfig.model_validate(dict(config))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'config'}: {error['msg']}"
            for error in exc.errors()
        )
        raise MastodonConfigError(f"Mastodon settings are not valid: {problems}") from None


class MastodonAdapter(ChannelAdapter):
    capabilities: ClassVar[Capabilities] = Capabilities(
        network=Network.MASTODON,
        # The default of a Mastodon server; the real limit comes from /api/v2/instance.
        text=TextLimit(
            max_length=DEFAULT_MAX_CHARACTERS, counting="code_points", url_length=URL_LENGTH
        ),
        media=MediaLimit(
            mime_types=(
                "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic",
                "image/avif", "video/mp4", "video/webm", "video/quicktime",
                "audio/mpeg", "audio/ogg", "audio/wav", "audio/flac",
            ),
            max_items=4,
            max_image_bytes=16 * 1024 * 1024,
            max_video_bytes=99 * 1024 * 1024,
            alt_text_max=MAX_ALT_TEXT,
        ),
        threads=True,
        edits=True,
        deletes=True,
        private_messages=True,
        search=True,
        metrics=True,
        webhooks=False,
        streaming=True,
        reply_semantics=(
            "in_reply_to_id; a reply mentions the author (@acct) so they are notified and "
            "keeps the visibility of what it answers (a direct message is answered directly)"
        ),
        rate_limit=RateLimit(
            requests=300,
            per_seconds=300,
            note="per account; media uploads 30 per 30 min; statuses 300 per 3 h",
        ),
    )

    def __init__(self, *, credentials: Credentials, config: Mapping[str, Any]) -> None:
        super().__init__(credentials=credentials, config=config)
        self.settings = parse_config(config)
        if not credentials.access_token:
            raise MastodonConfigError("Mastodon needs an access token")
        self._last_headers: Mapping[str, str] = {}
        self._last_response: requests.Response | None = None
        session = requests.Session()
        session.hooks["response"].append(self._remember_headers)
        self._api = Mastodon(
            access_token=credentials.access_token,
            api_base_url=self.settings.api_base_url,
            request_timeout=self.settings.timeout_seconds,
            ratelimit_method="throw",  # never sleep inside a worker: report and back off
            mastodon_version=ASSUMED_SERVER_VERSION,
            version_check_mode="created",
            session=session,
            user_agent="Townsquare",
        )
        self._own_id = self.settings.account_id
        self._max_characters: int | None = None

    def __repr__(self) -> str:
        return f"MastodonAdapter(api_base_url={self.settings.api_base_url!r})"

    # --- reading -------------------------------------------------------------------

    def fetch_profile(self) -> AccountProfile:
        with self._errors("profile"):
            account = self._body(self._api.account_verify_credentials())
        self._own_id = str(_require(account, "id"))
        return AccountProfile(
            remote_id=self._own_id,
            handle=self._handle(account),
            display_name=str(account.get("display_name") or account.get("username") or ""),
            followers=_int(account.get("followers_count")),
            url=str(account.get("url") or ""),
        )

    def fetch_inbound(self, cursor: str | None) -> FetchResult:
        """Mentions, replies and direct messages newer than ``cursor`` (a notification id).

        Reads newest first. When a page is full and its oldest item is still newer than
        the cursor, more lie in between: page backwards (max_id) until the cursor is
        reached or ``max_pages`` is hit, which is reported as a gap.
        """
        size, own_id = self.settings.page_size, self._account_id()
        notifications: dict[str, dict[str, Any]] = {}
        gap = False
        max_id: str | None = None
        for page_number in range(1, self.settings.max_pages + 2):
            if page_number > self.settings.max_pages:
                gap = True
                break
            page = self._notifications(since_id=cursor, max_id=max_id, limit=size)
            fresh = [n for n in page if cursor is None or _id_key(n["id"]) > _id_key(cursor)]
            for notification in fresh:
                notifications[str(notification["id"])] = notification
            if cursor is None or len(page) < size or len(fresh) < len(page) or not fresh:
                break
            max_id = min((str(n["id"]) for n in fresh), key=_id_key)
        items = [
            item
            for key in sorted(notifications, key=_id_key)
            if (item := self._notification_item(notifications[key], own_id)) is not None
        ]
        newest = max(notifications, key=_id_key) if notifications else cursor
        return FetchResult(items=items, cursor=newest, gap=gap)

    def search(self, query: str, cursor: str | None = None) -> FetchResult:
        """Public statuses matching ``query`` (needs full-text search on the server)."""
        offset = int(cursor) if cursor and cursor.isdigit() else 0
        with self._errors("search"):
            found = self._body(
                self._api.search_v2(
                    query,
                    resolve=False,
                    result_type="statuses",
                    offset=offset or None,
                    limit=self.settings.page_size,
                )
            )
        statuses = found.get("statuses") if isinstance(found, dict) else None
        if not isinstance(statuses, list):
            raise MalformedResponse("mastodon: the search answer has no statuses list")
        own_id = self._account_id()
        items = [self._status_item(status, ItemKind.POST, own_id) for status in statuses]
        more = len(statuses) >= self.settings.page_size
        return FetchResult(items=items, cursor=str(offset + len(statuses)) if more else None)

    def stream(
        self, *, topic: str = "", max_seconds: float, max_items: int,
        report: StreamReport | None = None,
    ) -> Iterator[InboundItem]:
        """Public statuses from the streaming API (see ``mastodon.streaming``)."""
        report = report if report is not None else StreamReport()
        own_id = self._account_id()
        for status in stream_statuses(
            base_url=self.settings.streaming_base_url or self.settings.api_base_url,
            token=self.credentials.access_token, topic=topic, local=self.settings.stream_local,
            max_seconds=max_seconds, connect_timeout=self.settings.timeout_seconds,
            report=report,
        ):
            try:
                item = self._status_item(status, ItemKind.POST, own_id)
            except MalformedResponse as exc:  # one bad status must not end the stream
                report.note(str(exc))
                continue
            report.items += 1
            yield item
            if report.items >= max_items:
                return

    def fetch_post(self, remote_id: str) -> InboundItem | None:
        """One status as it is now; None when the server says it is gone (404)."""
        try:
            with self._errors("status"):
                status = self._body(self._api.status(remote_id))
        except _Gone:
            return None
        return self._status_item(status, ItemKind.POST, self._account_id())

    def fetch_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        """Counts per status; statuses that no longer exist are left out."""
        metrics = []
        for remote_id in remote_ids:
            try:
                with self._errors("metrics"):
                    status = self._body(self._api.status(remote_id))
            except _Gone:
                continue
            metrics.append(
                PostMetrics(
                    remote_id=str(_require(status, "id")),
                    likes=_int(status.get("favourites_count")) or 0,
                    shares=_int(status.get("reblogs_count")) or 0,
                    replies=_int(status.get("replies_count")) or 0,
                )
            )
        return metrics

    def max_characters(self) -> int:
        """The server's limit from /api/v2/instance (or v1), else Mastodon's default 500."""
        if self._max_characters is None:
            self._max_characters = self._fetch_max_characters()
        return self._max_characters

    # --- writing -------------------------------------------------------------------

    def publish(self, post: PostRequest) -> PublishedPost:
        return self._publish(post, visibility=self.settings.visibility)

    def reply(self, remote_id: str, post: PostRequest) -> PublishedPost:
        """Answer a status: mention its author and keep its visibility (DMs stay direct)."""
        with self._errors("reply"):
            original = self._body(self._api.status(remote_id))
        author = original.get("account") or {}
        acct = str(author.get("acct") or "")
        text = post.text
        if acct and str(author.get("id")) != self._account_id() and f"@{acct}" not in text:
            text = f"@{acct} {text}"
        visibility = str(original.get("visibility") or "public")
        if visibility not in ("direct", "private", "unlisted"):
            visibility = self.settings.visibility
        return self._publish(
            PostRequest(
                text=text,
                attachments=post.attachments,
                in_reply_to=remote_id,
                idempotency_key=post.idempotency_key,
                language=post.language,
            ),
            visibility=visibility,
        )

    def edit(self, remote_id: str, text: str) -> PublishedPost:
        self._check_length(text)
        with self._errors("edit"):
            status = self._body(self._api.status_update(remote_id, status=text))
        return _published(status, edited=True)

    def delete(self, remote_id: str) -> None:
        """Delete a status; one that is already gone counts as deleted."""
        with contextlib.suppress(_Gone), self._errors("delete"):
            self._api.status_delete(remote_id)

    def _publish(self, post: PostRequest, *, visibility: str) -> PublishedPost:
        self._check_length(post.text)
        if len(post.attachments) > 4:
            raise RemoteRejected("mastodon: at most 4 attachments per post")
        for attachment in post.attachments:
            if len(attachment.alt_text) > MAX_ALT_TEXT:
                raise RemoteRejected(f"mastodon: alt text is limited to {MAX_ALT_TEXT} characters")
        media_ids = [self._upload(attachment) for attachment in post.attachments]
        with self._errors("publish"):
            status = self._body(
                self._api.status_post(
                    post.text,
                    in_reply_to_id=post.in_reply_to or None,
                    media_ids=media_ids or None,
                    visibility=visibility,
                    language=post.language or None,
                    idempotency_key=post.idempotency_key or None,
                )
            )
        return _published(status)

    def _upload(self, attachment: Any) -> str:
        with self._errors("media upload"):
            media = self._body(
                self._api.media_post(
                    io.BytesIO(attachment.content),
                    mime_type=attachment.mime_type,
                    description=attachment.alt_text or None,
                    file_name=attachment.filename,
                )
            )
            media_id = str(_require(media, "id"))
            # 202 Accepted: the server is still processing (video); wait, but boundedly.
            for _ in range(self.settings.media_poll_attempts):
                if media.get("url"):
                    break
                time.sleep(self.settings.media_poll_interval)
                media = self._body(self._api.media(media_id))
            else:
                if not media.get("url"):
                    raise TransientError("mastodon: the uploaded media is still processing")
        return media_id

    def _check_length(self, text: str) -> None:
        limit = self.max_characters()
        length = mastodon_length(text)
        if length > limit:
            raise RemoteRejected(f"mastodon: the text is {length} characters, the limit is {limit}")

    # --- helpers -------------------------------------------------------------------

    def _account_id(self) -> str:
        if not self._own_id:
            self.fetch_profile()
        return self._own_id

    def _notifications(
        self, *, since_id: str | None, max_id: str | None, limit: int
    ) -> list[dict[str, Any]]:
        with self._errors("notifications"):
            page = self._body(
                self._api.notifications(
                    types=["mention"], since_id=since_id, max_id=max_id, limit=limit
                )
            )
        if not isinstance(page, list) or not all(
            isinstance(n, dict) and isinstance(n.get("id"), str | int) for n in page
        ):
            raise MalformedResponse("mastodon: notifications are not a list of notifications")
        return page

    def _notification_item(
        self, notification: dict[str, Any], own_id: str
    ) -> InboundItem | None:
        status = notification.get("status")
        if notification.get("type") != "mention" or not isinstance(status, dict):
            return None  # the status was deleted, or a server ignored types[]
        if status.get("visibility") == "direct":
            kind = ItemKind.DIRECT_MESSAGE
        elif status.get("in_reply_to_id"):
            kind = ItemKind.REPLY
        else:
            kind = ItemKind.MENTION
        return self._status_item(status, kind, own_id)

    def _status_item(self, status: Any, kind: ItemKind, own_id: str) -> InboundItem:
        if not isinstance(status, dict) or not isinstance(status.get("account"), dict):
            raise MalformedResponse("mastodon: a status without an account")
        account = status["account"]
        author_id = str(_require(account, "id"))
        return InboundItem(
            remote_id=str(_require(status, "id")),
            kind=kind,
            text=html_to_text(str(status.get("content") or "")),
            created_at=_time(status.get("created_at")),
            author_id=author_id,
            author_handle=self._handle(account),
            author_name=str(account.get("display_name") or ""),
            url=str(status.get("url") or status.get("uri") or ""),
            in_reply_to=str(status.get("in_reply_to_id") or ""),
            is_own=bool(own_id) and author_id == own_id,
            language=str(status.get("language") or ""),
            attachment_urls=tuple(
                str(media.get("url") or media.get("remote_url"))
                for media in status.get("media_attachments") or []
                if isinstance(media, dict) and (media.get("url") or media.get("remote_url"))
            ),
            raw=status,
        )

    def _handle(self, account: Mapping[str, Any]) -> str:
        acct = str(account.get("acct") or account.get("username") or "")
        if "@" not in acct:
            acct = f"{acct}@{urlsplit(self.settings.api_base_url).hostname}"
        return f"@{acct}"

    def _fetch_max_characters(self) -> int:
        for fetch in (self._api.instance_v2, self._api.instance_v1):
            try:
                with self._errors("instance"):
                    instance = self._body(fetch())
            except (AuthExpired, RateLimited):
                raise
            except Exception:  # noqa: S112 (an unreachable instance page is not fatal)
                continue
            configuration = instance.get("configuration") if isinstance(instance, dict) else None
            statuses = (configuration or {}).get("statuses") or {}
            value = _int(statuses.get("max_characters")) or _int(instance.get("max_toot_chars"))
            if value:
                return value
        return DEFAULT_MAX_CHARACTERS

    def _remember_headers(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last_headers = dict(response.headers)
        self._last_response = response

    def _body(self, parsed: Any) -> Any:
        """The JSON exactly as the server sent it (kept as ``raw``); Mastodon.py's typed
        copy adds keys and turns dates into objects."""
        response, self._last_response = self._last_response, None
        if response is not None:
            with contextlib.suppress(ValueError):
                return response.json()
        return _plain(parsed)

    def _retry_after(self) -> float | None:
        headers = {k.lower(): v for k, v in self._last_headers.items()}
        seconds = parse_retry_after(headers.get("retry-after"))
        if seconds is None and headers.get("x-ratelimit-reset"):
            # Mastodon itself sends an ISO 8601 reset time rather than Retry-After.
            with contextlib.suppress(ValueError):
                reset_at = headers["x-ratelimit-reset"].replace("Z", "+00:00")
                reset = dt.datetime.fromisoformat(reset_at)
                if reset.tzinfo is None:
                    reset = reset.replace(tzinfo=dt.UTC)
                seconds = max(0.0, (reset - dt.datetime.now(dt.UTC)).total_seconds())
        return seconds

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Map Mastodon.py's exceptions to the adapter errors (never with a token in them)."""
        try:
            yield
        except MastodonRatelimitError:
            raise RateLimited(
                f"mastodon: rate limited ({action})", retry_after=self._retry_after()
            ) from None
        except MastodonUnauthorizedError:
            raise AuthExpired(f"mastodon: the access token was refused ({action})") from None
        except MastodonNotFoundError:
            raise _Gone(f"mastodon: not found ({action})") from None
        except MastodonServerError as exc:
            raise TransientError(f"mastodon: server error {_status(exc)} ({action})") from None
        except MastodonNetworkError:
            raise TransientError(f"mastodon: the server did not answer ({action})") from None
        except MastodonAPIError as exc:
            status = _status(exc)
            if status is None:
                raise MalformedResponse(
                    f"mastodon: the answer is not valid JSON ({action})"
                ) from None
            reason = exc.args[3] if len(exc.args) > 3 and isinstance(exc.args[3], str) else ""
            raise RemoteRejected(
                f"mastodon: refused ({status}, {action}): {reason[:200]}".rstrip(": ")
            ) from None
        except (MastodonIllegalArgumentError, MastodonVersionError):
            raise MalformedResponse(f"mastodon: unexpected answer ({action})") from None
        except (KeyError, TypeError, AttributeError):
            raise MalformedResponse(f"mastodon: unexpected answer ({action})") from None


class _Gone(RemoteRejected):
    """404: the status or account does not exist (any more)."""


def _status(exc: MastodonAPIError) -> int | None:
    if len(exc.args) > 1 and isinstance(exc.args[1], int):
        return exc.args[1]
    return None


def _plain(value: Any) -> Any:
    """Mastodon.py's typed dicts back to JSON values (ids as str, times as ISO 8601)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, str):
        return str(value)
    return value


def _require(mapping: Any, key: str) -> Any:
    if not isinstance(mapping, dict) or mapping.get(key) in (None, ""):
        raise MalformedResponse(f"mastodon: the answer has no {key}")
    return mapping[key]


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _time(value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise MalformedResponse("mastodon: a date is not ISO 8601") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    raise MalformedResponse("mastodon: a status has no created_at")


def _id_key(value: Any) -> tuple[int, str]:
    """Mastodon ids are numeric strings: compare them as numbers (length first)."""
    text = str(value)
    return (len(text), text) if text.isdigit() else (0, text)


def _published(status: Any, *, edited: bool = False) -> PublishedPost:
    if not isinstance(status, dict):
        raise MalformedResponse("mastodon: the answer is not a status")
    when = (edited and status.get("edited_at")) or status.get("created_at")
    return PublishedPost(
        remote_id=str(_require(status, "id")),
        url=str(status.get("url") or status.get("uri") or ""),
        published_at=_time(when) if when else None,
    )
