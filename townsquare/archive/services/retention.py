"""Retention rules and disposition: records past retention are proposed, approved, removed.

Disposition empties a record's versions (text, metadata, search text, media links; media
files no other version uses are deleted) and appends a "disposed" event whose details
list every emptied version with the content hash and media hashes its chain entry
committed to. The chain therefore still verifies: archive_verify accepts an empty version
only when a disposed event in the chain names it with those hashes. The batch and its
items are the disposition log: what, when, under which rule, approved by whom.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.archive.models import (
    BatchState,
    DispositionBatch,
    DispositionItem,
    EventKind,
    ItemOutcome,
    MediaBlob,
    Record,
    RecordEvent,
    RecordType,
    RecordVersion,
    RetentionRule,
    VersionMedia,
)
from townsquare.archive.search import index_clear
from townsquare.archive.services.chain import canonical_json, chain_lock
from townsquare.archive.services.holds import holds_covering
from townsquare.archive.services.media import media_path
from townsquare.archive.services.records import (
    _clean_text,
    _event,
    check_can_manage_archive,
)
from townsquare.core.services import audit_record
from townsquare.organisations.models import Role
from townsquare.organisations.selectors import roles_of

if TYPE_CHECKING:
    from townsquare.organisations.models import Organisation, User

MAX_YEARS = 100
BATCH_MAX_RECORDS = 1000

# Disposition is the one sanctioned change to archive rows: these querysets skip the
# append-only guard of the default managers on purpose, and only this module uses them.
_versions: models.QuerySet[RecordVersion] = models.QuerySet(model=RecordVersion)
_links: models.QuerySet[VersionMedia] = models.QuerySet(model=VersionMedia)
_blobs: models.QuerySet[MediaBlob] = models.QuerySet(model=MediaBlob)


def years_before(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February in a year without one
        return moment.replace(year=moment.year - years, day=28)


def retention_rule_set(
    *, actor: User, organisation: Organisation, record_type: str, keep_years: int | None,
    legal_basis: str = "",
) -> RetentionRule:
    """Create or change the rule for one record type; ``keep_years`` None keeps forever."""
    check_can_manage_archive(actor, organisation)
    if record_type not in RecordType.values:
        raise ValidationError({"record_type": _("“%(value)s” is not a record type.")
                               % {"value": str(record_type)[:40]}})
    if keep_years is not None and not (1 <= keep_years <= MAX_YEARS):
        raise ValidationError({"keep_years": _("Keep records between 1 and %(max)d years, "
                                               "or permanently.") % {"max": MAX_YEARS}})
    legal_basis = _clean_text(legal_basis, field="legal_basis", max_length=300)
    with transaction.atomic():
        rule, created = RetentionRule.objects.select_for_update().get_or_create(
            organisation=organisation, record_type=record_type,
            defaults={"keep_years": keep_years, "legal_basis": legal_basis, "updated_by": actor},
        )
        before = None if created else rule.keep_years
        if not created:
            rule.keep_years, rule.legal_basis, rule.updated_by = keep_years, legal_basis, actor
            rule.save()
        audit_record(actor=actor, action="archive.retention_rule_set", organisation=organisation,
                     target=rule, details={"record_type": record_type, "keep_years": keep_years,
                                           "previous_keep_years": before,
                                           "legal_basis": legal_basis})
    return rule


def _disposed_or_proposed() -> models.Q:
    disposed = RecordEvent.objects.filter(record=OuterRef("pk"), kind=EventKind.DISPOSED)
    pending = DispositionItem.objects.filter(
        record=OuterRef("pk"), outcome=ItemOutcome.PENDING,
        batch__state__in=[BatchState.PROPOSED, BatchState.APPROVED])
    return models.Q(Exists(disposed)) | models.Q(Exists(pending))


def disposition_propose(*, now: dt.datetime | None = None) -> list[DispositionBatch]:
    """For every rule with a period, propose the records past it (the periodic job).

    Records under a legal hold are not proposed; records already disposed of or waiting
    in a batch are not proposed twice. Age counts from when the record was created on
    the network, or first captured when the network never said.
    """
    now = now or timezone.now()
    batches = []
    for rule in RetentionRule.objects.filter(keep_years__isnull=False).select_related(
            "organisation"):
        assert rule.keep_years is not None  # noqa: S101 - filtered above; narrows the type
        cutoff = years_before(now, rule.keep_years)
        candidates = list(
            Record.objects.filter(organisation=rule.organisation, record_type=rule.record_type)
            .alias(created=Coalesce("remote_created_at", "first_captured_at"))
            .filter(created__lt=cutoff).exclude(_disposed_or_proposed())
            .order_by("pk").values_list("pk", flat=True)[:BATCH_MAX_RECORDS * 2]
        )
        held = holds_covering(candidates)
        chosen = [pk for pk in candidates if pk not in held][:BATCH_MAX_RECORDS]
        if not chosen:
            continue
        with transaction.atomic():
            batch = DispositionBatch.objects.create(
                organisation=rule.organisation, rule=rule, record_type=rule.record_type,
                keep_years=rule.keep_years, legal_basis=rule.legal_basis,
                created_before=cutoff, proposed_at=now,
            )
            DispositionItem.objects.bulk_create(
                DispositionItem(batch=batch, record_id=pk) for pk in chosen)
            audit_record(actor=None, action="archive.disposition_proposed",
                         organisation=rule.organisation, target=batch,
                         details={"records": len(chosen), "held": len(held),
                                  "record_type": rule.record_type,
                                  "keep_years": rule.keep_years})
        batches.append(batch)
    return batches


def check_can_decide_disposition(user: User, organisation: Organisation) -> None:
    """Only a records officer approves the destruction of records."""
    if Role.RECORDS_OFFICER not in roles_of(user, organisation):
        raise PermissionDenied


def _decide(*, actor: User, batch: DispositionBatch, note: str, state: str) -> DispositionBatch:
    check_can_decide_disposition(actor, batch.organisation)
    note = _clean_text(note, field="note", max_length=2000, required=state == BatchState.REJECTED)
    with transaction.atomic():
        batch = DispositionBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.state != BatchState.PROPOSED:
            raise ValidationError(_("This batch was already decided (%(state)s).")
                                  % {"state": batch.get_state_display()})
        batch.state, batch.decided_by, batch.decided_at = state, actor, timezone.now()
        batch.decided_by_label, batch.decision_note = actor.get_username()[:200], note
        batch.save()
        if state == BatchState.REJECTED:
            batch.items.filter(outcome=ItemOutcome.PENDING).update(outcome=ItemOutcome.KEPT)
        audit_record(actor=actor, action=f"archive.disposition_{state}",
                     organisation=batch.organisation, target=batch,
                     details={"note": note, "records": batch.items.count()})
    return batch


def disposition_approve(
    *, actor: User, batch: DispositionBatch, note: str = "",
) -> DispositionBatch:
    """Approve a batch; a worker then carries it out (it can take a while)."""
    batch = _decide(actor=actor, batch=batch, note=note, state=BatchState.APPROVED)
    transaction.on_commit(lambda: _enqueue_execute(batch.pk))
    return batch


def disposition_reject(*, actor: User, batch: DispositionBatch, note: str) -> DispositionBatch:
    return _decide(actor=actor, batch=batch, note=note, state=BatchState.REJECTED)


def _enqueue_execute(batch_id: int) -> None:
    from townsquare.archive.tasks import execute_disposition

    execute_disposition(batch_id)


def disposition_execute(*, batch: DispositionBatch) -> DispositionBatch:
    """Carry out an approved batch; held records are kept and say which hold kept them.

    Each record is disposed of in its own transaction, so a crash part-way leaves the
    rest pending and a repeat carries on where it stopped.
    """
    if batch.state != BatchState.APPROVED:
        raise ValidationError(_("Only an approved batch can be carried out."))
    approver = batch.decided_by
    for item in batch.items.filter(outcome=ItemOutcome.PENDING).select_related("record"):
        try:
            event = record_dispose(record=item.record, batch=batch, approver=approver)
        except ValidationError as exc:
            item.outcome, item.note = ItemOutcome.HELD, " ".join(exc.messages)[:300]
            item.save(update_fields=["outcome", "note"])
        else:
            item.outcome, item.event = ItemOutcome.DISPOSED, event
            item.save(update_fields=["outcome", "event"])
    batch.state, batch.completed_at = BatchState.COMPLETED, timezone.now()
    batch.save(update_fields=["state", "completed_at"])
    audit_record(actor=None, action="archive.disposition_completed",
                 organisation=batch.organisation, target=batch,
                 details={"disposed": batch.items.filter(outcome=ItemOutcome.DISPOSED).count(),
                          "held": batch.items.filter(outcome=ItemOutcome.HELD).count()})
    return batch


def record_dispose(
    *, record: Record, batch: DispositionBatch, approver: User | None,
) -> RecordEvent:
    """Remove the content of ``record`` under an approved batch, keeping the chain whole.

    Refused (ValidationError naming the hold) when a legal hold covers the record.
    """
    if batch.state != BatchState.APPROVED or record.organisation_id != batch.organisation_id:
        raise ValidationError(_("This record is not part of an approved disposition."))
    freed: list[str] = []
    with transaction.atomic():
        head = chain_lock()  # no capture, redaction or other disposition meanwhile
        holds = holds_covering([record.pk]).get(record.pk)
        if holds:
            raise ValidationError(
                _("Record %(id)d is under the legal hold “%(hold)s” and cannot be disposed of "
                  "until the hold is released.") % {"id": record.pk, "hold": holds[0].name},
                code="held")
        versions = list(_versions.filter(record=record, disposed_at__isnull=True).order_by("pk"))
        media: dict[int, list[str]] = {v.pk: [] for v in versions}
        for version_id, blob_id in _links.filter(version__in=versions).order_by(
                "version", "position").values_list("version_id", "blob_id"):
            media[version_id].append(blob_id)
        details = {
            "batch": batch.pk, "record_type": batch.record_type, "keep_years": batch.keep_years,
            "versions": [{"id": v.pk, "content_sha256": v.content_sha256, "media": media[v.pk]}
                         for v in versions],
        }
        for version in versions:
            index_clear(version_id=version.pk, text=version.search_text)
        now = timezone.now()
        _versions.filter(pk__in=[v.pk for v in versions]).update(
            content="", metadata_json="{}", search_text="", disposed_at=now)
        _links.filter(version__in=versions).delete()
        candidates = {sha for hashes in media.values() for sha in hashes}
        still_used = set(_links.filter(blob_id__in=candidates).values_list("blob_id", flat=True))
        freed = sorted(candidates - still_used)
        _blobs.filter(pk__in=freed).delete()
        event = _event(
            head=head, record=record, kind=EventKind.DISPOSED, occurred_at=now, actor=approver,
            reason=_("Retention: %(type)s kept %(years)d years (disposition batch %(batch)d).")
            % {"type": batch.get_record_type_display(), "years": batch.keep_years,
               "batch": batch.pk},
            details_json=canonical_json(details).decode("utf-8"),
        )
        audit_record(actor=approver, action="archive.record_disposed",
                     organisation=record.organisation, target=record,
                     details={"batch": batch.pk, "versions": len(versions),
                              "media_files_removed": len(freed)})
    if freed:
        _remove_files(freed)
    return event


def _remove_files(hashes: list[str]) -> None:
    """Delete media files whose rows are gone, under the chain lock.

    A capture holds the same lock while it stores media, so a file cannot be deleted
    between a new capture finding it on disk and committing its row.
    """
    with transaction.atomic():
        chain_lock()
        gone = set(hashes) - set(MediaBlob.objects.filter(pk__in=hashes).values_list(
            "pk", flat=True))
        for sha in gone:
            media_path(sha).unlink(missing_ok=True)
