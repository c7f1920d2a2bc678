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

from django.db import connection, transaction
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
SEARCH_CANDIDATES = 500

# PostgreSQL (see postgres_conversation_ids): how many of the newest messages are walked
# first, and what testing one row on that walk costs against fetching one match the GIN
# index found (measured at 1 M conversations: about 1.2 µs against 10 µs).
NEWEST_WINDOW = 20_000
WALK_COST, FETCH_COST = 1.0, 8.0

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
        return conversations.filter(pk__in=postgres_conversation_ids(parsed))
    raise NotImplementedError("Full-text search needs SQLite or PostgreSQL")


def postgres_conversation_ids(parsed: ParsedQuery) -> list[int]:
    """The conversations of the newest SEARCH_CANDIDATES matching messages, newest first.

    PostgreSQL's estimate of how common a word is comes from sampled statistics and is
    wrong for words outside the sample, so the plan is chosen here rather than by the
    planner, which at 1 M conversations walked 1.7 M messages for a word found 21 times
    (2 s) or fetched 38,000 matches through the GIN index to keep the newest (0.4 s):

    1. walk the newest NEWEST_WINDOW messages newest first, testing each one's stored
       vector (bounded: at most that many rows);
    2. if that did not find enough, the share of matches in the window says which costs
       less for the older messages: walking on (the rows until enough are found) or the
       GIN index (every older match is fetched, then the newest kept).
    """
    sql, params = tsquery_sql(parsed)
    select = ("SELECT m.conversation_id FROM inbox_message m "  # noqa: S608 - constant SQL
              f"WHERE m.search_vector @@ ({sql}) AND m.id {{}} %s ORDER BY m.id DESC LIMIT %s")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT MAX(id) FROM inbox_message")
        top = cursor.fetchone()[0]
        if top is None:
            return []
        floor = top - NEWEST_WINDOW
        # Only the walk newest first along the primary key is left to the planner. SET
        # LOCAL lasts to the end of the transaction, which may be the request's, so the
        # settings are put back below (an error rolls them back with the savepoint).
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(select.format(">"), [*params, floor, SEARCH_CANDIDATES])
        found = [row[0] for row in cursor.fetchall()]
        need = SEARCH_CANDIDATES - len(found)
        if need > 0 and floor > 0:
            share = max(len(found), 1) / NEWEST_WINDOW
            if share * floor * FETCH_COST < need / share * WALK_COST:
                cursor.execute("SET LOCAL enable_bitmapscan = on")
                cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute(select.format("<="), [*params, floor, need])
            found += [row[0] for row in cursor.fetchall()]
        for setting in ("enable_bitmapscan", "enable_seqscan", "enable_indexscan"):
            cursor.execute(f"RESET {setting}")
    return list(dict.fromkeys(found))
