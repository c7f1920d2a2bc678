"""E-consultations: a proposal published as a document with sections, comments, support,
formal responses, opinion statements, moderation and "You said, we did".

Phases follow from the dates (so they change on time without a job): information before
comments open, open for comment between the two dates, analysis after that, and response
published once the agency publishes its response to the themes raised.

Citizens are never users. A participant proves an email address with a one-time code;
the database keeps a keyed hash of it (``key``) and of the session secret in their cookie,
never the address itself (only opt-in notifications keep an address, to send the email).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.models import TimeStampedModel
from townsquare.organisations.models import TranslatedMixin

__all__ = [
    "MAX_COMMENT", "MAX_FORMAL_RESPONSE", "MAX_STATEMENT", "AgencyResponse", "Comment",
    "Consultation", "ConsultationSection", "ConsultationStatus", "FormalResponse",
    "ModerationDecision", "ModerationMode", "ModerationState", "OptInNotification",
    "Participant", "Phase", "Statement", "StatementOrigin", "StatementVote", "Support",
    "Theme", "VoteChoice",
]

MAX_COMMENT = 5000
MAX_STATEMENT = 280
MAX_FORMAL_RESPONSE = 20000


class ConsultationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Phase(models.TextChoices):
    INFORMATION = "information", _("Information")
    OPEN = "open", _("Open for comment")
    ANALYSIS = "analysis", _("Analysis")
    RESPONSE = "response", _("Response published")


class ModerationMode(models.TextChoices):
    PRE = "pre", _("Pre-moderation: comments appear once approved")
    POST = "post", _("Post-moderation: comments appear at once, staff review them after")


class ModerationState(models.TextChoices):
    PENDING = "pending", _("Waiting for moderation")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Not published")


class Consultation(TranslatedMixin, TimeStampedModel):
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="consultations", verbose_name=_("organisation"))
    slug = models.SlugField(_("address name"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=4000, blank=True)
    translations = models.JSONField(_("translations"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ConsultationStatus.choices,
                              default=ConsultationStatus.DRAFT)
    moderation = models.CharField(_("moderation"), max_length=8, choices=ModerationMode.choices,
                                  default=ModerationMode.PRE)
    comments_open_at = models.DateTimeField(_("comments open"))
    comments_close_at = models.DateTimeField(_("comments close"))
    response_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    response_summary = models.TextField(_("response summary"), max_length=4000, blank=True)
    is_demo = models.BooleanField(default=False, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = [models.CheckConstraint(
            condition=Q(comments_close_at__gt=models.F("comments_open_at")),
            name="engagement_consultation_dates_in_order")]

    def __str__(self) -> str:
        return self.localised("title")

    def phase(self, now: dt.datetime | None = None) -> str:
        now = now or timezone.now()
        if self.response_published_at is not None:
            return Phase.RESPONSE
        if now < self.comments_open_at:
            return Phase.INFORMATION
        if now < self.comments_close_at:
            return Phase.OPEN
        return Phase.ANALYSIS

    def phase_label(self) -> str:
        return str(Phase(self.phase()).label)

    def is_open_for_comment(self, now: dt.datetime | None = None) -> bool:
        return self.status == ConsultationStatus.PUBLISHED and self.phase(now) == Phase.OPEN


class ConsultationSection(TranslatedMixin, models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE,
                                     related_name="sections")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=20000)
    translations = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.localised("title")

    @property
    def local_body(self) -> str:
        return self.localised("body")


class Participant(TimeStampedModel):
    """A citizen who proved an email address for this consultation."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE,
                                     related_name="participants")
    key = models.CharField(max_length=64)  # keyed hash of the address
    session_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    organisation_name = models.CharField(max_length=200, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consultation", "key"],
                                               name="engagement_one_participant_per_address")]

    def __str__(self) -> str:
        return self.name


class Comment(TimeStampedModel):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE,
                                     related_name="comments")
    # Empty: a comment on the proposal as a whole.
    section = models.ForeignKey(ConsultationSection, null=True, blank=True,
                                on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="replies")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="comments")
    author_name = models.CharField(max_length=100)
    organisation_name = models.CharField(max_length=200, blank=True)
    body = models.TextField(max_length=MAX_COMMENT)
    state = models.CharField(max_length=10, choices=ModerationState.choices,
                             default=ModerationState.PENDING, db_index=True)
    # What detection found (spam, abuse); such comments always wait for a moderator.
    flags = models.JSONField(default=list, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.consultation_id}#{self.pk}"

    @property
    def as_organisation(self) -> bool:
        return bool(self.organisation_name)


class Support(models.Model):
    """Support (+1) or opposition (-1) from one person for one comment or one section."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE,
                                     related_name="supports")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="supports")
    section = models.ForeignKey(ConsultationSection, null=True, blank=True,
                                on_delete=models.CASCADE, related_name="supports")
    voter_key = models.CharField(max_length=64)
    stance = models.SmallIntegerField()
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(comment__isnull=False, section__isnull=True)
                           | Q(comment__isnull=True, section__isnull=False)),
                name="engagement_support_one_target"),
            models.CheckConstraint(condition=Q(stance__in=[-1, 1]),
                                   name="engagement_support_stance"),
            models.UniqueConstraint(fields=["comment", "voter_key"],
                                    condition=Q(comment__isnull=False),
                                    name="engagement_one_support_per_comment"),
            models.UniqueConstraint(fields=["section", "voter_key"],
                                    condition=Q(section__isnull=False),
                                    name="engagement_one_support_per_section"),
        ]

    def __str__(self) -> str:
        return f"{self.comment_id or self.section_id}:{self.stance}"


class FormalResponse(TimeStampedModel):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE,
                                     related_name="formal_responses")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="formal_responses")
    author_name = models.CharField(max_length=100)
    organisation_name = models.CharField(max_length=200, blank=True)
    body = models.TextField(max_length=MAX_FORMAL_RESPONSE)
    attachment_sha256 = models.CharField(max_length=64, blank=True)
    attachment_type = models.CharField(max_length=40, blank=True)
    attachment_name = models.CharField(max_length=255, blank=True)
    attachment_size = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(
            fields=["consultation", "participant"],
            name="engagement_one_formal_response_per_person")]

    def __str__(self) -> str:
        return f"{self.consultation_id}/formal#{self.pk}"


class ModerationDecision(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(max_length=10, choices=ModerationState.choices)
    reason = models.CharField(_("reason shown to the author"), max_length=500, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    appeal_text = models.TextField(max_length=2000, blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)
    appeal_upheld = models.BooleanField(null=True)  # True: the decision stands
    appeal_reason = models.CharField(max_length=500, blank=True)
    appeal_decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+")
    appeal_decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.comment_id}:{self.outcome}"


class Theme(TranslatedMixin, models.Model):
    """A theme raised in the comments ("You said"), with the agency's response ("we did")."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE,
                                     related_name="themes")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(_("theme"), max_length=200)
    said = models.TextField(_("what people said"), max_length=4000)
    translations = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.localised("title")

    @property
    def local_said(self) -> str:
        return self.localised("said")


class AgencyResponse(TranslatedMixin, TimeStampedModel):
    theme = models.OneToOneField(Theme, on_delete=models.CASCADE, related_name="response")
    did = models.TextField(_("what we did"), max_length=4000)
    translations = models.JSONField(default=dict, blank=True)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"{self.theme_id}"

    @property
    def local_did(self) -> str:
        return self.localised("did")


class OptInNotification(models.Model):
    """A participant who asked to be told by email when the response is published."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE,
                                     related_name="opt_ins")
    key = models.CharField(max_length=64)
    email = models.EmailField()
    language = models.CharField(max_length=10, default="en")
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consultation", "key"],
                                               name="engagement_one_opt_in_per_address")]

    def __str__(self) -> str:
        return f"{self.consultation_id}:{self.pk}"


class StatementOrigin(models.TextChoices):
    STAFF = "staff", _("Seeded by staff")
    CITIZEN = "citizen", _("Submitted by a participant")


class Statement(TranslatedMixin, models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE,
                                     related_name="statements")
    text = models.CharField(_("statement"), max_length=MAX_STATEMENT)
    translations = models.JSONField(default=dict, blank=True)
    origin = models.CharField(max_length=8, choices=StatementOrigin.choices)
    state = models.CharField(max_length=10, choices=ModerationState.choices,
                             default=ModerationState.PENDING, db_index=True)
    participant = models.ForeignKey(Participant, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="statements")
    flags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.localised("text")


class VoteChoice(models.IntegerChoices):
    AGREE = 1, _("Agree")
    PASS = 0, _("Pass / unsure")
    DISAGREE = -1, _("Disagree")


class StatementVote(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="votes")
    # Denormalised so the analysis reads one consultation's votes in one filter.
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE,
                                     related_name="statement_votes")
    voter_key = models.CharField(max_length=64)
    vote = models.SmallIntegerField(choices=VoteChoice.choices)
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["statement", "voter_key"],
                                    name="engagement_one_statement_vote_per_person"),
            models.CheckConstraint(condition=Q(vote__in=[-1, 0, 1]),
                                   name="engagement_statement_vote_value"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}:{self.vote}"
