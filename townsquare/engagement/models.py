"""Surveys (sections, questions, choices, responses, answers) and quick polls.

Text shown to citizens is stored in the installation's default language in the plain
field, with Arabic and Chinese versions in ``translations`` (``TranslatedMixin``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.models import TimeStampedModel
from townsquare.organisations.models import TranslatedMixin

MAX_TEXT_ANSWER = 4000


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


class RespondentMode(models.TextChoices):
    ANONYMOUS = "anonymous", _("Anonymous")
    VERIFIED = "verified", _("Verified by email code")
    # A code texted to a mobile number through the organisation's SMS account (engagement.sms).
    VERIFIED_SMS = "verified_sms", _("Verified by SMS code")
    # Anyone signed in to the installation (a citizen account or staff sign-in).
    ACCOUNT = "account", _("Signed-in account")


class TemplateKind(models.TextChoices):
    CUSTOM = "custom", _("Custom")
    SATISFACTION = "satisfaction", _("Citizen satisfaction")
    IMPACT = "impact", _("Social media impact")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    LIKERT = "likert", _("Likert scale")
    MATRIX = "matrix", _("Matrix")
    RANKING = "ranking", _("Ranking")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    TEXT = "text", _("Free text")
    FILE = "file", _("File upload")
    LOCATION = "location", _("Location")


CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.LIKERT,
                          QuestionKind.MATRIX, QuestionKind.RANKING})


class Segment(models.TextChoices):
    """Respondent attributes results can be broken down by."""

    NONE = "", _("None")
    REGION = "region", _("Region")
    AGE_BAND = "age_band", _("Age band")


class Channel(models.TextChoices):
    WEB = "web", _("Website")
    EMBED = "embed", _("Embedded form")
    PAPER = "paper", _("Paper (entered by staff)")


class OpenWindowMixin:
    status: str
    opens_at: object
    closes_at: object

    def is_open(self, now: Any = None) -> bool:
        """Published, and inside its dates (when it has any)."""
        now = now or timezone.now()
        if self.status != Status.PUBLISHED:
            return False
        if self.opens_at is not None and now < self.opens_at:
            return False
        return not (self.closes_at is not None and now >= self.closes_at)


class Survey(OpenWindowMixin, TranslatedMixin, TimeStampedModel):
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="surveys", verbose_name=_("organisation"))
    slug = models.SlugField(_("address name"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), max_length=4000, blank=True)
    translations = models.JSONField(_("translations"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.DRAFT)
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    respondent_mode = models.CharField(_("respondents"), max_length=12,
                                       choices=RespondentMode.choices,
                                       default=RespondentMode.ANONYMOUS)
    template_kind = models.CharField(_("kind"), max_length=20, choices=TemplateKind.choices,
                                     default=TemplateKind.CUSTOM)
    is_demo = models.BooleanField(default=False, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return self.localised("title")


class Section(TranslatedMixin, models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(_("title"), max_length=200)
    translations = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.localised("title")


class Question(TranslatedMixin, models.Model):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    # Denormalised so a question is always loaded with its survey's boundary in one filter.
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    # Stable name used by skip logic, templates and the CSV export.
    key = models.SlugField(_("short name"), max_length=40)
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("type"), max_length=12, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=500)
    help = models.CharField(_("hint"), max_length=500, blank=True)
    translations = models.JSONField(default=dict, blank=True)
    required = models.BooleanField(_("required"), default=False)
    min_value = models.FloatField(_("minimum"), null=True, blank=True)
    max_value = models.FloatField(_("maximum"), null=True, blank=True)
    max_length = models.PositiveIntegerField(_("maximum length"), default=1000)
    # Shown only when this condition on earlier answers holds (see engagement.logic).
    condition = models.JSONField(_("show only when"), null=True, blank=True)
    segment = models.CharField(_("records the respondent's"), max_length=12, blank=True,
                               choices=Segment.choices, default=Segment.NONE)
    # File questions (see engagement.uploads): the accepted types, empty meaning all of
    # PDF, JPEG and PNG, and this question's size limit (never above the installation's).
    upload_types = models.JSONField(_("accepted file types"), default=list, blank=True)
    upload_max_bytes = models.PositiveIntegerField(_("largest file"), null=True, blank=True)

    class Meta:
        ordering = ["section__position", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["survey", "key"],
                                               name="engagement_question_unique_key")]

    def __str__(self) -> str:
        return self.localised("text")


class ChoiceRole(models.TextChoices):
    OPTION = "option", _("Option")
    ROW = "row", _("Matrix row")


class Choice(TranslatedMixin, models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    role = models.CharField(max_length=8, choices=ChoiceRole.choices, default=ChoiceRole.OPTION)
    value = models.SlugField(max_length=40)
    label = models.CharField(_("label"), max_length=200)
    position = models.PositiveIntegerField(default=0)
    translations = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["question", "role", "value"],
                                               name="engagement_choice_unique_value")]

    def __str__(self) -> str:
        return self.localised("label")


class Response(TimeStampedModel):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    # Verified respondents: a keyed hash of their email address or mobile number, or of
    # their account id (never the address, number or id itself).
    respondent_key = models.CharField(max_length=64, blank=True, default="")
    # The secret in the respondent's resume cookie (stored hashed).
    resume_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    is_paper = models.BooleanField(default=False)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    furthest_section = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    region = models.CharField(max_length=40, blank=True)
    age_band = models.CharField(max_length=40, blank=True)
    is_demo = models.BooleanField(default=False)
    # For the organiser's anomaly report: a keyed hash of the network address (per survey,
    # never the address itself) and the domain of a verified email address.
    address_key = models.CharField(max_length=64, blank=True, default="")
    email_domain = models.CharField(max_length=253, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One response per verified person, whatever races the web tier lets through.
            models.UniqueConstraint(fields=["survey", "respondent_key"],
                                    condition=~Q(respondent_key=""),
                                    name="engagement_one_response_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}#{self.pk}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    # Choice values (list), a matrix {row: column}, a number, an ISO date or text.
    value = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "question"],
                                               name="engagement_one_answer_per_question")]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}"


class Poll(OpenWindowMixin, TranslatedMixin, TimeStampedModel):
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="polls", verbose_name=_("organisation"))
    slug = models.SlugField(_("address name"), max_length=80, unique=True)
    question = models.CharField(_("question"), max_length=300)
    translations = models.JSONField(_("translations"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.DRAFT)
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    is_demo = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.localised("question")


class PollChoice(TranslatedMixin, models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="choices")
    label = models.CharField(_("label"), max_length=200)
    position = models.PositiveIntegerField(default=0)
    translations = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.localised("label")


class Vote(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    choice = models.ForeignKey(PollChoice, on_delete=models.CASCADE, related_name="votes")
    # A keyed hash of the voter's browser token.
    voter_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    is_demo = models.BooleanField(default=False)
    # A keyed hash of the network address (per poll), for the anomaly report.
    address_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "voter_key"],
                                               name="engagement_one_vote_per_person")]

    def __str__(self) -> str:
        return f"{self.poll_id}/{self.choice_id}"


from townsquare.engagement.consultation_models import *  # noqa: E402,F403 (one models module for Django)
