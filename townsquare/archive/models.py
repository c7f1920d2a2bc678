"""The records archive: records, their versions, media, events and the hash chain.

Archive rows are append-only. The services are the only write path and never update or
delete them; the querysets and ``save()`` below refuse it too, so a slip in code fails
loudly. Raw SQL can still change anything: that is what the hash chain and
``archive_verify`` detect.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("Archive rows are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Archive rows are append-only")


class AppendOnlyModel(models.Model):
    """A row that is written once. Changing it means writing a new row (a new event)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Archive rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Archive rows are append-only")


class RecordType(models.TextChoices):
    PUBLISHED_POST = "published_post", _("Published post")
    INBOUND_ITEM = "inbound_item", _("Inbound message")
    REPLY = "reply", _("Reply")
    NOTE = "note", _("Internal note")
    SUBMISSION = "submission", _("Submission")
    STAFF_ACTION = "staff_action", _("Staff action")


class Record(AppendOnlyModel):
    """One public record (a post, a message, a submission…) with all its versions.

    ``(source, source_id)`` is the natural key a capturing module gives the record, so a
    capture repeated by any worker finds the same record.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    record_type = models.CharField(_("record type"), max_length=20, choices=RecordType.choices)
    source = models.CharField(_("source"), max_length=40)
    source_id = models.CharField(_("source id"), max_length=300)
    network = models.CharField(_("network"), max_length=20, blank=True)
    # The account's handle is kept as text: a record outlives the registry entry.
    account_handle = models.CharField(_("account"), max_length=200, blank=True)
    author = models.CharField(_("author"), max_length=200, blank=True)
    author_id = models.CharField(_("author id"), max_length=200, blank=True)
    remote_id = models.CharField(_("id on the network"), max_length=200, blank=True)
    url = models.CharField(_("address"), max_length=500, blank=True)
    # When the network says the record was created (None when it never told us).
    remote_created_at = models.DateTimeField(_("created on the network"), null=True, blank=True)
    first_captured_at = models.DateTimeField(_("first captured"), db_index=True)

    class Meta:
        ordering = ["-first_captured_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"], name="archive_record_natural_key"
            )
        ]
        indexes = [models.Index(fields=["organisation", "-first_captured_at"])]
        verbose_name = _("record")
        verbose_name_plural = _("records")

    def __str__(self) -> str:
        return f"{self.source}:{self.source_id}"


class MediaBlob(AppendOnlyModel):
    """A media file, stored once however many records use it, named by its SHA-256."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField(_("size in bytes"))
    mime_type = models.CharField(_("type"), max_length=100)
    stored_at = models.DateTimeField(_("stored"), auto_now_add=True)

    class Meta:
        verbose_name = _("media file")
        verbose_name_plural = _("media files")

    def __str__(self) -> str:
        return self.sha256


class RecordVersion(AppendOnlyModel):
    """What a record said at one moment: text, metadata and media, with their hash."""

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="versions")
    content = models.TextField(_("content"), blank=True)
    # Canonical JSON text, not a JSON column: PostgreSQL's jsonb may rewrite numbers and
    # key order, and the hash must match the exact bytes that were captured.
    metadata_json = models.TextField(_("metadata"), default="{}")
    # SHA-256 of the canonical JSON of content, metadata and media hashes (see chain.py).
    content_sha256 = models.CharField(max_length=64)
    # When this version existed on the network (edit time), used to order versions that
    # arrive out of order; None when the network gave no time.
    network_time = models.DateTimeField(_("time on the network"), null=True, blank=True)
    captured_at = models.DateTimeField(_("captured"))
    # Set on a redacted copy: which version it redacts.
    redacts = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="redactions"
    )
    media = models.ManyToManyField(MediaBlob, through="VersionMedia", related_name="versions")
    # The full-text form of the content (townsquare.nlp.normalise.search_text), indexed by
    # SQLite FTS5 or PostgreSQL; derived data, so it is outside the content hash.
    search_text = models.TextField(blank=True, default="", db_default="")
    # Set when disposition removed this version's content; the chain entry that committed
    # to the content stays, and a "disposed" event lists the removed hashes.
    disposed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["record", "id"]
        verbose_name = _("record version")
        verbose_name_plural = _("record versions")

    def __str__(self) -> str:
        return f"{self.record_id} v{self.pk}"

    @property
    def metadata(self) -> dict[str, Any]:
        value = json.loads(self.metadata_json or "{}")
        return value if isinstance(value, dict) else {}


class VersionMedia(AppendOnlyModel):
    version = models.ForeignKey(RecordVersion, on_delete=models.PROTECT, related_name="+")
    blob = models.ForeignKey(MediaBlob, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="archive_media_position")
        ]

    def __str__(self) -> str:
        return f"{self.version_id}#{self.position} {self.blob_id}"


class EventKind(models.TextChoices):
    CREATED = "created", _("Captured")
    EDITED = "edited", _("Edited")
    DELETED_ON_NETWORK = "deleted_on_network", _("Deleted on the network")
    DELETED_BY_STAFF = "deleted_by_staff", _("Deleted by staff")
    REDACTED = "redacted", _("Redacted")
    RESTRICTED = "restricted", _("Access restricted")
    DISPOSED = "disposed", _("Disposed of under a retention rule")


class RecordEvent(AppendOnlyModel):
    """Something that happened to a record. Every event is one entry of the hash chain."""

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("event"), max_length=20, choices=EventKind.choices)
    version = models.ForeignKey(
        RecordVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("who"), max_length=200, blank=True)
    reason = models.TextField(_("why"), blank=True, max_length=2000)
    # Canonical JSON of what the event needs to commit to beyond its fields (a disposition
    # lists the versions it emptied and their hashes); "" for most events.
    details_json = models.TextField(blank=True, default="", db_default="")
    # When it happened (on the network, or now for staff actions).
    occurred_at = models.DateTimeField(_("when"))
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        ordering = ["record", "id"]
        verbose_name = _("record event")
        verbose_name_plural = _("record events")

    def __str__(self) -> str:
        return f"{self.record_id} {self.kind}"


class ChainEntry(AppendOnlyModel):
    """One link of the hash chain: commits to the previous entry and to one event."""

    seq = models.BigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)
    event = models.OneToOneField(RecordEvent, on_delete=models.PROTECT, related_name="chain_entry")
    content_sha256 = models.CharField(max_length=64, blank=True)
    media_sha256 = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("chain entry")
        verbose_name_plural = _("chain entries")

    def __str__(self) -> str:
        return f"#{self.seq} {self.entry_hash[:12]}"


class ChainHead(models.Model):
    """The newest entry of the chain: one row, locked while an entry is appended.

    It is the only archive row that changes. It also lets verification notice a chain
    cut short at its end (entries removed after the last checkpoint).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64)
    entries_since_checkpoint = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"head #{self.seq}"


class Checkpoint(AppendOnlyModel):
    """A signed statement that the chain up to ``seq`` ended with ``entry_hash``."""

    seq = models.BigIntegerField(unique=True)
    entry_hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    signature = models.CharField(max_length=100)  # base64 Ed25519 signature
    key_id = models.CharField(max_length=16)  # first 16 hex digits of the public key's SHA-256

    class Meta:
        ordering = ["seq"]
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")

    def __str__(self) -> str:
        return f"checkpoint #{self.seq}"


class CaptureCursor(models.Model):
    """How far a capture from another module has read (e.g. the last inbound item id)."""

    name = models.CharField(max_length=60, unique=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}={self.position}"


class VerificationRun(models.Model):
    """One run of archive_verify started from the console or the nightly task, and its result."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)
    entries = models.BigIntegerField(default=0)
    checkpoints = models.PositiveIntegerField(default=0)
    media_files = models.BigIntegerField(default=0)
    # [{"message", "seq", "record_id", "media_sha256"}], the first broken entry first.
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"verification {self.pk}"


# --- retention, disposition and legal holds ------------------------------------------
# These rows change state (a batch is proposed, then decided), so they are ordinary
# models; every change goes through a service and is audited.


class RetentionRule(models.Model):
    """How long an organisation keeps one type of record; ``keep_years`` None is permanent."""

    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT,
        related_name="+",
    )
    record_type = models.CharField(_("record type"), max_length=20, choices=RecordType.choices)
    keep_years = models.PositiveSmallIntegerField(_("years kept"), null=True, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation__path", "record_type"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "record_type"],
                                    name="archive_retention_one_rule_per_type")
        ]
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.record_type}={self.keep_years or 'permanent'}"


class BatchState(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for approval")
    APPROVED = "approved", _("Approved, being carried out")
    COMPLETED = "completed", _("Carried out")
    REJECTED = "rejected", _("Rejected")


class DispositionBatch(models.Model):
    """Records past retention, proposed together; a records officer approves or rejects.

    The rule is copied (type, years, legal basis) so the log still says which rule applied
    after the rule is changed.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT,
        related_name="+",
    )
    rule = models.ForeignKey(RetentionRule, null=True, on_delete=models.SET_NULL, related_name="+")
    record_type = models.CharField(_("record type"), max_length=20, choices=RecordType.choices)
    keep_years = models.PositiveSmallIntegerField(_("years kept"))
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    created_before = models.DateTimeField(_("records created before"))
    proposed_at = models.DateTimeField(_("proposed"))
    state = models.CharField(_("state"), max_length=10, choices=BatchState.choices,
                             default=BatchState.PROPOSED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by_label = models.CharField(_("decided by"), max_length=200, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("note"), blank=True, max_length=2000)
    completed_at = models.DateTimeField(_("carried out"), null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("disposition batch")
        verbose_name_plural = _("disposition batches")

    def __str__(self) -> str:
        return f"disposition {self.pk}"


class ItemOutcome(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DISPOSED = "disposed", _("Disposed of")
    HELD = "held", _("Kept: under legal hold")
    KEPT = "kept", _("Kept: batch rejected")


class DispositionItem(models.Model):
    """One record of a batch and what happened to it (the disposition log's lines)."""

    batch = models.ForeignKey(DispositionBatch, on_delete=models.CASCADE, related_name="items")
    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=10, choices=ItemOutcome.choices,
                               default=ItemOutcome.PENDING)
    note = models.CharField(_("note"), max_length=300, blank=True)
    event = models.ForeignKey(RecordEvent, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")

    class Meta:
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "record"], name="archive_disposition_item")
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.record_id} {self.outcome}"


class HoldKind(models.TextChoices):
    SEARCH = "search", _("Records matching a search")
    ACCOUNT = "account", _("Records of an account")
    CASE = "case", _("A list of records (a case)")


class LegalHold(models.Model):
    """Records that must not be disposed of until the hold is released."""

    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=200)
    reason = models.TextField(_("reason"), max_length=2000)
    kind = models.CharField(_("kind"), max_length=10, choices=HoldKind.choices)
    # search: the query and filters, copied so the hold outlives the saved search.
    query = models.CharField(_("search"), max_length=500, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    # account: its handle as records store it.
    account_handle = models.CharField(_("account"), max_length=200, blank=True)
    records = models.ManyToManyField(Record, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")

    def __str__(self) -> str:
        return self.name


class SavedSearch(models.Model):
    """A user's search of the archive, kept to run again (or to place a hold on)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("search"), max_length=500)
    filters = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="archive_saved_search_name")
        ]

    def __str__(self) -> str:
        return self.name


# Records requests and export packages live in their own module (imported for Django).
from townsquare.archive.request_models import (  # noqa: E402, F401
    ExportPackage,
    ExportThreadItem,
    PackageState,
    RecordsRequest,
    RequestNote,
    RequestRecord,
    RequestStatus,
)

# Data-subject requests (access and erasure) live in their own module (imported for Django).
from townsquare.archive.subject_models import (  # noqa: E402, F401
    ErasureBasis,
    SubjectRequest,
    SubjectRequestKind,
    SubjectRequestStatus,
)
