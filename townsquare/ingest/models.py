"""What the ingest pipeline keeps: batches until done, enrichment per item, dead letters.

Inbound items themselves are ``channels.InboundItem`` rows (one per network + remote id);
the archive, the inbox and listening read them from there.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BatchState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DONE = "done", _("Done")


class IngestBatch(models.Model):
    """One batch of raw messages, kept in the database until it is stored.

    A worker claims a batch with a lease; if the worker dies, the lease runs out and
    the batch is handed to another worker. Storing is idempotent, so a batch that is
    processed twice (or submitted twice) has the effect of once.
    """

    source = models.CharField(max_length=100)
    # Base64 of each raw message in a JSON list: raw bytes survive even when they are
    # not valid UTF-8. Emptied once the batch is done.
    payload = models.JSONField(default=list)
    size = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=BatchState.choices, default=BatchState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    leased_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stored = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["state", "leased_until"])]

    def __str__(self) -> str:
        return f"ingest batch {self.pk} ({self.state}, {self.size} messages)"


class ItemEnrichment(models.Model):
    """What the language models read from one inbound item (1:1 with the item)."""

    item = models.OneToOneField(
        "channels.InboundItem",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="enrichment",
    )
    language = models.CharField(max_length=16, blank=True)  # ISO 639-1, "mixed" or "und"
    language_confidence = models.FloatField(default=0.0)
    languages = models.JSONField(default=list)
    # The normalised, case-folded, segmented form full-text search indexes and matches.
    search_text = models.TextField(blank=True)
    sentiment = models.CharField(max_length=10, blank=True)  # empty: no model for the language
    sentiment_score = models.FloatField(null=True, blank=True)
    sentiment_confidence = models.FloatField(null=True, blank=True)
    topic = models.CharField(max_length=60, blank=True)
    keywords = models.JSONField(default=list)
    hashtags = models.JSONField(default=list)
    mentions = models.JSONField(default=list)
    urls = models.JSONField(default=list)
    urgent = models.BooleanField(default=False)
    abusive = models.BooleanField(default=False)
    spam = models.BooleanField(default=False)
    flag_terms = models.JSONField(default=list)
    enriched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["language", "sentiment"]),
            models.Index(fields=["topic"]),
        ]

    def __str__(self) -> str:
        return f"enrichment of item {self.item_id}"


class RejectionState(models.TextChoices):
    OPEN = "open", _("Waiting")
    RETRIED = "retried", _("Stored on retry")
    DISCARDED = "discarded", _("Discarded")


class Rejection(models.Model):
    """A message the pipeline could not store, with why and its raw bytes, unchanged.

    The fingerprint (source + raw bytes) is unique, so a retried or resubmitted batch
    does not add the same dead letter twice. A discarded dead letter is kept (raw bytes
    and all) and only marked, because inbound messages are public records.
    """

    batch = models.ForeignKey(IngestBatch, null=True, blank=True, on_delete=models.SET_NULL)
    source = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=40)
    detail = models.CharField(max_length=300, blank=True)
    network = models.CharField(max_length=20, blank=True)
    remote_id = models.CharField(max_length=200, blank=True)
    raw = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The agency whose account the message names, when it can be read from the raw bytes;
    # empty ones (unreadable, unknown account) are seen by the communications office only.
    organisation = models.ForeignKey(
        "organisations.Organisation", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        max_length=10, choices=RejectionState.choices, default=RejectionState.OPEN
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    retries = models.PositiveIntegerField(default=0)
    # Why the last retry was rejected again (a reason code), empty when it was stored.
    last_retry_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "reason"])]

    def __str__(self) -> str:
        return f"rejected {self.reason} from {self.source}"
