"""Weibo Open Platform API v2 adapter (thin httpx client; no maintained library exists).

Remote ids: a status is its ``idstr``; a comment is ``"<status idstr>:<comment idstr>"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from townsquare.channels.adapters.base import (
    AccountProfile,
    Capabilities,
    ChannelAdapter,
    Credentials,
    FetchResult,
    InboundItem,
    MalformedResponse,
    MediaLimit,
    Network,
    PostMetrics,
    PostRequest,
    PublishedPost,
    RateLimit,
    RemoteRejected,
    TextLimit,
    TransientError,
)
from townsquare.channels.adapters.weibo.api import (
    NETWORK,
    AccessTokenTransport,
    check_result,
    comment_to_item,
    id_of,
    parse_time,
    status_to_item,
    status_url,
    weibo_length,
)

TEXT_MAX = 140  # "内容不超过140个汉字" (statuses/share, comments/create, comments/reply)
IMAGE_TYPES = ("image/jpeg", "image/gif", "image/png")
IMAGE_MAX_BYTES = 5 * 1024 * 1024 - 1  # "上传图片大小限制为<5M"
METRICS_BATCH = 100
TOPIC = re.compile(r"#[^#\s][^#]*#")
URL = re.compile(r"https?://\S+")


class WeiboConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_base_url: str = "https://api.weibo.com/2"
    # The account's own uid (from the OAuth answer): marks our own posts as is_own.
    uid: str = Field(default="", pattern=r"^\d*$")
    # statuses/share.json only accepts text containing a link on the app's "safe domain";
    # when set, this link is appended to a text that has no link of its own.
    safe_url: str = ""
    # "rip": the real IP of the operating user, which the share API asks for.
    rip: str = ""
    max_text_length: int = Field(default=TEXT_MAX, ge=1, le=5000)
    count: int = Field(default=100, ge=1, le=200)
    max_pages: int = Field(default=5, ge=1, le=50)
    timeout: float = Field(default=10.0, gt=0, le=120)

    @field_validator("api_base_url", "safe_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("api_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


class WeiboAdapter(ChannelAdapter):
    capabilities: ClassVar[Capabilities] = Capabilities(
        network=Network.WEIBO,
        # 140 Chinese characters; two half-width characters count as one (weibo_length).
        text=TextLimit(max_length=TEXT_MAX, counting="weighted"),
        media=MediaLimit(
            mime_types=IMAGE_TYPES,
            max_items=1,  # statuses/share.json takes one "pic"
            max_image_bytes=IMAGE_MAX_BYTES,
            max_video_bytes=0,
            alt_text_max=None,
        ),
        threads=False,
        edits=False,
        deletes=True,  # statuses/destroy.json needs advanced API approval; else NotSupported
        private_messages=False,
        search=False,  # the search API is commercial-only
        metrics=True,
        webhooks=False,
        reply_semantics=(
            "Replies are comments (140 characters, no images): comments/create.json on a "
            "post, comments/reply.json on a comment. Posts must contain a link on the "
            "app's safe domain and no #topic#."
        ),
        rate_limit=RateLimit(
            requests=150,
            per_seconds=3600,
            note="Per user and per app hourly quotas depend on the app's level; error codes "
            "10022/10023/10024 when exceeded.",
        ),
    )

    def __init__(self, *, credentials: Credentials, config: Mapping[str, Any]) -> None:
        super().__init__(credentials=credentials, config=config)
        try:
            self.settings = WeiboConfig.model_validate(dict(config))
        except ValidationError as exc:
            raise ValueError(f"invalid Weibo configuration: {exc}") from None
        if not credentials.access_token:
            raise ValueError("Weibo needs an OAuth access token")
        self._uid = self.settings.uid or str(credentials.extra.get("uid", ""))
        self._http = httpx.Client(
            base_url=self.settings.api_base_url + "/",
            timeout=httpx.Timeout(self.settings.timeout, connect=min(5.0, self.settings.timeout)),
            transport=AccessTokenTransport(credentials.access_token, httpx.HTTPTransport()),
        )

    def __repr__(self) -> str:
        return f"WeiboAdapter(uid={self._uid!r})"

    def close(self) -> None:
        self._http.close()

    # --- plumbing ---------------------------------------------------------------

    def _get(self, path: str, params: Mapping[str, Any]) -> Any:
        return self._send("GET", path, params=params)

    def _post(
        self,
        path: str,
        data: Mapping[str, Any],
        *,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        unsupported: bool = False,
    ) -> Any:
        form = {"access_token": self.credentials.access_token, **data}
        if self.settings.rip:
            form.setdefault("rip", self.settings.rip)
        return self._send("POST", path, data=form, files=files, unsupported=unsupported)

    def _send(self, method: str, path: str, *, unsupported: bool = False, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise TransientError(f"{NETWORK}: {path} timed out") from None
        except httpx.TransportError:
            raise TransientError(f"{NETWORK}: could not reach the API ({path})") from None
        return check_result(response, what=path, unsupported=unsupported)

    # --- reading ----------------------------------------------------------------

    def fetch_profile(self) -> AccountProfile:
        uid = self._uid
        if not uid:
            answer = self._get("account/get_uid.json", {})
            if not isinstance(answer, dict) or answer.get("uid") is None:
                raise MalformedResponse(f"{NETWORK}: account/get_uid.json has no uid")
            uid = str(answer["uid"])
        user = self._get("users/show.json", {"uid": uid})
        if not isinstance(user, dict):
            raise MalformedResponse(f"{NETWORK}: users/show.json is not a user")
        followers = user.get("followers_count")
        return AccountProfile(
            remote_id=id_of(user),
            handle=str(user.get("screen_name", "")),
            display_name=str(user.get("name", "")),
            followers=followers if isinstance(followers, int) else None,
            url=f"https://weibo.com/u/{id_of(user)}",
        )

    def fetch_inbound(self, cursor: str | None) -> FetchResult:
        """Comments to us and mentions of us since the cursor.

        The cursor is JSON holding one since_id per source. Each source is read newest
        first, page by page, up to ``max_pages``; a source that still had a full page at
        that point is reported as a gap.
        """
        since = _read_cursor(cursor)
        items: list[InboundItem] = []
        gap = False
        for source, path, key in (
            ("comments", "comments/to_me.json", "comments"),
            ("mentions", "statuses/mentions.json", "statuses"),
        ):
            found, newest, source_gap = self._read_since(path, key, since.get(source))
            gap = gap or source_gap
            if newest is not None:
                since[source] = newest
            for obj in found:
                if source == "comments":
                    items.append(comment_to_item(obj, own_uid=self._uid))
                else:
                    items.append(status_to_item(obj, own_uid=self._uid))
        items.sort(key=lambda item: item.created_at)
        return FetchResult(items=items, cursor=json.dumps(since, sort_keys=True), gap=gap)

    def _read_since(
        self, path: str, key: str, since_id: str | None
    ) -> tuple[list[Mapping[str, Any]], str | None, bool]:
        found: list[Mapping[str, Any]] = []
        count = self.settings.count
        full_page = False
        for page in range(1, self.settings.max_pages + 1):
            params: dict[str, Any] = {"count": count, "page": page}
            if since_id:
                params["since_id"] = since_id
            answer = self._get(path, params)
            batch = answer.get(key) if isinstance(answer, dict) else None
            if not isinstance(batch, list) or not all(isinstance(o, dict) for o in batch):
                raise MalformedResponse(f"{NETWORK}: {path} has no {key} list")
            found.extend(batch)
            full_page = len(batch) >= count
            if not full_page:
                break
        # Still a full page after max_pages: items since the cursor were left unread.
        return found, _newest(found) or since_id, full_page and since_id is not None

    def fetch_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        """Reposts, comments and likes ("attitudes") of posts; comments have none."""
        status_ids = [rid for rid in remote_ids if rid.isdigit()]
        metrics: list[PostMetrics] = []
        for start in range(0, len(status_ids), METRICS_BATCH):
            batch = status_ids[start : start + METRICS_BATCH]
            answer = self._get("statuses/count.json", {"ids": ",".join(batch)})
            if not isinstance(answer, list):
                raise MalformedResponse(f"{NETWORK}: statuses/count.json is not a list")
            for row in answer:
                if not isinstance(row, dict):
                    raise MalformedResponse(f"{NETWORK}: statuses/count.json row")
                metrics.append(
                    PostMetrics(
                        remote_id=id_of(row),
                        likes=int(row.get("attitudes") or 0),
                        shares=int(row.get("reposts") or 0),
                        replies=int(row.get("comments") or 0),
                    )
                )
        return metrics

    # --- writing ----------------------------------------------------------------

    def publish(self, post: PostRequest) -> PublishedPost:
        """statuses/share.json (the current publish endpoint), or a comment when the post
        answers something. There is no idempotency key and no reconciliation."""
        if post.in_reply_to:
            return self._comment(post.in_reply_to, post)
        text = post.text
        if not URL.search(text):
            if not self.settings.safe_url:
                raise RemoteRejected(
                    f"{NETWORK}: a shared post must contain a link on the app's safe domain"
                )
            text = f"{text} {self.settings.safe_url}" if text else self.settings.safe_url
        if TOPIC.search(text):
            raise RemoteRejected(f"{NETWORK}: statuses/share.json does not accept #topics#")
        self._check_length(text, self.settings.max_text_length)
        files = None
        if post.attachments:
            if len(post.attachments) > 1:
                raise RemoteRejected(f"{NETWORK}: one picture per post")
            picture = post.attachments[0]
            if picture.mime_type not in IMAGE_TYPES or len(picture.content) > IMAGE_MAX_BYTES:
                raise RemoteRejected(f"{NETWORK}: pictures must be JPEG, GIF or PNG under 5 MB")
            files = {"pic": (picture.filename, picture.content, picture.mime_type)}
        status = self._post("statuses/share.json", {"status": text}, files=files)
        if not isinstance(status, dict):
            raise MalformedResponse(f"{NETWORK}: statuses/share.json is not a status")
        status_id = id_of(status)
        return PublishedPost(
            remote_id=status_id,
            url=status_url(status_id),
            published_at=parse_time(status.get("created_at")),
        )

    def _comment(self, target: str, post: PostRequest) -> PublishedPost:
        if post.attachments:
            raise RemoteRejected(f"{NETWORK}: comments cannot carry pictures")
        if not post.text.strip():
            raise RemoteRejected(f"{NETWORK}: a comment needs text")
        self._check_length(post.text, TEXT_MAX)
        status_id, _, comment_id = target.partition(":")
        if not status_id.isdigit() or (comment_id and not comment_id.isdigit()):
            raise RemoteRejected(f"{NETWORK}: {target!r} is not a Weibo id")
        if comment_id:
            answer = self._post(
                "comments/reply.json",
                {"cid": comment_id, "id": status_id, "comment": post.text, "comment_ori": 0},
            )
        else:
            answer = self._post("comments/create.json", {"id": status_id, "comment": post.text})
        if not isinstance(answer, dict):
            raise MalformedResponse(f"{NETWORK}: the comment answer is not a comment")
        return PublishedPost(
            remote_id=f"{status_id}:{id_of(answer)}",
            url=status_url(status_id),
            published_at=parse_time(answer.get("created_at")),
        )

    def delete(self, remote_id: str) -> None:
        """statuses/destroy.json or comments/destroy.json. Apps without access to these
        (advanced) interfaces get error 10014 → NotSupported."""
        status_id, _, comment_id = remote_id.partition(":")
        if comment_id:
            self._post("comments/destroy.json", {"cid": comment_id}, unsupported=True)
        else:
            self._post("statuses/destroy.json", {"id": status_id}, unsupported=True)

    def _check_length(self, text: str, limit: int) -> None:
        if weibo_length(text) > limit:
            raise RemoteRejected(f"{NETWORK}: the text is longer than {limit} characters")


def _read_cursor(cursor: str | None) -> dict[str, str]:
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
    except json.JSONDecodeError:
        raise ValueError("a Weibo cursor is JSON with since_ids") from None
    if not isinstance(data, dict):
        raise ValueError("a Weibo cursor is JSON with since_ids")
    return {str(k): str(v) for k, v in data.items() if str(v).isdigit()}


def _newest(found: list[Mapping[str, Any]]) -> str | None:
    ids = [int(id_of(obj)) for obj in found if id_of(obj).isdigit()]
    return str(max(ids)) if ids else None
