"""The address and browser of the request being served, for the audit log.

Set by middleware; services read it so that they need no request argument. Outside a
request (tasks, commands) it is empty.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestOrigin:
    ip_address: str | None
    user_agent: str


_current: ContextVar[RequestOrigin | None] = ContextVar("townsquare_request_origin", default=None)


def set_origin(origin: RequestOrigin | None) -> object:
    return _current.set(origin)


def reset_origin(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def current_origin() -> RequestOrigin | None:
    return _current.get()
