"""Tampering with raw SQL (or on disk) is detected, and names the first broken entry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from townsquare.archive.models import (
    ChainEntry,
    ChainHead,
    Checkpoint,
    MediaBlob,
    Record,
    RecordEvent,
    RecordVersion,
)
from townsquare.archive.services import archive_verify, checkpoint_create, record_redact
from townsquare.archive.services.media import media_path

from .conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(capture):
    """Five records with versions, a deletion and media: 8 chain entries."""
    for n in range(1, 6):
        capture(f"p{n}", f"Post number {n}", network_time=T0 + dt.timedelta(minutes=n),
                media=[(f"picture {n}".encode(), "image/png")] if n == 2 else ())
    capture("p3", "Post number 3, edited", network_time=T0 + dt.timedelta(hours=1))
    capture("p4", "Post number 4, edited", network_time=T0 + dt.timedelta(hours=1))
    capture("p5", "Post number 5, edited", network_time=T0 + dt.timedelta(hours=1))
    assert ChainEntry.objects.count() == 8
    return {"records": {r.source_id: r for r in Record.objects.all()}}


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def _verify_command():
    from io import StringIO

    out = StringIO()
    try:
        call_command("archive_verify", stdout=out)
    except CommandError as exc:
        return False, out.getvalue(), str(exc)
    return True, out.getvalue(), ""


def test_an_untouched_archive_verifies(archive):
    checkpoint_create()
    report = archive_verify()
    assert report.ok, report.problems
    assert (report.entries, report.checkpoints, report.media_files) == (8, 1, 1)
    ok, out, _ = _verify_command()
    assert ok and "nothing was changed" in out


def test_changed_version_content_is_detected_naming_the_entry(archive):
    version = RecordVersion.objects.get(content="Post number 4")
    entry = ChainEntry.objects.get(event__version=version)
    _sql(f"UPDATE {_table(RecordVersion)} SET content = %s WHERE id = %s",  # noqa: S608
         ["Post number 4 (quietly changed)", version.pk])
    report = archive_verify()
    first = report.first_broken_entry
    assert (first.seq, first.record_id) == (entry.seq, version.record_id)
    assert "content" in first.message
    ok, out, error = _verify_command()
    assert not ok
    assert f"FIRST BROKEN: entry {entry.seq}, record {version.record_id}" in out
    assert "does not verify" in error


def test_changed_metadata_is_detected(archive):
    version = RecordVersion.objects.get(content="Post number 1")
    _sql(f"UPDATE {_table(RecordVersion)} SET metadata_json = %s WHERE id = %s",  # noqa: S608
         ['{"x":1}', version.pk])
    assert archive_verify().first_broken_entry.record_id == version.record_id


def test_changed_record_identity_or_event_is_detected(archive):
    record = archive["records"]["p2"]
    _sql(f"UPDATE {_table(Record)} SET author = %s WHERE id = %s", ["someone else", record.pk])  # noqa: S608
    first = archive_verify().first_broken_entry
    assert first.record_id == record.pk and first.seq == 2
    _sql(f"UPDATE {_table(Record)} SET author = %s WHERE id = %s", ["", record.pk])  # noqa: S608
    assert archive_verify().ok
    event = RecordEvent.objects.get(version__content="Post number 5, edited")
    _sql(f"UPDATE {_table(RecordEvent)} SET occurred_at = %s WHERE id = %s",  # noqa: S608
         [T0, event.pk])
    assert archive_verify().first_broken_entry.seq == event.chain_entry.seq


def test_a_deleted_entry_is_detected(archive):
    _sql(f"DELETE FROM {_table(ChainEntry)} WHERE seq = 5")  # noqa: S608
    report = archive_verify()
    assert not report.ok
    assert report.first_broken_entry.seq == 5
    assert any("not in the chain" in p.message for p in report.problems)


def test_a_deleted_record_with_all_its_rows_is_detected(archive):
    record = archive["records"]["p1"]  # entry 1: the start of the chain
    event = RecordEvent.objects.get(record=record)
    version = RecordVersion.objects.get(record=record)
    _sql(f"DELETE FROM {_table(ChainEntry)} WHERE event_id = %s", [event.pk])  # noqa: S608
    _sql(f"DELETE FROM {_table(RecordEvent)} WHERE id = %s", [event.pk])  # noqa: S608
    _sql(f"DELETE FROM {_table(RecordVersion)} WHERE id = %s", [version.pk])  # noqa: S608
    _sql(f"DELETE FROM {_table(Record)} WHERE id = %s", [record.pk])  # noqa: S608
    first = archive_verify().first_broken_entry
    assert first.seq == 1


def test_reordered_entries_are_detected(archive):
    table = _table(ChainEntry)
    _sql(f"UPDATE {table} SET seq = -1 WHERE seq = 3")  # noqa: S608
    _sql(f"UPDATE {table} SET seq = 3 WHERE seq = 4")  # noqa: S608
    _sql(f"UPDATE {table} SET seq = 4 WHERE seq = -1")  # noqa: S608
    first = archive_verify().first_broken_entry
    assert first.seq == 3


def test_truncated_chain_is_detected_by_its_head(archive):
    _sql(f"DELETE FROM {_table(ChainEntry)} WHERE seq > 6")  # noqa: S608
    report = archive_verify()
    assert not report.ok
    assert report.first_broken_entry.seq == 7
    assert any("head names entry 8" in p.message for p in report.problems)


def test_truncation_with_a_rewritten_head_is_caught_by_the_signed_checkpoint(archive):
    checkpoint_create()
    last_kept = ChainEntry.objects.get(seq=6)
    for model, column in ((ChainEntry, "seq"),):
        _sql(f"DELETE FROM {_table(model)} WHERE {column} > 6")  # noqa: S608
    # A careful intruder also removes the events and versions, and moves the head back.
    _sql(f"DELETE FROM {_table(RecordEvent)} WHERE id NOT IN "  # noqa: S608
         f"(SELECT event_id FROM {_table(ChainEntry)})")
    _sql(f"DELETE FROM {_table(RecordVersion)} WHERE id NOT IN "  # noqa: S608
         f"(SELECT version_id FROM {_table(RecordEvent)} WHERE version_id IS NOT NULL)")
    _sql(f"UPDATE {_table(ChainHead)} SET seq = 6, entry_hash = %s",  # noqa: S608
         [last_kept.entry_hash])
    report = archive_verify()
    assert not report.ok
    assert report.first_broken_entry.seq == 7
    assert any("signed checkpoint names entry 8" in p.message for p in report.problems)


def test_a_forged_checkpoint_signature_is_detected(archive):
    checkpoint = checkpoint_create()
    _sql(f"UPDATE {_table(Checkpoint)} SET entry_hash = %s WHERE id = %s",  # noqa: S608
         ["f" * 64, checkpoint.pk])
    report = archive_verify()
    assert any("signature of checkpoint 8" in p.message for p in report.problems)


def test_a_version_slipped_in_without_the_chain_is_detected(archive):
    record = archive["records"]["p1"]
    original = RecordVersion.objects.get(record=record)
    _sql(f"INSERT INTO {_table(RecordVersion)} (record_id, content, metadata_json, "  # noqa: S608
         "content_sha256, network_time, captured_at, redacts_id) "
         "VALUES (%s, %s, %s, %s, NULL, %s, NULL)",
         [record.pk, "fake", "{}", original.content_sha256, T0])
    report = archive_verify()
    assert any("is not in the chain" in p.message and p.record_id == record.pk
               for p in report.problems)


def test_a_changed_media_file_is_detected(archive):
    blob = MediaBlob.objects.get()
    media_path(blob.sha256).write_bytes(b"picture 9")  # same length, other bytes
    report = archive_verify()
    assert [p.media_sha256 for p in report.problems] == [blob.sha256]
    assert "changed on disk" in report.problems[0].message
    assert report.problems[0].record_id == archive["records"]["p2"].pk
    ok, out, _ = _verify_command()
    assert not ok and f"media {blob.sha256}" in out


def test_a_deleted_media_file_is_detected(archive):
    blob = MediaBlob.objects.get()
    media_path(blob.sha256).unlink()
    report = archive_verify()
    assert "missing" in report.problems[0].message
    assert archive_verify(check_media=False).ok


def test_redaction_keeps_the_chain_valid(archive, alice):
    record = archive["records"]["p2"]
    redacted = record_redact(actor=alice, record=record, content="Post number █",
                             reason="Personal data of a citizen")
    assert redacted.redacts.content == "Post number 2"
    assert not redacted.media.exists()
    checkpoint_create()
    report = archive_verify()
    assert report.ok, report.problems
    assert report.entries == 9
