"""What the inbox learns from: labelled routing examples, staff corrections of a message's
sentiment and topic, and the classifiers trained from them (imported by ``models``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RoutingExample(models.Model):
    """A citizen message labelled with the organisation that answers it.

    Staff re-routing decisions are read straight from transfers; these rows are the other
    source: the demo's labelled examples, or a government's own imported set.
    """

    government = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    text = models.TextField(max_length=5000)
    language = models.CharField(max_length=16, blank=True)
    source = models.CharField(max_length=40)  # "demo", or the name of an import
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["government", "organisation", "text"],
                                    name="inbox_routing_example_once")
        ]

    def __str__(self) -> str:
        return f"example for {self.organisation_id}"


class TrainedClassifier(models.Model):
    """One trained linear text classifier of a government: the router or the topics.

    ``weights`` is a NumPy ``.npz`` archive (read with ``allow_pickle=False``: nothing in
    it can run code). One active classifier per government and kind; older ones stay
    for the record of what routed which conversation.
    """

    class Kind(models.TextChoices):
        ROUTER = "router", _("Learned router")
        TOPICS = "topics", _("Topic classifier")

    government = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    is_active = models.BooleanField(default=True)
    trained_at = models.DateTimeField()
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    example_count = models.PositiveIntegerField()
    # Accuracy on the held-out fifth of the examples (a model fitted on the rest).
    heldout_accuracy = models.FloatField(null=True, blank=True)
    # The labels in weight order: organisation ids (router) or topic slugs (topics).
    labels = models.JSONField(default=list)
    # Examples per label, for the command's report and the rules page.
    label_counts = models.JSONField(default=dict)
    weights = models.BinaryField()

    class Meta:
        ordering = ["-trained_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["government", "kind"], condition=Q(is_active=True),
                                    name="inbox_one_active_classifier")
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.government_id} ({self.trained_at:%Y-%m-%d})"


class MessageCorrection(models.Model):
    """A responder's correction of what the models read from a message (who, when, old, new)."""

    class Field(models.TextChoices):
        SENTIMENT = "sentiment", _("Sentiment")
        TOPIC = "topic", _("Topic")

    message = models.ForeignKey("inbox.Message", on_delete=models.CASCADE,
                                related_name="corrections")
    field = models.CharField(max_length=10, choices=Field.choices)
    old_value = models.CharField(max_length=60, blank=True)
    new_value = models.CharField(max_length=60)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["field", "created_at"])]

    def __str__(self) -> str:
        return f"{self.field} of message {self.message_id}: {self.old_value} → {self.new_value}"
