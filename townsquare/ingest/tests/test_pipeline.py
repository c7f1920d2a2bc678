"""The database stages: exactly-once storage, dead letters, routing, the archive's view."""

import datetime as dt
import json

import pytest
from django.db import connection

from townsquare.channels.adapters.base import ChangeKind, InboundChange, ItemKind
from townsquare.channels.adapters.base import InboundItem as AdapterItem
from townsquare.channels.models import InboundItem
from townsquare.channels.services.inbound import inbound_apply
from townsquare.ingest.models import BatchState, IngestBatch, ItemEnrichment, Rejection
from townsquare.ingest.routing import register_router, unregister_router
from townsquare.ingest.runner import ingest_stream
from townsquare.ingest.services import batch_process, batches_requeue_stalled, batches_submit

pytestmark = pytest.mark.django_db(transaction=False)


def test_a_stream_is_stored_enriched_and_indexed(message, transport_account):
    raws = [
        message("1", "The 12 bus has not come for 40 minutes #bus"),
        message("2", "متى يعاد فتح مركز الصحة في الحي الشمالي؟"),
        message("3", "请问下周供水维修会影响哪些小区？"),
    ]
    report = ingest_stream(raws, source="test", batch_size=2, workers=0)
    assert (report.result.received, report.result.stored, report.batches) == (3, 3, 2)
    items = {i.remote_id: i for i in InboundItem.objects.filter(account=transport_account)}
    assert items["2"].text == "متى يعاد فتح مركز الصحة في الحي الشمالي؟"
    assert items["1"].first_seen_via == "ingest"
    assert items["1"].raw["remote_id"] == "1"
    enrichment = {e.item.remote_id: e for e in ItemEnrichment.objects.select_related("item")}
    assert enrichment["1"].language == "en" and enrichment["1"].hashtags == ["bus"]
    assert enrichment["2"].language == "ar" and enrichment["2"].sentiment
    assert enrichment["3"].language == "zh"
    assert " " in enrichment["3"].search_text  # Chinese segmented into words for search


def test_duplicates_in_a_batch_and_a_replayed_stream_store_once(message):
    raws = [message("1"), message("1", "edited copy"), message("2")]
    first = ingest_stream(raws, source="test", workers=0)
    again = ingest_stream(raws, source="test", workers=0)
    assert (first.result.stored, first.result.duplicates) == (2, 1)
    assert (again.result.stored, again.result.duplicates) == (0, 3)
    assert InboundItem.objects.count() == 2
    assert ItemEnrichment.objects.count() == 2
    assert InboundItem.objects.get(remote_id="1").text == "The 12 bus is late again"


def test_bad_items_go_to_dead_letters_without_failing_the_batch(message):
    bad = [
        message("b1", ""),
        b'{"account_id": 1, "remote_id": "b2", "text": "caf\xe9"}',
        message("b3", "x" * 100_000),
        message("b4", "half \\ud800 surrogate").replace(b"\\\\ud800", b"\\ud800"),
        json.dumps({"account_id": 999999, "remote_id": "b5", "text": "who?"}).encode(),
    ]
    good = [message("g1", "😡😡"), message("g2", "\u202eمرحبا"), message("g3", "Bonjour à tous")]
    report = ingest_stream([*bad, *good], source="test", workers=0)
    assert (report.result.stored, report.result.rejected) == (3, 5)
    rejected = {r.reason: r for r in Rejection.objects.all()}
    assert set(rejected) == {
        "empty_text",
        "invalid_utf8",
        "text_too_long",
        "lone_surrogate",
        "unknown_account",
    }
    assert bytes(rejected["invalid_utf8"].raw) == bad[1]  # the raw payload, byte for byte
    assert bytes(rejected["text_too_long"].raw) == bad[2]
    assert rejected["unknown_account"].remote_id == "b5"
    assert InboundItem.objects.get(remote_id="g2").text == "\u202eمرحبا"  # stored as received
    # A replay of the same bad input adds no second dead letter.
    ingest_stream(bad, source="test", workers=0)
    assert Rejection.objects.count() == 5


def test_items_stored_by_channels_get_enriched_not_duplicated(message, transport_account):
    item = AdapterItem(
        remote_id="9",
        kind=ItemKind.MENTION,
        text="Thanks for the quick fix",
        created_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        author_id="u1",
        author_handle="@u1",
    )
    inbound_apply(
        account=transport_account,
        change=InboundChange(kind=ChangeKind.CREATED, remote_id="9", account_ref="", item=item),
        via="webhook",
    )
    report = ingest_stream([message("9", "Thanks for the quick fix")], source="t", workers=0)
    assert report.result.stored == 0 and report.result.duplicates == 1
    assert InboundItem.objects.count() == 1
    assert ItemEnrichment.objects.get().item.first_seen_via == "webhook"


def test_a_retried_batch_has_the_effect_of_once(message, django_capture_on_commit_callbacks):
    raws = [message(str(n), f"message {n}") for n in range(5)]
    with django_capture_on_commit_callbacks(execute=False):
        (batch_id,) = batches_submit(source="test", messages=raws)
    first = batch_process(batch_id=batch_id)
    assert first.stored == 5
    batch = IngestBatch.objects.get(pk=batch_id)
    assert batch.state == BatchState.DONE and batch.payload == [] and batch.stored == 5
    assert batch_process(batch_id=batch_id) is None  # done: a late retry does nothing
    # The same messages submitted again (a client retrying) store nothing new.
    with django_capture_on_commit_callbacks(execute=False):
        (again,) = batches_submit(source="test", messages=raws)
    assert batch_process(batch_id=again).duplicates == 5
    assert InboundItem.objects.count() == 5 and ItemEnrichment.objects.count() == 5


def test_a_killed_workers_batch_is_requeued_after_its_lease(
    message, settings, time_machine, django_capture_on_commit_callbacks
):
    settings.INGEST_LEASE_SECONDS = 60
    time_machine.move_to("2026-05-01 10:00:00Z", tick=False)
    with django_capture_on_commit_callbacks(execute=False):
        (batch_id,) = batches_submit(source="test", messages=[message("1"), message("2")])
    # A worker claims the batch and dies before storing (we only take its lease).
    from townsquare.ingest.services import batch_claim

    assert batch_claim(batch_id=batch_id) is not None
    assert batch_process(batch_id=batch_id) is None  # another worker must keep off
    assert batches_requeue_stalled() == []
    time_machine.move_to("2026-05-01 10:01:01Z", tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert batches_requeue_stalled() == [batch_id]
    batch = IngestBatch.objects.get(pk=batch_id)
    assert batch.state == BatchState.DONE and batch.attempts == 2
    assert InboundItem.objects.count() == 2


def test_submitted_batches_run_through_huey(message, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ids = batches_submit(
            source="test", messages=[message(str(n)) for n in range(7)], batch_size=3
        )
    assert len(ids) == 3
    assert set(IngestBatch.objects.values_list("state", flat=True)) == {BatchState.DONE}
    assert InboundItem.objects.count() == 7


def test_routers_hear_about_new_items_after_commit(message, django_capture_on_commit_callbacks):
    heard = []
    register_router(heard.append)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            ingest_stream([message("1"), message("2")], source="t", workers=0)
        assert heard == []  # nothing before commit
        for callback in callbacks:
            callback()
        ids = sorted(InboundItem.objects.values_list("pk", flat=True))
        assert heard == [ids]
        with django_capture_on_commit_callbacks(execute=True):
            ingest_stream([message("1"), message("3")], source="t", workers=0)
        assert heard[1] == [InboundItem.objects.get(remote_id="3").pk]  # only new items
    finally:
        unregister_router(heard.append)


def test_a_failing_router_loses_nothing(message, django_capture_on_commit_callbacks):
    def broken(ids):
        raise RuntimeError("inbox down")

    register_router(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            report = ingest_stream([message("1")], source="t", workers=0)
    finally:
        unregister_router(broken)
    assert report.result.stored == 1 and InboundItem.objects.count() == 1


def test_the_archive_captures_ingested_items(message):
    from townsquare.archive.models import Record
    from townsquare.archive.services.capture import inbound_items_capture

    ingest_stream([message(str(n), f"complaint {n}") for n in range(3)], source="t", workers=0)
    assert inbound_items_capture() == 3
    assert Record.objects.count() == 3


def test_enrichment_in_worker_processes_gives_the_same_result(message):
    texts = ["Thank you so much 👏", "الخدمة سيئة جدا", "垃圾已经三天没人收了", "Bus late"]
    raws = [message(str(n % 4), texts[n % 4]) for n in range(12)]
    report = ingest_stream(raws, source="t", batch_size=2, workers=2, max_in_flight=2)
    assert report.result.stored == 4 and report.result.duplicates == 8
    from townsquare.ingest.enrichment import enrich_texts

    for row in ItemEnrichment.objects.select_related("item"):
        (expected,) = enrich_texts([row.item.text])
        assert row.sentiment_score == expected["sentiment_score"]
        assert row.search_text == expected["search_text"]


def test_postgres_writers_take_the_ordering_lock(message, django_assert_num_queries):
    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    ingest_stream([message("1")], source="t", workers=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [0x7E571A6E])
        assert cursor.fetchone()[0] is True  # released at commit


def test_the_inbox_takes_in_ingested_messages_at_once(message, django_capture_on_commit_callbacks):
    from townsquare.inbox.models import Message

    with django_capture_on_commit_callbacks(execute=True):
        ingest_stream([message("7", text="Bus 12 never came this morning", kind="mention")],
                      source="t",
                      workers=0)
    item = InboundItem.objects.get(remote_id="7")
    # Not left for the minute task: the routing hook made it a conversation already.
    assert Message.objects.get(source_item=item).conversation.tracking_number
