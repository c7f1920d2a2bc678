"""Capture: versions only on change, out-of-order edits, deletions, tombstones, media."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from townsquare.archive.models import (
    ChainEntry,
    EventKind,
    MediaBlob,
    Record,
    RecordEvent,
    RecordVersion,
)
from townsquare.archive.services import (
    archive_verify,
    record_capture,
    record_mark_deleted,
    versions_in_order,
)
from townsquare.archive.services.media import media_path

from .conftest import T0

pytestmark = pytest.mark.django_db


def test_first_capture_creates_record_version_event_and_chain_entry(capture):
    result = capture(metadata={"likes": 3}, network="mastodon", url="https://s.example/1",
                     network_time=T0)
    assert result.created and result.version is not None
    record = result.record
    assert (record.source, record.source_id, record.network) == ("test", "post-1", "mastodon")
    assert result.version.content == "Buses run every 10 minutes."
    assert result.version.metadata == {"likes": 3}
    assert len(result.version.content_sha256) == 64
    event = RecordEvent.objects.get(record=record)
    assert event.kind == EventKind.CREATED and event.version == result.version
    entry = ChainEntry.objects.get(event=event)
    assert entry.seq == 1 and entry.prev_hash == "0" * 64
    assert entry.content_sha256 == result.version.content_sha256
    assert archive_verify().ok


def test_the_same_capture_twice_adds_nothing(capture):
    capture(network_time=T0, metadata={"a": 1})
    again = capture(network_time=T0, metadata={"a": 1})
    assert again.version is None and not again.created
    # Without network times too: unchanged content is not a new version.
    capture("post-2", "Hello")
    assert capture("post-2", "Hello").version is None
    assert RecordVersion.objects.count() == 2
    assert ChainEntry.objects.count() == 2


def test_a_change_adds_a_version_and_an_edit_event(capture):
    capture(network_time=T0)
    edited = capture(content="Buses run every 12 minutes.",
                     network_time=T0 + dt.timedelta(hours=1))
    assert edited.version is not None
    kinds = list(RecordEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.EDITED]
    # Metadata or media alone count as a change too.
    assert capture(content="Buses run every 12 minutes.", metadata={"pinned": True},
                   network_time=T0 + dt.timedelta(hours=2)).version is not None
    assert capture(content="Buses run every 12 minutes.", metadata={"pinned": True},
                   media=[(b"img", "image/png")],
                   network_time=T0 + dt.timedelta(hours=3)).version is not None
    assert RecordVersion.objects.count() == 4


def test_edit_arriving_before_the_create_keeps_both_in_network_order(capture):
    capture(content="Edited text", network_time=T0 + dt.timedelta(minutes=5))
    late = capture(content="Original text", network_time=T0)
    assert late.version is not None
    record = Record.objects.get()
    assert [v.content for v in versions_in_order(record)] == ["Original text", "Edited text"]
    # The late original is not taken for the current content, and it is not stored twice.
    assert capture(content="Original text", network_time=T0).version is None
    assert capture(content="Edited text", network_time=T0 + dt.timedelta(minutes=5)).version is None
    assert RecordVersion.objects.count() == 2
    assert archive_verify().ok


def test_back_to_an_earlier_text_is_a_new_version(capture):
    capture(content="A", network_time=T0)
    capture(content="B", network_time=T0 + dt.timedelta(minutes=1))
    assert capture(content="A", network_time=T0 + dt.timedelta(minutes=2)).version is not None


def test_deletion_keeps_last_version_and_adds_one_event(capture, government):
    capture(network_time=T0)
    event = record_mark_deleted(source="test", source_id="post-1",
                                organisation=government["transport"],
                                record_type="published_post", occurred_at=T0 + dt.timedelta(1))
    assert event.kind == EventKind.DELETED_ON_NETWORK
    again = record_mark_deleted(source="test", source_id="post-1",
                                organisation=government["transport"],
                                record_type="published_post")
    assert again.pk == event.pk
    assert RecordVersion.objects.get().content == "Buses run every 10 minutes."
    assert ChainEntry.objects.count() == 2


def test_deletion_of_something_never_captured_leaves_a_tombstone(government, capture):
    record_mark_deleted(source="test", source_id="ghost", organisation=government["transport"],
                        record_type="inbound_item", network="x", remote_id="99")
    record = Record.objects.get(source_id="ghost")
    assert not record.versions.exists()
    assert list(record.events.values_list("kind", flat=True)) == [EventKind.DELETED_ON_NETWORK]
    # The content arriving later is kept too.
    late = capture("ghost", "What it said", record_type="inbound_item", network_time=T0)
    assert late.version is not None and not late.created
    assert archive_verify().ok


def test_same_media_in_many_records_is_stored_once(capture):
    picture = b"\x89PNG\r\n" + b"x" * 5000
    capture("p1", "one", media=[(picture, "image/png")])
    capture("p2", "two", media=[(picture, "IMAGE/PNG"), (b"other", "image/gif")])
    assert MediaBlob.objects.count() == 2
    blob = MediaBlob.objects.get(size=len(picture))
    path = media_path(blob.sha256)
    assert path.read_bytes() == picture
    assert path.parent.name == blob.sha256[:2]
    assert archive_verify().ok


def test_a_large_media_file_is_stored_and_verified(capture):
    big = bytes(range(256)) * (40 * 1024)  # 10 MiB
    capture("big", "video", media=[(big, "video/mp4")])
    blob = MediaBlob.objects.get()
    assert blob.size == len(big)
    report = archive_verify()
    assert report.ok and report.media_files == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"source_id": ""}, "source_id"),
        ({"source_id": "x" * 301}, "source_id"),
        ({"record_type": "tweet"}, "record_type"),
        ({"content": "bad\x00byte"}, "content"),
        ({"metadata": ["not", "an", "object"]}, "metadata"),
        ({"metadata": {"when": dt.date(2026, 1, 1)}}, "metadata"),
        ({"metadata": {"n": float("nan")}}, "metadata"),
        ({"metadata": {"t": "nul\x00"}}, "metadata"),
        ({"media": [(b"x", "not a type")]}, "media"),
        ({"media": [b"only bytes"]}, "media"),
        ({"network_time": dt.datetime(2026, 1, 1)}, "network_time"),  # noqa: DTZ001
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_written(capture, changes, field):
    with pytest.raises(ValidationError) as caught:
        capture(**changes)
    assert caught.value.messages
    if hasattr(caught.value, "error_dict"):
        assert field in caught.value.error_dict
    assert not Record.objects.exists() and not ChainEntry.objects.exists()


def test_a_record_cannot_move_to_another_organisation(capture, government):
    capture()
    with pytest.raises(ValidationError, match="another organisation"):
        capture(organisation=government["health"], content="hijack")
    assert RecordVersion.objects.count() == 1


def test_archive_rows_refuse_update_and_delete_through_the_orm(capture):
    result = capture()
    version = result.version
    with pytest.raises(PermissionError):
        RecordVersion.objects.filter(pk=version.pk).update(content="changed")
    with pytest.raises(PermissionError):
        Record.objects.all().delete()
    with pytest.raises(PermissionError):
        version.delete()
    version.content = "changed"
    with pytest.raises(PermissionError):
        version.save()
    assert RecordVersion.objects.get().content == "Buses run every 10 minutes."


def test_direct_capture_is_usable_for_other_modules(government):
    result = record_capture(source="publishing.post", source_id="42",
                            organisation=government["transport"], record_type="published_post",
                            content="مرحبا 你好", metadata={"variant": "ar"})
    assert result.version.content == "مرحبا 你好"


def test_deletion_by_staff_needs_a_reason_and_a_records_role(capture, government, alice, bob):
    from django.core.exceptions import PermissionDenied

    from townsquare.core.models import AuditEvent

    capture()
    common = {"source": "test", "source_id": "post-1", "organisation": government["transport"],
              "record_type": "published_post"}
    with pytest.raises(ValidationError):
        record_mark_deleted(**common, actor=alice, reason="  ")
    with pytest.raises(PermissionDenied):
        record_mark_deleted(**common, actor=bob, reason="mistake")
    event = record_mark_deleted(**common, actor=alice, reason="Posted by mistake")
    assert event.kind == EventKind.DELETED_BY_STAFF and event.actor_label == "alice"
    assert AuditEvent.objects.filter(action="archive.record_deleted_by_staff").exists()
    assert RecordEvent.objects.count() == 2
    assert archive_verify().ok
