"""Small helpers for Graph API data: times, text, ids, configuration."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from townsquare.channels.adapters.base import MalformedResponse

DEFAULT_GRAPH_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"

# Public Graph object ids (pages, posts "PAGEID_POSTID", comments, media) are digits and
# underscores. Message ids are not: Messenger "m_…", Instagram "aWdf…", WhatsApp "wamid.…".
_PUBLIC_ID = re.compile(r"^[0-9]+(?:_[0-9]+)*$")
_EPOCH_MS_THRESHOLD = 100_000_000_000  # above this an epoch is in milliseconds


class GraphConfig(BaseModel):
    """Settings every Meta adapter has. Subclasses add the account ids."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    graph_base_url: str = Field(default=DEFAULT_GRAPH_BASE_URL, pattern=r"^https?://[^\s/?#]+")
    api_version: str = Field(default=DEFAULT_API_VERSION, pattern=r"^(v[0-9]+\.[0-9]+)?$")
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)


ConfigT = TypeVar("ConfigT", bound=BaseModel)


def load_config(model: type[ConfigT], config: Mapping[str, Any], *, network: str) -> ConfigT:
    """Validate an adapter's configuration mapping; a clear ValueError when it is wrong."""
    try:
        return model.model_validate(dict(config))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'config'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ValueError(f"{network}: invalid configuration: {problems}") from None


def is_public_object_id(remote_id: str) -> bool:
    """True for posts, comments and media; False for private message ids."""
    return bool(_PUBLIC_ID.match(remote_id))


def epoch_to_datetime(value: Any) -> dt.datetime | None:
    """Graph epochs come as int or str, in seconds or milliseconds."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number <= 0:
        return None
    if number > _EPOCH_MS_THRESHOLD:
        number /= 1000.0
    try:
        return dt.datetime.fromtimestamp(number, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_graph_time(value: Any) -> dt.datetime | None:
    """Graph ISO 8601 times look like "2024-05-19T23:27:28+0000"; epochs are accepted too."""
    if isinstance(value, int | float):
        return epoch_to_datetime(value)
    if not isinstance(value, str) or not value:
        return None
    if value.isdigit():
        return epoch_to_datetime(value)
    for pattern in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return dt.datetime.strptime(value, pattern).astimezone(dt.UTC)
        except ValueError:
            continue
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def clean_text(value: Any) -> str:
    """Text exactly as received, except lone surrogates (from "\\ud83d" escapes in JSON),
    which cannot be stored as UTF-8 and are replaced with U+FFFD."""
    if not isinstance(value, str):
        return ""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(char) <= 0xDFFF else char for char in value)
    return value


def as_dict(value: Any, *, network: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedResponse(f"{network}: {what} is not a JSON object")
    return value


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def dict_at(data: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """data[k1][k2]… when every step is an object, else {}."""
    current: Any = data
    for key in keys:
        if not isinstance(current, Mapping):
            return {}
        current = current.get(key)
    return dict(current) if isinstance(current, Mapping) else {}


def str_at(data: Mapping[str, Any], *keys: str) -> str:
    """data[k1]…[kn] as a string ("" when missing); ints (ids, counts) are converted."""
    if not keys:
        return ""
    parent = dict_at(data, *keys[:-1]) if len(keys) > 1 else data
    value = parent.get(keys[-1]) if isinstance(parent, Mapping) else None
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | str):
        return clean_text(str(value))
    return ""


def int_at(data: Mapping[str, Any], *keys: str) -> int | None:
    parent = dict_at(data, *keys[:-1]) if len(keys) > 1 else data
    value = parent.get(keys[-1]) if isinstance(parent, Mapping) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def cursor_to_epoch(cursor: str | None) -> int | None:
    """Our polling cursors are epoch seconds as text; anything else means "start afresh"."""
    if cursor is None or not cursor.strip().isdigit():
        return None
    return int(cursor.strip())


def epoch_of(moment: dt.datetime) -> int:
    return int(moment.timestamp())
