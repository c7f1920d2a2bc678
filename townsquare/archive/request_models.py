"""Records requests (freedom-of-information style) and the export packages built for them.

These rows change state (a request moves through its statuses, a package is built in
steps), so they are ordinary models; every change goes through a service and is audited.
The archive rows they point at stay append-only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    SEARCHING = "searching", _("Searching")
    REVIEWING = "reviewing", _("Reviewing")
    REDACTING = "redacting", _("Redacting")
    RELEASED = "released", _("Released")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = [RequestStatus.RECEIVED, RequestStatus.SEARCHING, RequestStatus.REVIEWING,
                 RequestStatus.REDACTING]


class RecordsRequest(models.Model):
    """A request from the public for records, with its statutory deadline."""

    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT,
        related_name="+",
    )
    reference = models.CharField(_("reference number"), max_length=60)
    requester_name = models.CharField(_("requester's name"), max_length=200)
    requester_contact = models.CharField(_("requester's contact"), max_length=300)
    description = models.TextField(_("what is requested"), max_length=5000)
    received_on = models.DateField(_("received on"))
    deadline = models.DateField(_("statutory deadline"))
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices,
                              default=RequestStatus.RECEIVED)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("records officer"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    records = models.ManyToManyField("archive.Record", through="RequestRecord",
                                     related_name="+")
    # Searches whose results were added: [{"query", "filters", "added", "by", "at"}].
    searches = models.JSONField(default=list, blank=True)
    # The deadline each warning was sent for: a moved deadline is warned about again.
    warned_soon_for = models.DateField(null=True, blank=True)
    warned_overdue_for = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"],
                                    name="archive_request_reference")
        ]
        verbose_name = _("records request")
        verbose_name_plural = _("records requests")

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RequestRecord(models.Model):
    """A record chosen for release under a request, and how it was found."""

    request = models.ForeignKey(RecordsRequest, on_delete=models.CASCADE, related_name="links")
    record = models.ForeignKey("archive.Record", on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                 on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    from_search = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["request", "record_id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "record"], name="archive_request_record")
        ]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.record_id}"


class RequestNote(models.Model):
    request = models.ForeignKey(RecordsRequest, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="+")
    author_label = models.CharField(max_length=200)
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk}"


class PackageState(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    BUILDING = "building", _("Being built")
    COMPLETE = "complete", _("Ready to download")
    FAILED = "failed", _("Failed")


class ExportPackage(models.Model):
    """A zip of records, built in the background in resumable steps.

    ``cursor`` (the last record id written), ``offsets`` (the length of every partial
    file at that point) and ``proof_ranges`` are saved together after each chunk, so a
    worker that dies mid-chunk leaves the files to be cut back to the last saved point.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT,
        related_name="+",
    )
    request = models.ForeignKey(RecordsRequest, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="packages")
    # A package from a search: the query and filters as the search form takes them.
    query = models.CharField(max_length=500, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    include_warc = models.BooleanField(_("include a WARC file"), default=False)
    # The language of the PDFs' labels: the one the export was started in.
    language = models.CharField(max_length=10, default="en")
    state = models.CharField(max_length=10, choices=PackageState.choices,
                             default=PackageState.QUEUED)
    phase = models.CharField(max_length=10, default="records")  # records, threads, finish
    records_total = models.PositiveIntegerField(default=0)
    records_done = models.PositiveIntegerField(default=0)
    threads_done = models.PositiveIntegerField(default=0)
    cursor = models.BigIntegerField(default=0)
    thread_cursor = models.CharField(max_length=300, blank=True)
    offsets = models.JSONField(default=dict, blank=True)
    # Checkpoint seq → lowest chain entry of the package's records it has to prove.
    proof_ranges = models.JSONField(default=dict, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export package")
        verbose_name_plural = _("export packages")

    def __str__(self) -> str:
        return f"export {self.pk}"

    @property
    def percent(self) -> int:
        if self.state == PackageState.COMPLETE:
            return 100
        if not self.records_total:
            return 0
        # Records are most of the work; threads and the zip take the last tenth.
        share = 90 * self.records_done // self.records_total
        return min(99, share + (5 if self.phase != "records" else 0))


class ExportThreadItem(models.Model):
    """Which thread each record of a package belongs to, for the thread PDFs.

    Kept in the database (written with each chunk) so that thread grouping needs no
    memory proportional to the package.
    """

    package = models.ForeignKey(ExportPackage, on_delete=models.CASCADE, related_name="+")
    thread_key = models.CharField(max_length=300)
    record_id = models.BigIntegerField()

    class Meta:
        ordering = ["package", "thread_key", "record_id"]
        constraints = [
            models.UniqueConstraint(fields=["package", "record_id"], name="archive_thread_item")
        ]
        indexes = [models.Index(fields=["package", "thread_key"])]

    def __str__(self) -> str:
        return f"{self.package_id}:{self.thread_key}/{self.record_id}"
