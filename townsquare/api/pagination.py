"""Keyset pagination with an opaque cursor: ``{"items": [...], "next_cursor": ...}``."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Field, Schema

from townsquare.api.errors import ApiError

MAX_LIMIT = 200
_MAX_ID = 2**63 - 1


class PageParams(Schema):
    cursor: str | None = Field(None, max_length=200, description="From next_cursor of a page.")
    limit: int = Field(settings.API_PAGE_SIZE, ge=1, le=MAX_LIMIT)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"k{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    def bad() -> ApiError:
        return ApiError(422, "validation_error", _("The cursor is not valid."),
                        [{"loc": ["query", "cursor"], "message": _("The cursor is not valid."),
                          "type": "invalid_cursor"}])

    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise bad() from exc
    if not raw.startswith("k") or not raw[1:].isascii() or not raw[1:].isdigit():
        raise bad()
    value = int(raw[1:])
    if not 0 < value <= _MAX_ID:
        raise bad()
    return value


def paginate(
    queryset: QuerySet[Any],
    page: PageParams,
    serialize: Callable[[Any], Any],
    *,
    newest_first: bool = False,
) -> dict[str, Any]:
    """One page of ``queryset`` in a stable order by primary key."""
    ordered = queryset.order_by("-pk" if newest_first else "pk")
    if page.cursor:
        last_id = decode_cursor(page.cursor)
        ordered = ordered.filter(pk__lt=last_id) if newest_first else ordered.filter(pk__gt=last_id)
    rows = list(ordered[: page.limit + 1])
    items = rows[: page.limit]
    next_cursor = encode_cursor(items[-1].pk) if len(rows) > page.limit else None
    return {"items": [serialize(row) for row in items], "next_cursor": next_cursor}
