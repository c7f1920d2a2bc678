"""RSS / Atom feeds, read with feedparser (fetched with httpx, conditional GET).

A feed is read-only here: partner agencies' and media feeds are polled for listening,
entries come back as ItemKind.POST. Publishing the agency's own feed is done by
``feed_writer`` (a pure renderer served by the portal), not by this adapter.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import feedparser
import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from townsquare.channels.adapters.base import (
    AccountProfile,
    Capabilities,
    ChannelAdapter,
    Credentials,
    FetchResult,
    InboundItem,
    ItemKind,
    MalformedResponse,
    Network,
    NotSupported,
    PostRequest,
    PublishedPost,
    RateLimit,
    TextLimit,
    TransientError,
)
from townsquare.channels.adapters.http import raise_for_status
from townsquare.channels.adapters.rss.html_text import html_to_text

NETWORK = "rss"
USER_AGENT = "Townsquare feed reader (+https://github.com/townsquare)"
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)


class RssConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feed_url: str = Field(min_length=1)
    timeout: float = Field(default=10.0, gt=0, le=120)
    max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024)
    # How many entry ids the cursor remembers (feeds usually hold the last 10–100).
    max_seen: int = Field(default=500, ge=10, le=5000)

    @field_validator("feed_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("https://", "http://")):
            raise ValueError("feed_url must be an http(s) URL")
        return value


class RssAdapter(ChannelAdapter):
    capabilities: ClassVar[Capabilities] = Capabilities(
        network=Network.RSS,
        # Feeds set no length limit; this bounds what the reader keeps of one entry.
        text=TextLimit(max_length=100_000, counting="code_points"),
        media=None,
        threads=False,
        edits=False,
        deletes=False,
        private_messages=False,
        search=False,
        metrics=False,
        webhooks=False,  # WebSub exists but is not used: feeds are polled
        reply_semantics="Feeds are read-only: answer on the agency's own channels.",
        rate_limit=RateLimit(
            requests=4,
            per_seconds=3600,
            note="Poll politely (every 15 minutes or less often) with conditional GET "
            "(ETag / Last-Modified); a 304 costs the publisher almost nothing.",
        ),
    )

    def __init__(self, *, credentials: Credentials, config: Mapping[str, Any]) -> None:
        super().__init__(credentials=credentials, config=config)
        try:
            self.settings = RssConfig.model_validate(dict(config))
        except ValidationError as exc:
            raise ValueError(f"invalid feed configuration: {exc}") from None
        timeout = httpx.Timeout(self.settings.timeout, connect=min(5.0, self.settings.timeout))
        self._http = httpx.Client(
            timeout=timeout,
            follow_redirects=True,
            max_redirects=5,
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
        )

    def __repr__(self) -> str:
        return f"RssAdapter(feed_url={self.settings.feed_url!r})"

    def close(self) -> None:
        self._http.close()

    # --- fetching ----------------------------------------------------------------------

    def _get(self, headers: Mapping[str, str]) -> tuple[int, bytes, httpx.Headers, str]:
        """GET the feed, refusing bodies over ``max_bytes`` without reading them whole."""
        limit = self.settings.max_bytes
        try:
            with self._http.stream("GET", self.settings.feed_url, headers=dict(headers)) as resp:
                if resp.status_code == 304:
                    return 304, b"", resp.headers, str(resp.url)
                if resp.status_code >= 400:
                    resp.read()
                    raise_for_status(resp, network=NETWORK)
                declared = resp.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise MalformedResponse(f"{NETWORK}: the feed is larger than {limit} bytes")
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise MalformedResponse(f"{NETWORK}: the feed is larger than {limit} bytes")
                    chunks.append(chunk)
                return resp.status_code, b"".join(chunks), resp.headers, str(resp.url)
        except httpx.TimeoutException:
            raise TransientError(f"{NETWORK}: the feed did not answer in time") from None
        except httpx.TooManyRedirects:
            raise MalformedResponse(f"{NETWORK}: the feed redirects too many times") from None
        except httpx.TransportError:
            raise TransientError(f"{NETWORK}: could not reach the feed") from None

    def _parse(self, body: bytes, headers: httpx.Headers, url: str) -> Any:
        parsed = feedparser.parse(
            body,
            response_headers={
                "content-type": headers.get("Content-Type", "application/xml"),
                "content-location": url,
            },
            sanitize_html=True,
            resolve_relative_uris=True,
        )
        if parsed.get("bozo") and not parsed.entries:
            raise MalformedResponse(f"{NETWORK}: the feed could not be parsed")
        if not parsed.get("version") and not parsed.entries:
            raise MalformedResponse(f"{NETWORK}: the document is not an RSS or Atom feed")
        return parsed

    def fetch_profile(self) -> AccountProfile:
        _status, body, headers, url = self._get({})
        feed = self._parse(body, headers, url).feed
        return AccountProfile(
            remote_id=str(feed.get("id") or self.settings.feed_url),
            handle=self.settings.feed_url,
            display_name=str(feed.get("title") or self.settings.feed_url),
            followers=None,
            url=str(feed.get("link") or ""),
        )

    def fetch_inbound(self, cursor: str | None) -> FetchResult:
        """Entries not seen at the previous poll (oldest first).

        Cursor: JSON ``{"etag", "modified", "seen": [entry ids of the last poll]}``. A 304
        keeps it unchanged. When none of the entries in the feed were seen before although
        some were, the feed turned over completely between two polls and entries may have
        been missed: ``gap=True``.
        """
        state = _read_cursor(cursor)
        headers: dict[str, str] = {}
        if state["etag"]:
            headers["If-None-Match"] = state["etag"]
        if state["modified"]:
            headers["If-Modified-Since"] = state["modified"]
        status, body, response_headers, url = self._get(headers)
        if status == 304:
            return FetchResult(items=[], cursor=cursor)
        parsed = self._parse(body, response_headers, url)
        fetched_at = dt.datetime.now(dt.UTC)
        feed_link = str(parsed.feed.get("link") or self.settings.feed_url)
        feed_language = str(parsed.feed.get("language") or "")
        seen = set(state["seen"])
        items: list[InboundItem] = []
        current: list[str] = []
        for entry in parsed.entries:
            item = _entry_to_item(entry, fetched_at, feed_link, feed_language)
            if item.remote_id in current:
                continue  # the same id twice in one feed: keep the first
            current.append(item.remote_id)
            if item.remote_id not in seen:
                items.append(item)
        gap = bool(seen) and bool(current) and not seen.intersection(current)
        items.sort(key=lambda item: item.created_at)
        # Remember this poll's ids, then older ones, so an entry that drops out of the
        # feed and comes back is not reported twice.
        remembered = current + [i for i in state["seen"] if i not in set(current)]
        next_cursor = json.dumps(
            {
                "etag": response_headers.get("ETag") or "",
                "modified": response_headers.get("Last-Modified") or "",
                "seen": remembered[: self.settings.max_seen],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return FetchResult(items=items, cursor=next_cursor, gap=gap)

    def publish(self, post: PostRequest) -> PublishedPost:
        raise NotSupported(
            f"{NETWORK}: feeds are read here; the agency's own feed is rendered by feed_writer"
        )


def _read_cursor(cursor: str | None) -> dict[str, Any]:
    empty: dict[str, Any] = {"etag": "", "modified": "", "seen": []}
    if not cursor:
        return empty
    try:
        data = json.loads(cursor)
    except json.JSONDecodeError:
        raise ValueError("a feed cursor is a JSON object") from None
    if not isinstance(data, dict):
        raise ValueError("a feed cursor is a JSON object")
    seen = data.get("seen")
    return {
        "etag": str(data.get("etag") or ""),
        "modified": str(data.get("modified") or ""),
        "seen": [str(s) for s in seen] if isinstance(seen, list) else [],
    }


def _when(value: Any) -> dt.datetime | None:
    """feedparser's ``*_parsed`` values are UTC ``time.struct_time``."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(value), tz=dt.UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _entry_text(entry: Any) -> tuple[str, str]:
    """(plain text, language) of the richest body the entry has."""
    details = list(entry.get("content") or [])
    if entry.get("summary_detail"):
        details.append(entry["summary_detail"])
    for detail in details:
        value = str(detail.get("value") or "")
        if not value.strip():
            continue
        kind = str(detail.get("type") or "text/html")
        text = value if kind == "text/plain" else html_to_text(value)
        return text, str(detail.get("language") or "")
    return "", ""


def _entry_to_item(
    entry: Any, fetched_at: dt.datetime, feed_link: str, feed_language: str
) -> InboundItem:
    link = str(entry.get("link") or "")
    title = str(entry.get("title") or "")
    if entry.get("title_detail", {}).get("type") == "text/html":
        title = html_to_text(title)
    body, language = _entry_text(entry)
    remote_id = str(entry.get("id") or link)
    if not remote_id:
        digest = hashlib.sha256(f"{title}\n{body}".encode("utf-8", "replace")).hexdigest()
        remote_id = f"sha256:{digest[:32]}"
    with_title = bool(title and body and not body.startswith(title))
    text = f"{title}\n\n{body}" if with_title else body or title
    # dict.get: feedparser's own get() maps a missing updated_parsed to published_parsed.
    updated = _when(dict.get(entry, "updated_parsed"))
    published = _when(dict.get(entry, "published_parsed")) or updated
    author = str(entry.get("author") or "")
    author_detail = entry.get("author_detail") or {}
    language = language or str(entry.get("title_detail", {}).get("language") or "")
    enclosures = tuple(str(e.get("href")) for e in entry.get("enclosures") or [] if e.get("href"))
    return InboundItem(
        remote_id=remote_id,
        kind=ItemKind.POST,
        text=text,
        created_at=published or fetched_at,
        author_id=str(author_detail.get("email") or author or feed_link),
        author_handle=author or feed_link,
        author_name=str(author_detail.get("name") or author),
        url=link,
        language=language or feed_language,
        attachment_urls=enclosures,
        raw={
            "title": title,
            "published": published.isoformat() if published else "",
            "updated": updated.isoformat() if updated else "",
            "tags": [str(t.get("term")) for t in entry.get("tags") or [] if t.get("term")],
        },
    )
