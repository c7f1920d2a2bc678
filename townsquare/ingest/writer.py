"""Bulk inserts that skip rows whose unique key already exists, without the ORM's
per-value overhead.

``bulk_create(ignore_conflicts=True)`` issues the same SQL (``ON CONFLICT DO NOTHING``
on PostgreSQL, ``INSERT OR IGNORE`` on SQLite), but prepares every value of every row
through the field classes; at ingest rates that preparation cost more than the
database's own work. Here each column gets one adapter, chosen once per model, and the
rows go to ``executemany`` (pipelined by psycopg on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

Adapter = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _adapter(field: models.Field[Any, Any]) -> Adapter:
    ops = connection.ops
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return lambda v: None if v is None else ops.adapt_datetimefield_value(v)
    if kind == "JSONField":
        encoder = getattr(field, "encoder", None)
        return lambda v: None if v is None else ops.adapt_json_value(v, encoder)
    if kind == "BinaryField":
        return lambda v: None if v is None else bytes(v)
    return _identity


@functools.cache
def _plan(
    model: type[models.Model], vendor: str
) -> tuple[str, tuple[tuple[str, Adapter, Any, bool], ...]]:
    """The INSERT statement of a model and, per column, (attname, adapter, default,
    auto_now). ``vendor`` is part of the cache key: adapters differ per database."""
    quote = connection.ops.quote_name
    columns = []
    plan = []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.AutoField | models.BigAutoField):
            continue
        columns.append(quote(str(field.column)))
        auto = bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))
        default = field.get_default()  # "" for text fields without one, as the ORM does
        plan.append((field.attname, _adapter(field), default, auto))
    placeholders = ", ".join(["%s"] * len(columns))
    # Table and column names come from the model's metadata, quoted; values are
    # parameters.
    table = quote(model._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}) ON CONFLICT DO NOTHING"  # noqa: S608
    )
    return sql, tuple(plan)


def insert_ignoring_conflicts(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, now: dt.datetime | None = None
) -> None:
    """Insert ``rows`` (dicts by attribute name; missing ones take the field's default)
    and silently skip those that clash with a unique key."""
    if not rows:
        return
    sql, plan = _plan(model, connection.vendor)
    now = now or timezone.now()
    params = []
    for row in rows:
        values = []
        for attname, adapt, default, auto in plan:
            value: Any
            if auto and attname not in row:
                value = now
            else:
                value = row.get(attname, default)
                if isinstance(value, dict | list) and value is default:
                    value = type(value)(value)  # never share a mutable default
            values.append(adapt(value))
        params.append(values)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
