"""Background work of the archive: thin wrappers around services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from townsquare.archive.models import BatchState, DispositionBatch, VerificationRun
from townsquare.archive.services import checkpoint_create, inbound_items_capture
from townsquare.archive.services.retention import disposition_execute, disposition_propose
from townsquare.archive.services.runs import verification_perform


@db_task()
def make_checkpoint() -> None:
    checkpoint_create()


@db_periodic_task(crontab(minute="*/10"))
def checkpoint_periodically() -> None:
    """Sign the chain's head every 10 minutes when it has moved (none when it has not)."""
    checkpoint_create()


@db_periodic_task(crontab(minute="*"))
@lock_task("archive-capture-inbound")
def capture_inbound_items() -> None:
    inbound_items_capture()


@db_task()
def run_verification(run_id: int) -> None:
    run = VerificationRun.objects.filter(pk=run_id, finished_at__isnull=True).first()
    if run is not None:
        verification_perform(run=run)


@db_periodic_task(crontab(minute="30", hour="2"))
def verify_archive_nightly() -> None:
    """Every night: the whole check, so tampering is noticed without anyone asking."""
    verification_perform(run=VerificationRun.objects.create())


@db_periodic_task(crontab(minute="15", hour="3"))
@lock_task("archive-disposition-propose")
def propose_disposition_daily() -> None:
    """Every night: propose records past retention for a records officer to decide on."""
    disposition_propose()


@db_task()
def execute_disposition(batch_id: int) -> None:
    batch = DispositionBatch.objects.filter(pk=batch_id, state=BatchState.APPROVED).first()
    if batch is not None:
        disposition_execute(batch=batch)


@db_task()
def build_subject_export(request_id: int) -> None:
    from townsquare.archive.services.subjects import subject_access_build
    from townsquare.archive.subject_models import SubjectRequest

    request = SubjectRequest.objects.filter(pk=request_id).first()
    if request is not None:
        subject_access_build(request=request)


# Records requests and export packages (imported so the worker registers their tasks).
from townsquare.archive import request_tasks  # noqa: E402, F401


@db_periodic_task(crontab(minute="*/5"))
@lock_task("archive-recapture-own-posts")
def recapture_own_posts() -> None:
    """Every 5 minutes: read recent own posts back to notice deletions and edits."""
    from townsquare.archive.services.recapture import own_posts_recapture

    own_posts_recapture()
