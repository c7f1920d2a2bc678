"""Weibo Open Platform plumbing: token handling, error mapping, object parsing."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from typing import Any

import httpx

from townsquare.channels.adapters.base import (
    AuthExpired,
    InboundItem,
    ItemKind,
    MalformedResponse,
    NotSupported,
    RateLimited,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.http import parse_retry_after, raise_for_status

NETWORK = "weibo"

# Error codes from https://open.weibo.com/wiki/Error_code
AUTH_ERRORS = frozenset({21314, 21315, 21316, 21317, 21319, 21327, 21332, 21501})
RATE_ERRORS = frozenset({10022, 10023, 10024})
TRANSIENT_ERRORS = frozenset({10001, 10002, 10003, 10009})
PERMISSION_ERRORS = frozenset({10014})  # "Insufficient app permissions"

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}


class AccessTokenTransport(httpx.BaseTransport):
    """Adds ``access_token`` to GET query strings as the request leaves the process, so
    the URL httpx logs and puts into exceptions never carries it. (POST requests carry it
    in the form body, which is never logged.)"""

    def __init__(self, token: str, inner: httpx.BaseTransport) -> None:
        self._token = token
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            request = httpx.Request(
                request.method,
                request.url.copy_add_param("access_token", self._token),
                headers=request.headers,
                stream=request.stream,
                extensions=request.extensions,
            )
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()

    def __repr__(self) -> str:
        return "AccessTokenTransport()"


def weibo_length(text: str) -> int:
    """Length as Weibo counts it: the limit is in Chinese characters, and two half-width
    (ASCII) characters count as one. Everything else (CJK, Arabic, emoji) counts as one."""
    units = sum(1 if ord(char) < 128 else 2 for char in text)
    return math.ceil(units / 2)


def parse_time(value: object) -> dt.datetime:
    """``"Wed Jun 01 00:50:25 +0800 2011"`` (locale-independent)."""
    try:
        _weekday, month, day, clock, offset, year = str(value).split()
        hour, minute, second = (int(part) for part in clock.split(":"))
        sign = -1 if offset.startswith("-") else 1
        tz = dt.timezone(sign * dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        return dt.datetime(int(year), _MONTHS[month], int(day), hour, minute, second, tzinfo=tz)
    except (ValueError, KeyError, IndexError) as exc:
        raise MalformedResponse(f"{NETWORK}: unreadable created_at {value!r}") from exc


def id_of(obj: Mapping[str, Any]) -> str:
    """Weibo ids exceed 2**53: prefer the string form."""
    value = obj.get("idstr") or obj.get("id")
    if value is None or value == "":
        raise MalformedResponse(f"{NETWORK}: an object has no id")
    return str(value)


def status_url(status_id: str) -> str:
    return f"https://m.weibo.cn/status/{status_id}"


def check_result(response: httpx.Response, *, what: str, unsupported: bool = False) -> Any:
    """The JSON of a Weibo answer, or the adapter error its error_code means."""
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise_for_status(response, network=NETWORK)
        raise MalformedResponse(f"{NETWORK}: {what} answered with invalid JSON") from None
    if isinstance(data, dict) and "error_code" in data:
        try:
            code = int(data["error_code"])
        except (TypeError, ValueError):
            code = 0
        error = str(data.get("error") or "")[:200]
        if code in AUTH_ERRORS:
            raise AuthExpired(f"{NETWORK}: the access token was refused ({code})")
        if code in RATE_ERRORS:
            raise RateLimited(
                f"{NETWORK}: rate limited ({code})",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if code in TRANSIENT_ERRORS:
            raise TransientError(f"{NETWORK}: {what} failed for now ({code}): {error}")
        if code in PERMISSION_ERRORS and unsupported:
            raise NotSupported(f"{NETWORK}: this app may not call {what} ({code})")
        raise RemoteRejected(f"{NETWORK}: {what} refused ({code}): {error}")
    raise_for_status(response, network=NETWORK)
    return data


def _user(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    user = obj.get("user")
    return user if isinstance(user, Mapping) else {}


def _text(obj: Mapping[str, Any]) -> str:
    text = obj.get("text")
    return text if isinstance(text, str) else ""


def status_to_item(status: Mapping[str, Any], *, own_uid: str) -> InboundItem:
    """A status from statuses/mentions.json."""
    user = _user(status)
    author_id = str(user.get("idstr") or user.get("id") or "")
    status_id = id_of(status)
    retweeted = status.get("retweeted_status")
    pictures = status.get("pic_urls") or []
    return InboundItem(
        remote_id=status_id,
        kind=ItemKind.MENTION,
        text=_text(status),
        created_at=parse_time(status.get("created_at")),
        author_id=author_id,
        author_handle=str(user.get("screen_name", "")),
        author_name=str(user.get("name", "")),
        url=status_url(status_id),
        in_reply_to=id_of(retweeted) if isinstance(retweeted, Mapping) else "",
        conversation_id=status_id,
        is_own=bool(own_uid) and author_id == own_uid,
        attachment_urls=tuple(
            str(picture["thumbnail_pic"])
            for picture in pictures
            if isinstance(picture, Mapping) and picture.get("thumbnail_pic")
        ),
        raw=dict(status),
    )


def comment_to_item(comment: Mapping[str, Any], *, own_uid: str) -> InboundItem:
    """A comment from comments/to_me.json. Its remote id is ``"<status id>:<comment id>"``
    because replying to a comment (comments/reply.json) needs both."""
    user = _user(comment)
    author_id = str(user.get("idstr") or user.get("id") or "")
    status = comment.get("status")
    if not isinstance(status, Mapping):
        raise MalformedResponse(f"{NETWORK}: a comment has no status")
    status_id = id_of(status)
    replied = comment.get("reply_comment")
    in_reply_to = f"{status_id}:{id_of(replied)}" if isinstance(replied, Mapping) else status_id
    return InboundItem(
        remote_id=f"{status_id}:{id_of(comment)}",
        kind=ItemKind.REPLY if isinstance(replied, Mapping) else ItemKind.COMMENT,
        text=_text(comment),
        created_at=parse_time(comment.get("created_at")),
        author_id=author_id,
        author_handle=str(user.get("screen_name", "")),
        author_name=str(user.get("name", "")),
        url=status_url(status_id),
        in_reply_to=in_reply_to,
        conversation_id=status_id,
        is_own=bool(own_uid) and author_id == own_uid,
        raw=dict(comment),
    )
