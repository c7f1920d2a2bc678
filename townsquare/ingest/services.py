"""Ingest through Huey workers: batches kept in the database until they are stored.

``batches_submit`` writes each batch's raw messages to an ``IngestBatch`` row and
queues one task per batch after commit. ``batch_process`` claims a batch with a lease,
runs the pipeline and marks it done in the same transaction as the store, so a worker
killed at any point leaves the batch pending; ``batches_requeue_stalled`` (a periodic
task) hands batches whose lease ran out to another worker. Storing is idempotent, so a
batch processed twice has the effect of once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from townsquare.ingest.enrichment import enrich_texts
from townsquare.ingest.models import BatchState, IngestBatch
from townsquare.ingest.pipeline import BatchResult, batch_prepare, batch_store
from townsquare.ingest.stages import Raw, chunks, pack, unpack


def _enqueue(batch_ids: list[int]) -> None:
    from townsquare.ingest.tasks import process_ingest_batch

    for batch_id in batch_ids:
        process_ingest_batch(batch_id)


def batches_submit(
    *, source: str, messages: Iterable[Raw], batch_size: int | None = None
) -> list[int]:
    """Keep raw messages as batches and queue them for the workers; returns batch ids."""
    size = batch_size or settings.INGEST_BATCH_SIZE
    ids: list[int] = []
    with transaction.atomic():
        for chunk in chunks(messages, size):
            batch = IngestBatch.objects.create(
                source=source[:100], payload=pack(chunk), size=len(chunk)
            )
            ids.append(batch.pk)
        transaction.on_commit(lambda: _enqueue(ids))
    return ids


def batch_claim(*, batch_id: int, now: dt.datetime | None = None) -> IngestBatch | None:
    """Take a pending batch whose lease is free; None when done or held by a live worker."""
    now = now or timezone.now()
    lease = now + dt.timedelta(seconds=settings.INGEST_LEASE_SECONDS)
    claimed = (
        IngestBatch.objects.filter(pk=batch_id, state=BatchState.PENDING)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .update(leased_until=lease, attempts=F("attempts") + 1)
    )
    return IngestBatch.objects.filter(pk=batch_id).first() if claimed else None


def batch_process(*, batch_id: int, now: dt.datetime | None = None) -> BatchResult | None:
    """Run the pipeline over one stored batch (None when there was nothing to do)."""
    batch = batch_claim(batch_id=batch_id, now=now)
    if batch is None:
        return None
    raws: list[Raw] = list(unpack(batch.payload))
    prepared = batch_prepare(raws, source=batch.source, max_chars=settings.INGEST_MAX_TEXT_CHARS)
    values = enrich_texts([c.text for c in prepared.to_enrich])
    return batch_store(prepared, values, batch=batch, now=now)


def batches_requeue_stalled(*, now: dt.datetime | None = None) -> list[int]:
    """Queue again every pending batch whose worker's lease ran out (or that never
    started within a lease's time: its queue message was lost)."""
    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.INGEST_LEASE_SECONDS)
    ids = list(
        IngestBatch.objects.filter(state=BatchState.PENDING)
        .filter(Q(leased_until__lt=now) | Q(leased_until__isnull=True, created_at__lt=now - lease))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    transaction.on_commit(lambda: _enqueue(ids))
    return ids
