"""WeChat Official Account (公众号) adapter: thin httpx client of the Official Account API.

Credentials: ``extra["appid"]`` and ``extra["appsecret"]``. The adapter fetches the
access token itself (GET /cgi-bin/token, cached in the instance; refreshed once when
WeChat says it expired). The appsecret and the access token travel in query strings;
both are added by ``_SecretParamsTransport`` after httpx has built (and will log) the URL,
so neither appears in logs, exception messages or reprs.

WeChat pushes incoming messages to our server (see webhook.py): there is nothing to poll.
"""

from __future__ import annotations

import html
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from townsquare.channels.adapters.base import (
    AccountProfile,
    AuthExpired,
    Capabilities,
    ChannelAdapter,
    Credentials,
    FetchResult,
    MalformedResponse,
    MediaLimit,
    Network,
    NotSupported,
    PostRequest,
    PublishedPost,
    RateLimit,
    RateLimited,
    RemoteRejected,
    TextLimit,
    TransientError,
)
from townsquare.channels.adapters.http import raise_for_status

NETWORK = "wechat"
SECRET_PARAMS = "townsquare.secret_params"  # noqa: S105 - an extension name
TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid / malformed / expired token
CREDENTIAL_ERRORS = frozenset({40002, 40013, 40125, 41002, 41004, 40164})
CONTENT_MAX = 20_000  # "必须少于2万字符"
TITLE_MAX = 64
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/bmp")
TOKEN_MARGIN_SECONDS = 300


class WeChatConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_base_url: str = "https://api.weixin.qq.com"
    # The account's original id (gh_…): ToUserName in pushed messages.
    original_id: str = ""
    display_name: str = ""
    author: str = Field(default="", max_length=16)
    # A permanent image material used as the cover when a post brings no image.
    default_thumb_media_id: str = ""
    content_source_url: str = ""
    need_open_comment: bool = False
    timeout: float = Field(default=10.0, gt=0, le=120)

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("api_base_url must be an http(s) URL")
        return value.rstrip("/")


class _SecretParamsTransport(httpx.BaseTransport):
    """Adds the query parameters in the request's SECRET_PARAMS extension as it leaves."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        params = request.extensions.get(SECRET_PARAMS)
        if params:
            extensions = {k: v for k, v in request.extensions.items() if k != SECRET_PARAMS}
            request = httpx.Request(
                request.method,
                request.url.copy_merge_params(params),
                headers=request.headers,
                stream=request.stream,
                extensions=extensions,
            )
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class WeChatAdapter(ChannelAdapter):
    capabilities: ClassVar[Capabilities] = Capabilities(
        network=Network.WECHAT,
        text=TextLimit(max_length=CONTENT_MAX, counting="code_points"),
        media=MediaLimit(
            mime_types=IMAGE_TYPES,
            max_items=1,  # the article's cover image
            max_image_bytes=10 * 1024 * 1024,  # permanent image material
            max_video_bytes=0,
            alt_text_max=None,
        ),
        threads=False,
        edits=False,
        deletes=True,  # freepublish/delete
        private_messages=True,  # customer service messages, 48 h after the user wrote
        search=False,
        metrics=False,
        webhooks=True,
        reply_semantics=(
            "Posts are articles (draft/add + freepublish/submit) and need a cover image; "
            "replies are customer service messages to one follower, allowed within 48 "
            "hours of that follower's last message."
        ),
        rate_limit=RateLimit(
            requests=2000,
            per_seconds=86400,
            note="Daily quota per API (e.g. 2,000 /cgi-bin/token calls a day); errcode 45009 "
            "when the daily quota is used up, 45011 when the per-minute one is.",
        ),
    )

    def __init__(self, *, credentials: Credentials, config: Mapping[str, Any]) -> None:
        super().__init__(credentials=credentials, config=config)
        try:
            self.settings = WeChatConfig.model_validate(dict(config))
        except ValidationError as exc:
            raise ValueError(f"invalid WeChat configuration: {exc}") from None
        self._appid = credentials.extra.get("appid", "")
        self._appsecret = credentials.extra.get("appsecret", "")
        if not self._appid or not self._appsecret:
            raise ValueError("WeChat needs appid and appsecret in the credentials")
        self._token = credentials.access_token
        self._token_deadline = 0.0
        if self._token and credentials.expires_at is not None:
            remaining = credentials.expires_at.timestamp() - time.time()
            self._token_deadline = time.monotonic() + remaining - TOKEN_MARGIN_SECONDS
        self._http = httpx.Client(
            base_url=self.settings.api_base_url + "/",
            timeout=httpx.Timeout(self.settings.timeout, connect=min(5.0, self.settings.timeout)),
            transport=_SecretParamsTransport(httpx.HTTPTransport()),
        )

    def __repr__(self) -> str:
        return f"WeChatAdapter(appid={self._appid!r})"

    def close(self) -> None:
        self._http.close()

    # --- plumbing ---------------------------------------------------------------

    def _send(self, method: str, path: str, secret: Mapping[str, str], **kwargs: Any) -> Any:
        try:
            response = self._http.request(
                method, path, extensions={SECRET_PARAMS: dict(secret)}, **kwargs
            )
        except httpx.TimeoutException:
            raise TransientError(f"{NETWORK}: {path} timed out") from None
        except httpx.TransportError:
            raise TransientError(f"{NETWORK}: could not reach the API ({path})") from None
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise_for_status(response, network=NETWORK)
            raise MalformedResponse(f"{NETWORK}: {path} answered with invalid JSON") from None
        raise_for_status(response, network=NETWORK)
        if not isinstance(data, dict):
            raise MalformedResponse(f"{NETWORK}: {path} answered with an unexpected shape")
        return data

    def _access_token(self) -> str:
        if self._token and time.monotonic() < self._token_deadline:
            return self._token
        data = self._send(
            "GET",
            "cgi-bin/token",
            {"grant_type": "client_credential", "appid": self._appid, "secret": self._appsecret},
        )
        code = _errcode(data)
        if code in CREDENTIAL_ERRORS or code in TOKEN_ERRORS:
            hint = " (this server's IP is not whitelisted)" if code == 40164 else ""
            raise AuthExpired(f"{NETWORK}: the appid/appsecret were refused ({code}){hint}")
        self._raise_for_errcode(data, "cgi-bin/token")
        token, expires_in = data.get("access_token"), data.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int):
            raise MalformedResponse(f"{NETWORK}: the token answer has no access_token")
        self._token = token
        self._token_deadline = time.monotonic() + expires_in - TOKEN_MARGIN_SECONDS
        return token

    def _api(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """Call with the access token; a token WeChat calls expired is renewed once."""
        for attempt in (1, 2):
            token = self._access_token()
            data: dict[str, Any] = self._send(method, path, {"access_token": token}, **kwargs)
            if _errcode(data) in TOKEN_ERRORS:
                self._token, self._token_deadline = "", 0.0
                if attempt == 1:
                    continue
                raise AuthExpired(f"{NETWORK}: the access token was refused again")
            self._raise_for_errcode(data, path)
            return data
        raise AssertionError("unreachable")  # pragma: no cover

    def _post_json(self, path: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        # WeChat stores \\uXXXX escapes literally in some APIs: send raw UTF-8.
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        return self._api("POST", path, content=body, headers=headers)

    def _raise_for_errcode(self, data: Mapping[str, Any], path: str) -> None:
        code = _errcode(data)
        if code == 0:
            return
        message = str(data.get("errmsg") or "")[:160]
        for secret in (self._token, self._appsecret):
            if secret:
                message = message.replace(secret, "***")
        if code == 45009:
            raise RateLimited(f"{NETWORK}: daily quota of {path} used up", retry_after=None)
        if code == 45011:
            raise RateLimited(f"{NETWORK}: per-minute quota of {path} reached", retry_after=60.0)
        if code == -1:
            raise TransientError(f"{NETWORK}: system busy ({path})")
        if code == 45015:
            raise RemoteRejected(
                f"{NETWORK}: more than 48 hours since the follower last wrote, "
                "or they unfollowed (45015)"
            )
        raise RemoteRejected(f"{NETWORK}: {path} refused ({code}): {message}")

    # --- reading ----------------------------------------------------------------

    def fetch_profile(self) -> AccountProfile:
        data = self._api("GET", "cgi-bin/user/get")
        total = data.get("total")
        if not isinstance(total, int):
            raise MalformedResponse(f"{NETWORK}: user/get has no total")
        handle = self.settings.original_id or self._appid
        return AccountProfile(
            remote_id=handle,
            handle=handle,
            display_name=self.settings.display_name,
            followers=total,
        )

    def fetch_inbound(self, cursor: str | None) -> FetchResult:
        """Nothing to poll: WeChat pushes messages to the webhook."""
        return FetchResult(items=[], cursor=cursor)

    # --- writing ----------------------------------------------------------------

    def publish(self, post: PostRequest) -> PublishedPost:
        """An article: draft/add, then freepublish/submit. The remote id is the
        publish_id (publishing finishes asynchronously; see ``fetch_published``).
        Text-only posts (group "mass" text messages) are not supported."""
        if post.in_reply_to:
            return self._custom_message(post.in_reply_to, post)
        if not post.text.strip():
            raise RemoteRejected(f"{NETWORK}: an article needs text")
        content = article_html(post.text)
        if len(content) >= CONTENT_MAX:
            raise RemoteRejected(f"{NETWORK}: the article must be under {CONTENT_MAX} characters")
        if len(post.attachments) > 1:
            raise RemoteRejected(f"{NETWORK}: one cover image per article")
        thumb = self.settings.default_thumb_media_id
        if post.attachments:
            image = post.attachments[0]
            if image.mime_type not in IMAGE_TYPES:
                raise RemoteRejected(f"{NETWORK}: the cover must be an image")
            uploaded = self._api(
                "POST",
                "cgi-bin/material/add_material",
                params={"type": "image"},
                files={"media": (image.filename, image.content, image.mime_type)},
            )
            thumb = str(uploaded.get("media_id") or "")
            if not thumb:
                raise MalformedResponse(f"{NETWORK}: add_material returned no media_id")
        if not thumb:
            raise NotSupported(
                f"{NETWORK}: official accounts publish articles with a cover image; "
                "text-only posts are not supported"
            )
        article: dict[str, Any] = {
            "title": _title(post.text),
            "author": self.settings.author,
            "content": content,
            "content_source_url": self.settings.content_source_url,
            "thumb_media_id": thumb,
            "need_open_comment": int(self.settings.need_open_comment),
            "only_fans_can_comment": 0,
        }
        draft = self._post_json("cgi-bin/draft/add", {"articles": [article]})
        media_id = draft.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise MalformedResponse(f"{NETWORK}: draft/add returned no media_id")
        submitted = self._post_json("cgi-bin/freepublish/submit", {"media_id": media_id})
        publish_id = submitted.get("publish_id")
        if publish_id is None or publish_id == "":
            raise MalformedResponse(f"{NETWORK}: freepublish/submit returned no publish_id")
        return PublishedPost(remote_id=str(publish_id), url="")

    def fetch_published(self, publish_id: str) -> tuple[int, str, str]:
        """(publish_status, article_id, article_url) from freepublish/get;
        publish_status 0 = published, 1 = still publishing, others = failed/removed."""
        data = self._post_json("cgi-bin/freepublish/get", {"publish_id": publish_id})
        status = data.get("publish_status")
        if not isinstance(status, int):
            raise MalformedResponse(f"{NETWORK}: freepublish/get has no publish_status")
        detail = data.get("article_detail") or {}
        items = detail.get("item") if isinstance(detail, dict) else None
        url = ""
        if isinstance(items, list) and items and isinstance(items[0], dict):
            url = str(items[0].get("article_url", ""))
        return status, str(data.get("article_id") or ""), url

    def delete(self, remote_id: str) -> None:
        """Withdraw a published article (freepublish/delete, all its items)."""
        status, article_id, _url = self.fetch_published(remote_id)
        if status == 1:
            raise TransientError(f"{NETWORK}: the article is still being published")
        if status != 0 or not article_id:
            raise RemoteRejected(f"{NETWORK}: the article is not published (status {status})")
        self._post_json("cgi-bin/freepublish/delete", {"article_id": article_id, "index": 0})

    def _custom_message(self, target: str, post: PostRequest) -> PublishedPost:
        """A customer service text message to the follower (``"<openid>:<MsgId>"`` or a
        bare openid). WeChat returns no message id: the remote id is made up from the
        idempotency key (or a random one)."""
        openid = target.split(":", 1)[0]
        if not openid:
            raise RemoteRejected(f"{NETWORK}: no follower to reply to")
        if post.attachments:
            raise RemoteRejected(f"{NETWORK}: replies to followers carry text only")
        if not post.text.strip():
            raise RemoteRejected(f"{NETWORK}: a reply needs text")
        self._post_json(
            "cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "text", "text": {"content": post.text}},
        )
        suffix = post.idempotency_key or uuid.uuid4().hex
        return PublishedPost(remote_id=f"{openid}:sent:{suffix}", url="")


def _errcode(data: Mapping[str, Any]) -> int:
    code = data.get("errcode", 0)
    try:
        return int(code)
    except (TypeError, ValueError):
        raise MalformedResponse(f"{NETWORK}: errcode {code!r} is not a number") from None


def _title(text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first[:TITLE_MAX]


def article_html(text: str) -> str:
    """Plain text as article HTML: blank lines separate paragraphs, other line breaks
    are kept; everything is escaped."""
    paragraphs = [
        p.strip("\n") for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()
    ]
    return "".join(
        "<p>" + "<br/>".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )

