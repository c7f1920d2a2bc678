"""The unified inbox: contacts, conversations, messages, notes, transfers and routing rules.

Citizens never have a User; they are contacts with one identity per network. Every
conversation has one responsible organisation at a time (transfers move it and keep the
history), and a tracking number the citizen can look up on the citizen site.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.channels.models import NETWORK_CHOICES
from townsquare.core.models import TimeStampedModel

# Ways in that are not a network account: the citizen site's contact form, and cases
# staff enter for citizens who phone or walk into a service centre.
WEB = "web"
PHONE = "phone"
SERVICE_CENTRE = "service_centre"
OFFLINE_CHANNELS = (PHONE, SERVICE_CENTRE)
CHANNEL_CHOICES = [
    *NETWORK_CHOICES,
    (WEB, _("Contact form")),
    (PHONE, _("Phone")),
    (SERVICE_CENTRE, _("Service centre")),
]


class Contact(TimeStampedModel):
    """One person writing to the government, with identities on one or more channels."""

    display_name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.display_name or f"#{self.pk}"


class ContactIdentity(TimeStampedModel):
    """Who a contact is on one channel. One identity per network + author id."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    channel = models.CharField(_("channel"), max_length=20, choices=CHANNEL_CHOICES)
    remote_author_id = models.CharField(_("id on the network"), max_length=200)
    handle = models.CharField(_("handle"), max_length=200, blank=True)
    display_name = models.CharField(_("name"), max_length=200, blank=True)
    # Set when staff moved this identity to another contact (same person, other channel).
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    linked_at = models.DateTimeField(null=True, blank=True)
    link_reason = models.CharField(_("why they were linked"), max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "remote_author_id"], name="inbox_identity_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.handle or self.remote_author_id}"


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING = "waiting_on_citizen", _("Waiting on the citizen")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)


class Priority(models.IntegerChoices):
    NORMAL = 0, _("Normal")
    HIGH = 1, _("High")
    URGENT = 2, _("Urgent")


class RoutedBy(models.TextChoices):
    RULE = "rule", _("Routing rule")
    ACCOUNT = "account", _("Receiving account")
    TRIAGE = "triage", _("Triage queue")
    CHOSEN = "chosen", _("Chosen by the citizen or staff")
    LEARNED = "learned", _("Learned router")


class Conversation(TimeStampedModel):
    tracking_number = models.CharField(_("tracking number"), max_length=16, unique=True)
    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name=_("responsible organisation"),
        on_delete=models.PROTECT, related_name="conversations",
    )
    team = models.ForeignKey(
        "organisations.Team", verbose_name=_("team"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="conversations",
    )
    account = models.ForeignKey(
        "channels.Account", verbose_name=_("account"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="conversations",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=CHANNEL_CHOICES)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="conversations")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    is_emergency = models.BooleanField(_("emergency"), default=False)
    is_abuse = models.BooleanField(_("abuse"), default=False)
    is_spam = models.BooleanField(_("spam"), default=False)
    in_triage = models.BooleanField(_("in the triage queue"), default=False)
    routed_by = models.CharField(max_length=10, choices=RoutedBy.choices)
    routing_rule = models.ForeignKey(
        "RoutingRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What matched (a keyword), shown to staff next to the rule.
    routing_match = models.CharField(max_length=200, blank=True)
    # The learned router's top confidence and its next candidates
    # ([{"organisation": id, "confidence": 0.12}, …]), kept also when it stayed below the
    # threshold, so triage staff see its suggestion.
    routing_confidence = models.FloatField(null=True, blank=True)
    routing_candidates = models.JSONField(default=list, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="assigned_conversations",
    )
    language = models.CharField(_("language"), max_length=16, blank=True)
    # The network's own thread id (X conversation_id, a Bluesky root…), when it has one.
    thread_key = models.CharField(max_length=200, blank=True)
    last_message_at = models.DateTimeField(_("last message"), db_index=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The collision marker: who last opened the reply box, and when.
    replying_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    replying_at = models.DateTimeField(null=True, blank=True)
    # The SLA clock (services/sla.py): business seconds counted before the current running
    # stretch, and when that stretch began (None while paused or stopped). Kept across
    # transfers; the due and warning times are derived from it and the agency's policy.
    sla_used_seconds = models.PositiveIntegerField(default=0)
    sla_running_since = models.DateTimeField(null=True, blank=True)
    sla_first_response_due = models.DateTimeField(_("first answer due"), null=True, blank=True)
    sla_first_response_warn_at = models.DateTimeField(null=True, blank=True)
    sla_resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_resolution_warn_at = models.DateTimeField(null=True, blank=True)
    # Business seconds to the first answer; None until answered.
    sla_first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    sla_first_response_met = models.BooleanField(null=True, blank=True)
    sla_resolution_met = models.BooleanField(null=True, blank=True)
    sla_escalated = models.BooleanField(_("escalated"), default=False)
    # When the citizen was asked to rate the answer (after resolution); one rating each.
    rating_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "status", "-last_message_at"]),
            models.Index(fields=["assignee", "status", "-last_message_at"]),
            models.Index(fields=["contact", "channel", "status"]),
            models.Index(
                fields=["-last_message_at"], condition=Q(in_triage=True), name="inbox_triage"
            ),
            models.Index(fields=["sla_first_response_warn_at"], name="inbox_sla_first_warn",
                         condition=Q(sla_first_response_warn_at__isnull=False)),
            models.Index(fields=["sla_resolution_warn_at"], name="inbox_sla_resolution_warn",
                         condition=Q(sla_resolution_warn_at__isnull=False)),
            # Keyset pagination of the queues (selectors.queue_page): the sort key in index
            # order, walked backwards; the second also serves one organisation and status.
            models.Index(fields=["priority", "last_message_at", "id"], name="inbox_queue_order"),
            models.Index(fields=["organisation", "status", "priority", "last_message_at", "id"],
                         name="inbox_queue_org_status"),
            models.Index(fields=["team", "status", "priority", "last_message_at", "id"],
                         name="inbox_queue_team_status"),
            models.Index(fields=["organisation", "status"], condition=Q(is_emergency=True),
                         name="inbox_emergency"),
            models.Index(fields=["organisation", "status"], condition=Q(in_triage=True),
                         name="inbox_triage_org"),
            models.Index(fields=["sla_first_response_due"], name="inbox_sla_first_due",
                         condition=Q(sla_first_response_due__isnull=False)),
            models.Index(fields=["sla_resolution_due"], name="inbox_sla_resolution_due",
                         condition=Q(sla_resolution_due__isnull=False)),
            # "Assigned to me" and "unassigned": their rows in queue order, without
            # reading the person's closed conversations or the agency's assigned ones.
            models.Index(fields=["assignee", "status", "priority", "last_message_at", "id"],
                         name="inbox_queue_assignee"),
            models.Index(fields=["organisation", "status", "priority", "last_message_at", "id"],
                         condition=Q(assignee__isnull=True, is_spam=False),
                         name="inbox_queue_unassigned"),
        ]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self) -> str:
        return self.tracking_number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def sla_next_due(self) -> datetime.datetime | None:
        dues = [d for d in (self.sla_first_response_due, self.sla_resolution_due) if d]
        return min(dues) if dues else None

    @property
    def sla_overdue(self) -> bool:
        due = self.sla_next_due
        return due is not None and due <= timezone.now()


class Direction(models.TextChoices):
    INBOUND = "in", _("From the citizen")
    OUTBOUND = "out", _("Our answer")


class SendState(models.TextChoices):
    NONE = "", _("Not sent through a network")
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    RETRYING = "retrying", _("Will be retried")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    text = models.TextField()
    # One inbound item becomes exactly one message, however often it is ingested.
    source_item = models.OneToOneField(
        "channels.InboundItem", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="inbox_message",
    )
    remote_id = models.CharField(max_length=200, blank=True, db_index=True)
    remote_url = models.URLField(max_length=500, blank=True)
    is_private = models.BooleanField(default=False)
    author_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    language = models.CharField(max_length=16, blank=True)
    # What the language models read (or staff corrected, see MessageCorrection): a label
    # of nlp.sentiment and a topic slug of the government's taxonomy; "" when unknown.
    sentiment = models.CharField(max_length=10, blank=True)
    topic = models.CharField(max_length=60, blank=True)
    send_state = models.CharField(
        max_length=10, choices=SendState.choices, default=SendState.NONE, blank=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # townsquare.inbox.search.message_search_text of the text (normalised, Chinese
    # segmented), indexed by SQLite FTS5 or a PostgreSQL GIN index (migration 0004).
    search_text = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["send_state", "next_attempt_at"]),
                   models.Index(fields=["conversation", "id"], name="inbox_message_conv_id")]

    def __str__(self) -> str:
        return f"{self.direction} message {self.pk} of {self.conversation_id}"


class InternalNote(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on {self.conversation_id}"


class Transfer(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="transfers"
    )
    from_organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    to_organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    to_team = models.ForeignKey(
        "organisations.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"transfer of {self.conversation_id} to {self.to_organisation_id}"


class RoutingRule(TimeStampedModel):
    """Keywords, channel and language → organisation and team.

    A rule applies to messages arriving at accounts of its organisation (and below); the
    rules of the whole-of-government office apply to every account. Evaluated by
    ``position``; the first match wins.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name=_("owner"), on_delete=models.CASCADE,
        related_name="routing_rules",
    )
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    keywords_en = models.TextField(_("English keywords"), blank=True, max_length=2000)
    keywords_ar = models.TextField(_("Arabic keywords"), blank=True, max_length=2000)
    keywords_zh = models.TextField(_("Chinese keywords"), blank=True, max_length=2000)
    channel = models.CharField(_("channel"), max_length=20, choices=CHANNEL_CHOICES, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    target_organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name=_("send to"), on_delete=models.CASCADE,
        related_name="+",
    )
    target_team = models.ForeignKey(
        "organisations.Team", verbose_name=_("team"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    mark_high_priority = models.BooleanField(_("mark as high priority"), default=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name


class CannedReply(TimeStampedModel):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="canned_replies"
    )
    title = models.CharField(_("title"), max_length=120)
    text_en = models.TextField(_("English"), blank=True, max_length=2000)
    text_ar = models.TextField(_("Arabic"), blank=True, max_length=2000)
    text_zh = models.TextField(_("Chinese"), blank=True, max_length=2000)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "title"], name="canned_unique_title")
        ]

    def __str__(self) -> str:
        return self.title

    def text_for(self, language: str) -> str:
        by_language = {"ar": self.text_ar, "zh": self.text_zh, "zh-hans": self.text_zh}
        return by_language.get(language, "") or self.text_en or self.text_ar or self.text_zh


class IngestCursor(models.Model):
    """How far the inbox has read the channels' inbound items (by id)."""

    name = models.CharField(max_length=40, unique=True)
    last_item_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_item_id}"


class TeamRotation(models.Model):
    """Round-robin state of one team: who was assigned last."""

    team = models.OneToOneField("organisations.Team", on_delete=models.CASCADE, related_name="+")
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"rotation of team {self.team_id}"


class SlaPolicy(TimeStampedModel):
    """An agency's service levels: targets per priority in business minutes, opening hours
    per weekday (in the agency's time zone) and public holidays.

    ``hours`` is seven entries, Monday first: ["09:00", "17:00"] or null (closed). No
    hours at all means the clock runs around the clock. ``holidays`` is a list of
    {"date": "2026-12-25", "name": "…"}.
    """

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="sla_policy"
    )
    first_response_normal = models.PositiveIntegerField(_("first answer, normal (minutes)"),
                                                        default=480)
    first_response_high = models.PositiveIntegerField(_("first answer, high (minutes)"),
                                                      default=120)
    first_response_urgent = models.PositiveIntegerField(_("first answer, urgent (minutes)"),
                                                        default=30)
    resolution_normal = models.PositiveIntegerField(_("resolution, normal (minutes)"),
                                                    default=2400)
    resolution_high = models.PositiveIntegerField(_("resolution, high (minutes)"), default=960)
    resolution_urgent = models.PositiveIntegerField(_("resolution, urgent (minutes)"),
                                                    default=240)
    warn_percent = models.PositiveSmallIntegerField(_("warn at (per cent of the target)"),
                                                    default=80)
    hours = models.JSONField(default=list, blank=True)
    holidays = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return f"SLA of {self.organisation_id}"


class SlaAlert(models.Model):
    """One warning or escalation sent for a conversation: the unique pair makes it once."""

    class Kind(models.TextChoices):
        FIRST_WARNING = "first_warning", _("First answer due soon")
        FIRST_BREACH = "first_breach", _("First answer overdue")
        RESOLUTION_WARNING = "resolution_warning", _("Resolution due soon")
        RESOLUTION_BREACH = "resolution_breach", _("Resolution overdue")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="sla_alerts"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "kind"], name="inbox_sla_alert_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.conversation_id}"


class Rating(models.Model):
    """The citizen's rating of how a conversation was handled (1–5, optional comment).

    Kept per conversation, the organisation that resolved it and the responder who gave
    the last answer, so figures stay right after later transfers."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="rating"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    score = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5),
                                   name="inbox_rating_1_to_5")
        ]

    def __str__(self) -> str:
        return f"{self.score}/5 for {self.conversation_id}"


# The learned router, the topic classifier and staff corrections (kept in their own module).
from townsquare.inbox.learning_models import (  # noqa: E402, F401
    MessageCorrection,
    RoutingExample,
    TrainedClassifier,
)
