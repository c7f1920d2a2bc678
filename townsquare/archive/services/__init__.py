"""All writes of the archive (and its verification). Import from here."""

from townsquare.archive.services.capture import inbound_items_capture
from townsquare.archive.services.chain import checkpoint_create, checkpoints_export
from townsquare.archive.services.records import (
    CaptureResult,
    check_can_manage_archive,
    record_capture,
    record_mark_deleted,
    record_redact,
    record_restrict,
    record_restrict_by_system,
    versions_in_order,
)
from townsquare.archive.services.verify import Problem, VerificationReport, archive_verify

__all__ = [
    "CaptureResult",
    "Problem",
    "VerificationReport",
    "archive_verify",
    "check_can_manage_archive",
    "checkpoint_create",
    "checkpoints_export",
    "inbound_items_capture",
    "record_capture",
    "record_mark_deleted",
    "record_redact",
    "record_restrict",
    "record_restrict_by_system",
    "versions_in_order",
]
