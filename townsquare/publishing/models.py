"""Posts written once, their language versions, per-account variants, approvals and schedule.

A Post is the unit of approval and scheduling. It has one LanguageVersion per language
(English, Arabic, Chinese), each with its own text, media and the accounts that publish
that language. Each (language version, account) pair has a Variant: the text fitted to
that network (one part, or several for a thread), and the record of publishing it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from townsquare.core.models import TimeStampedModel

LANGUAGE_CHOICES = [("en", _("English")), ("ar", _("Arabic")), ("zh-hans", _("Chinese"))]


class PostState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHING = "publishing", _("Publishing")
    PUBLISHED = "published", _("Published")
    PARTLY_FAILED = "partly_failed", _("Partly failed")
    FAILED = "failed", _("Failed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# States in which the text may still change without touching any network.
EDITABLE_STATES = (PostState.DRAFT, PostState.IN_REVIEW, PostState.APPROVED, PostState.SCHEDULED)
# States in which something has gone out (edits and deletes must propagate).
OUT_STATES = (PostState.PUBLISHED, PostState.PARTLY_FAILED, PostState.PUBLISHING)


class VariantState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    RETRYING = "retrying", _("Will retry")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    DELETED = "deleted", _("Deleted")


class RemoteChange(models.TextChoices):
    """How far an edit or a deletion of an already published variant got."""

    NONE = "", _("Nothing to do")
    PENDING = "pending", _("Waiting to be sent")
    DONE = "done", _("Done")
    NOT_SUPPORTED = "not_supported", _("Not possible on this network")
    FAILED = "failed", _("Failed")


class Campaign(TimeStampedModel):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="campaigns"
    )
    name = models.CharField(_("name"), max_length=120)
    tag = models.SlugField(_("tag"), max_length=60)
    description = models.TextField(_("description"), blank=True, max_length=1000)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "tag"], name="campaign_unique_tag")
        ]

    def __str__(self) -> str:
        return self.name


class PostTemplate(TimeStampedModel):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="post_templates"
    )
    name = models.CharField(_("name"), max_length=120)
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES)
    text = models.TextField(_("text"), max_length=10_000)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SavedHashtag(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="saved_hashtags"
    )
    tag = models.CharField(_("hashtag"), max_length=100)

    class Meta:
        ordering = ["tag"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "tag"], name="hashtag_unique")
        ]

    def __str__(self) -> str:
        return f"#{self.tag}"


class AvoidWord(models.Model):
    """A word or phrase an agency asks its writers to avoid (the checker flags it)."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="avoid_words"
    )
    word = models.CharField(_("word to avoid"), max_length=100)

    class Meta:
        ordering = ["word"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "word"], name="avoid_word_unique")
        ]

    def __str__(self) -> str:
        return self.word


class ApprovalPolicy(TimeStampedModel):
    """How many approvals a post of this organisation needs, and who may give them."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="approval_policy"
    )
    levels = models.PositiveSmallIntegerField(
        _("approval levels"), choices=[(0, _("None")), (1, _("One")), (2, _("Two"))], default=1
    )
    level_one_roles = models.JSONField(default=list)
    level_two_roles = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(levels__lte=2), name="policy_levels_max_2")
        ]

    def __str__(self) -> str:
        return f"approval policy of organisation {self.organisation_id}"


class Post(TimeStampedModel):
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="posts",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="authored_posts",
    )
    title = models.CharField(_("working title"), max_length=200)
    state = models.CharField(
        _("state"), max_length=20, choices=PostState.choices, default=PostState.DRAFT
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts",
    )
    # Bumped by every change of text, media or accounts; approvals record the version
    # they approved and publishing refuses anything else.
    content_version = models.PositiveIntegerField(default=1)
    approved_version = models.PositiveIntegerField(null=True, blank=True)
    # Emergency: published at once by a named role, reviewed afterwards.
    emergency = models.BooleanField(_("emergency"), default=False)
    emergency_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    emergency_reason = models.CharField(_("reason"), max_length=300, blank=True)
    reviewed_after_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_after_at = models.DateTimeField(null=True, blank=True)
    # The schedule as the author chose it (local wall time in the organisation's zone, and
    # which of two repeated times when clocks go back), and the instant it resolves to.
    scheduled_date = models.DateField(null=True, blank=True)
    scheduled_time = models.TimeField(null=True, blank=True)
    scheduled_fold = models.PositiveSmallIntegerField(default=0)
    scheduled_time_zone = models.CharField(max_length=64, blank=True)
    scheduled_at = models.DateTimeField(_("publish at"), null=True, blank=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    plain_language_score = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "scheduled_at"])]
        verbose_name = _("post")
        verbose_name_plural = _("posts")

    def __str__(self) -> str:
        return self.title


class LanguageVersion(TimeStampedModel):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="versions")
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES)
    text = models.TextField(_("text"), max_length=10_000)
    accounts = models.ManyToManyField(
        "channels.Account", verbose_name=_("accounts"), related_name="+", blank=True
    )
    media = models.ManyToManyField(
        "media.MediaAsset", verbose_name=_("media"), related_name="+", blank=True
    )

    class Meta:
        ordering = ["post", "language"]
        constraints = [
            models.UniqueConstraint(fields=["post", "language"], name="version_unique_language")
        ]

    def __str__(self) -> str:
        return f"{self.post} [{self.language}]"


class Variant(TimeStampedModel):
    """What one account publishes of one language version, and how publishing went."""

    version = models.ForeignKey(LanguageVersion, on_delete=models.CASCADE, related_name="variants")
    account = models.ForeignKey(
        "channels.Account", on_delete=models.PROTECT, related_name="publishing_variants"
    )
    parts = models.JSONField(default=list)
    edited = models.BooleanField(default=False)
    # The language version's text changed after a person edited this variant by hand.
    source_changed = models.BooleanField(default=False)
    fit_problems = models.JSONField(default=list, blank=True)
    state = models.CharField(
        max_length=20, choices=VariantState.choices, default=VariantState.PENDING
    )
    content_version = models.PositiveIntegerField(default=1)
    idempotency_key = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    remote_ids = models.JSONField(default=list, blank=True)
    remote_url = models.URLField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    remote_change = models.CharField(max_length=20, choices=RemoteChange.choices, blank=True)
    remote_change_kind = models.CharField(max_length=10, blank=True)  # "edit" | "delete"
    remote_change_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["version", "account"]
        constraints = [
            models.UniqueConstraint(fields=["version", "account"], name="variant_unique_account")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"variant {self.pk} of {self.version}"

    @property
    def text(self) -> str:
        return "\n\n".join(self.parts)


class Approval(models.Model):
    """One approval of one version of a post at one level; at most one per level."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approvals")
    level = models.PositiveSmallIntegerField()
    content_version = models.PositiveIntegerField()
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["post", "content_version", "level"]
        constraints = [
            # Per content version so an edit sent back to review can be approved again
            # while the history of earlier approvals is kept.
            models.UniqueConstraint(
                fields=["post", "content_version", "level"], name="approval_unique_level"
            )
        ]

    def __str__(self) -> str:
        return f"approval L{self.level} of post {self.post_id} v{self.content_version}"


class CommentKind(models.TextChoices):
    COMMENT = "comment", _("Comment")
    CHANGE_REQUEST = "change_request", _("Change request")


class Comment(TimeStampedModel):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=CommentKind.choices, default=CommentKind.COMMENT)
    text = models.TextField(_("comment"), max_length=4000)
    content_version = models.PositiveIntegerField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment {self.pk} on post {self.post_id}"
