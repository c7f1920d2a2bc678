"""Background work of the ingest pipeline: thin wrappers around services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from townsquare.ingest.services import batch_process, batches_requeue_stalled


@db_task()
def process_ingest_batch(batch_id: int) -> None:
    batch_process(batch_id=batch_id)


@db_periodic_task(crontab(minute="*"))
def requeue_stalled_ingest_batches() -> None:
    """Every minute: batches of a worker that died go to another worker."""
    batches_requeue_stalled()
