"""Full-text search of inbox messages, on the archive's approach (townsquare.archive.search).

Every message keeps ``search_text``: the archive's ``text_for_search`` of its text
(case-folded, Arabic unified, Chinese segmented into words). SQLite indexes it in the
external-content FTS5 table ``inbox_message_fts`` (kept in sync by triggers, migration
0004); PostgreSQL in a GIN index on ``to_tsvector('simple', search_text)``. Queries are
parsed by the archive's ``parse_query``, so the same small query language (words,
"phrases", OR, -word) and the same clear errors apply, and user text only ever reaches
the database inside quoted FTS5 strings or as parameters.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from townsquare.archive.search import (
    ParsedQuery,
    fts5_expression,
    parse_query,
    text_for_search,
    tsquery_sql,  # the archive's tsquery builder: one parser, one query language
)

FTS_TABLE = "inbox_message_fts"
# A search looks at this many of the newest matching messages: a word found in a
# hundred thousand messages then costs what a rare one does (the queue page says so).
SEARCH_CANDIDATES = 2000

__all__ = ["ParsedQuery", "conversations_matching", "message_search_text", "parse_query"]


TRIGGER_NAMES = ("inbox_message_fts_insert", "inbox_message_fts_delete",
                 "inbox_message_fts_update")
# Triggers keep the external-content FTS5 table in step with inbox_message on every write
# path (services, bulk loads, cascading deletes).
SQLITE_TRIGGERS = (
    ("CREATE TRIGGER IF NOT EXISTS inbox_message_fts_insert AFTER INSERT ON inbox_message "
     "BEGIN INSERT INTO inbox_message_fts(rowid, search_text) "
     "VALUES (new.id, new.search_text); END"),
    ("CREATE TRIGGER IF NOT EXISTS inbox_message_fts_delete AFTER DELETE ON inbox_message "
     "BEGIN INSERT INTO inbox_message_fts(inbox_message_fts, rowid, search_text) "
     "VALUES ('delete', old.id, old.search_text); END"),
    ("CREATE TRIGGER IF NOT EXISTS inbox_message_fts_update AFTER UPDATE OF search_text "
     "ON inbox_message BEGIN "
     "INSERT INTO inbox_message_fts(inbox_message_fts, rowid, search_text) "
     "VALUES ('delete', old.id, old.search_text); "
     "INSERT INTO inbox_message_fts(rowid, search_text) VALUES (new.id, new.search_text); "
     "END"),
)


def sqlite_index_ensure(using_connection: Any) -> bool:
    """Put back the SQLite triggers when a migration dropped them, and rebuild the index.

    Django alters an SQLite table by rebuilding it, which drops its triggers: any later
    migration touching inbox_message would silently stop indexing. Run after every
    migrate (the app's post_migrate handler, as Django creates permissions); True when
    the triggers had to be recreated."""
    if using_connection.vendor != "sqlite":
        return False
    with using_connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = %s",
                       [FTS_TABLE])
        if cursor.fetchone() is None:
            return False  # not migrated this far yet
        cursor.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' "
                       "AND name IN (%s, %s, %s)", list(TRIGGER_NAMES))
        if cursor.fetchone()[0] == len(SQLITE_TRIGGERS):
            return False
        for statement in SQLITE_TRIGGERS:
            cursor.execute(statement)
        # Messages stored while the triggers were missing are indexed again.
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")  # noqa: S608
    return True


def message_search_text(text: str) -> str:
    """What ``Message.search_text`` holds for ``text``; every service that stores a
    message sets it, so the message can be found."""
    return text_for_search(text)


def conversations_matching(conversations: QuerySet[Any], parsed: ParsedQuery) -> QuerySet[Any]:
    """``conversations`` narrowed to those with a message whose text matches the query.

    The matching messages come from the full-text index (never a scan of the messages),
    then their conversations by primary key."""
    if connection.vendor == "sqlite":
        # The SQL is constant; the expression is a parameter of quoted phrases only. FTS5
        # walks its index newest first and stops at the limit.
        return conversations.filter(pk__in=RawSQL(  # noqa: S611
            "SELECT m.conversation_id FROM inbox_message m WHERE m.id IN "  # noqa: S608
            f"(SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "
            "ORDER BY rowid DESC LIMIT %s)",
            [fts5_expression(parsed), SEARCH_CANDIDATES],
        ))
    if connection.vendor == "postgresql":
        sql, params = tsquery_sql(parsed)
        # The same expression as the GIN index, so PostgreSQL uses it.
        return conversations.filter(pk__in=RawSQL(  # noqa: S611 - user text only in params
            "SELECT m.conversation_id FROM inbox_message m WHERE "  # noqa: S608
            f"to_tsvector('simple', m.search_text) @@ ({sql}) ORDER BY m.id DESC LIMIT %s",
            [*params, SEARCH_CANDIDATES],
        ))
    raise NotImplementedError("Full-text search needs SQLite or PostgreSQL")
