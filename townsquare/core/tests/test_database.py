"""The database as configured: SQLite pragmas, and concurrent writers on either engine."""

from __future__ import annotations

import copy
import threading

import pytest
from django.db import close_old_connections, connection

from townsquare.core.models import AuditEvent, Notification
from townsquare.core.services import audit_record, notification_send

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite pragmas; the database is PostgreSQL"
)


def _pragma(conn, name: str):
    with conn.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


@sqlite_only
@pytest.mark.django_db
def test_sqlite_database_file_is_opened_in_wal_mode(tmp_path):
    """A connection built from our settings, on a file (the test database lives in memory,
    where SQLite has no WAL)."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["NAME"] = str(tmp_path / "wal-check.sqlite3")
    wrapper = DatabaseWrapper(settings_dict, alias="wal-check")
    try:
        assert _pragma(wrapper, "journal_mode").lower() == "wal"
        assert _pragma(wrapper, "foreign_keys") == 1
        assert _pragma(wrapper, "busy_timeout") >= 5000
        assert _pragma(wrapper, "synchronous") == 1  # NORMAL: safe with WAL, far fewer fsyncs
    finally:
        wrapper.close()


@sqlite_only
@pytest.mark.django_db
def test_sqlite_test_connection_enforces_foreign_keys():
    assert _pragma(connection, "foreign_keys") == 1
    mode = _pragma(connection, "journal_mode").lower()
    # In-memory test databases report "memory"; a file (TEST_SQLITE_NAME) must be WAL.
    assert mode == ("memory" if connection.is_in_memory_db() else "wal")


@sqlite_only
def test_sqlite_writers_take_the_lock_at_begin():
    # IMMEDIATE: two writers queue on the busy timeout instead of one failing with
    # "database is locked" when it upgrades a read lock.
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


WRITERS = 2
WRITES_PER_WRITER = 25


@pytest.mark.django_db(transaction=True)
def test_two_threads_writing_through_services_lose_nothing(government, bob):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "in-memory SQLite shares one cache between threads and fails fast with 'table is "
            "locked' (the product never runs that way); set TEST_SQLITE_NAME to use a file"
        )
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            barrier.wait(timeout=30)
            for n in range(WRITES_PER_WRITER):
                notification_send(
                    recipient=bob, message_key="mfa.required", params={"w": worker, "n": n}
                )
                audit_record(actor=None, action="test.concurrent", details={"w": worker, "n": n})
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer is stuck"
    assert errors == []

    written = {
        (p["w"], p["n"])
        for p in Notification.objects.filter(recipient=bob, message_key="mfa.required").values_list(
            "params", flat=True
        )
    }
    expected = {(w, n) for w in range(WRITERS) for n in range(WRITES_PER_WRITER)}
    assert written == expected
    assert AuditEvent.objects.filter(action="test.concurrent").count() == len(expected)
