"""Verification runs: started from the console or nightly, run by a worker, kept with results.

A whole-archive check takes minutes on a large archive, so the console never runs it
inside a request: it records a run, a worker does it, and the page shows the result.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from townsquare.archive.models import VerificationRun
from townsquare.archive.services.verify import archive_verify
from townsquare.core.services import audit_record

if TYPE_CHECKING:
    from townsquare.organisations.models import User


def verification_request(*, actor: User | None) -> VerificationRun:
    run = VerificationRun.objects.create(requested_by=actor)
    if actor is not None:
        audit_record(actor=actor, action="archive.verification_requested", target=run)
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    from townsquare.archive.tasks import run_verification

    run_verification(run_id)


def verification_perform(*, run: VerificationRun) -> VerificationRun:
    report = archive_verify()
    first = report.first_broken_entry
    ordered = ([first] if first else []) + [p for p in report.problems if p is not first]
    run.ok = report.ok
    run.entries, run.checkpoints = report.entries, report.checkpoints
    run.media_files = report.media_files
    run.problems = [asdict(problem) for problem in ordered]
    run.finished_at = timezone.now()
    run.save()
    audit_record(actor=None, action="archive.verified", target=run,
                 details={"ok": report.ok, "entries": report.entries,
                          "problems": len(report.problems)})
    return run
