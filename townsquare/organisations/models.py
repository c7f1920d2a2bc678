"""The government tree, teams, staff users and their roles."""

from __future__ import annotations

from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from townsquare.core.models import TimeStampedModel


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    EDITOR = "editor", _("Editor")
    APPROVER = "approver", _("Approver")
    RESPONDER = "responder", _("Responder")
    ANALYST = "analyst", _("Analyst")
    RECORDS_OFFICER = "records_officer", _("Records officer")


class OrganisationKind(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    MINISTRY = "ministry", _("Ministry")
    DEPARTMENT = "department", _("Department")
    AGENCY = "agency", _("Agency")
    OFFICE = "office", _("Office")
    NGO = "ngo", _("Civil-society partner")


class TranslatedMixin:
    """Reads ``<field>`` in the active language from ``translations`` with a fallback.

    ``translations`` is ``{"ar": {"name": "..."}, "zh-hans": {"name": "..."}}``; the
    plain field holds the text in the installation's default language.
    """

    translations: dict[str, dict[str, str]]

    def localised(self, field: str, language: str | None = None) -> str:
        language = language or get_language() or settings.LANGUAGE_CODE
        value = (self.translations or {}).get(language, {}).get(field)
        return value or str(getattr(self, field))


class User(AbstractUser):
    """A staff member. Citizens never have a User; they are contacts of the inbox."""

    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=settings.TIME_ZONE, validators=[validate_time_zone]
    )
    current_organisation = models.ForeignKey(
        "Organisation",
        verbose_name=_("working in"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Organisation(TranslatedMixin, TimeStampedModel):
    """A node of the government tree, or a civil-society partner."""

    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    slug = models.SlugField(_("address name"), max_length=80, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path ("/1/4/9/") so subtree queries are one indexed LIKE on any database.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="/")
    description = models.TextField(_("description"), blank=True, max_length=2000)
    website = models.URLField(_("website"), blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=settings.TIME_ZONE, validators=[validate_time_zone]
    )
    default_language = models.CharField(
        _("default language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    # The whole-of-government communications office: its staff see every agency.
    sees_all_organisations = models.BooleanField(_("sees every organisation"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.localised("name")

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    @property
    def is_partner(self) -> bool:
        return self.kind == OrganisationKind.NGO


class Team(TranslatedMixin, TimeStampedModel):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="teams"
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=1000)
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="team_unique_name")
        ]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.localised("name")


class Membership(TimeStampedModel):
    """One role a user holds in one organisation (a user may hold several)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["organisation__path", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            )
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"
