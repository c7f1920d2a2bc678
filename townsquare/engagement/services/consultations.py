"""Staff writes of consultations: the document, its phases, seeded statements, themes and
the agency's response ("You said, we did"), and telling opted-in participants once.

Phases follow from the dates (see ``Consultation.phase``); staff move a consultation on by
changing the dates ("close comments now" sets the closing date to now).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from townsquare.core.services import audit_record
from townsquare.engagement.consultation_models import (
    MAX_STATEMENT,
    AgencyResponse,
    Consultation,
    ConsultationSection,
    ConsultationStatus,
    ModerationMode,
    ModerationState,
    OptInNotification,
    Phase,
    Statement,
    StatementOrigin,
    Theme,
)
from townsquare.engagement.rules import can_manage
from townsquare.engagement.services.builder import clean_translations, unique_slug
from townsquare.organisations.models import Organisation, User

CONSULTATION_FIELDS = ("title", "summary", "translations", "moderation", "comments_open_at",
                       "comments_close_at")


def check_manage_consultation(actor: User, organisation: Organisation) -> None:
    if not can_manage(actor, organisation):
        raise PermissionDenied(_("Only administrators and editors can change consultations."))


def _check_fields(title: str, moderation: str, opens: dt.datetime | None,
                  closes: dt.datetime | None) -> None:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("Give the consultation a title.")
    if moderation not in ModerationMode.values:
        errors["moderation"] = _("Choose pre- or post-moderation.")
    if opens is None:
        errors["comments_open_at"] = _("Give the date comments open.")
    if closes is None:
        errors["comments_close_at"] = _("Give the date comments close.")
    elif opens is not None and closes <= opens:
        errors["comments_close_at"] = _("Comments must close after they open.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def consultation_create(*, actor: User, organisation: Organisation, title: str,
                        comments_open_at: dt.datetime, comments_close_at: dt.datetime,
                        summary: str = "", moderation: str = ModerationMode.PRE,
                        translations: dict[str, dict[str, str]] | None = None) -> Consultation:
    check_manage_consultation(actor, organisation)
    _check_fields(title, moderation, comments_open_at, comments_close_at)
    consultation = Consultation.objects.create(
        organisation=organisation, slug=unique_slug(Consultation, title), title=title.strip(),
        summary=summary.strip(), moderation=moderation, comments_open_at=comments_open_at,
        comments_close_at=comments_close_at, created_by=actor,
        translations=clean_translations(translations, ("title", "summary")))
    audit_record(actor=actor, action="consultation.created", organisation=organisation,
                 target=consultation)
    return consultation


@transaction.atomic
def consultation_update(*, actor: User, consultation: Consultation, **changes: Any
                        ) -> Consultation:
    check_manage_consultation(actor, consultation.organisation)
    unknown = set(changes) - set(CONSULTATION_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if consultation.response_published_at is not None:
        raise ValidationError(_("The response is published: the consultation can no longer "
                                "be changed."))
    if "translations" in changes:
        changes["translations"] = clean_translations(changes["translations"],
                                                     ("title", "summary"))
    for name, value in changes.items():
        setattr(consultation, name, value.strip() if isinstance(value, str) else value)
    _check_fields(consultation.title, consultation.moderation, consultation.comments_open_at,
                  consultation.comments_close_at)
    consultation.save()
    audit_record(actor=actor, action="consultation.updated",
                 organisation=consultation.organisation, target=consultation,
                 details={"fields": sorted(changes)})
    return consultation


@transaction.atomic
def consultation_publish(*, actor: User, consultation: Consultation) -> Consultation:
    check_manage_consultation(actor, consultation.organisation)
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if consultation.status != ConsultationStatus.DRAFT:
        raise ValidationError(_("Only a draft can be published."))
    if not consultation.sections.exists():
        raise ValidationError(_("Add at least one section of the document first."))
    consultation.status = ConsultationStatus.PUBLISHED
    consultation.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="consultation.published",
                 organisation=consultation.organisation, target=consultation)
    return consultation


@transaction.atomic
def consultation_close_comments(*, actor: User, consultation: Consultation,
                                now: dt.datetime | None = None) -> Consultation:
    """Ends the comment phase now (the analysis phase starts)."""
    check_manage_consultation(actor, consultation.organisation)
    now = now or timezone.now()
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if not consultation.is_open_for_comment(now):
        raise ValidationError(_("The consultation is not open for comment."))
    consultation.comments_close_at = now
    consultation.save(update_fields=["comments_close_at", "updated_at"])
    audit_record(actor=actor, action="consultation.comments_closed",
                 organisation=consultation.organisation, target=consultation)
    return consultation


@transaction.atomic
def consultation_section_save(*, actor: User, consultation: Consultation, title: str,
                              body: str, translations: dict[str, dict[str, str]] | None = None,
                              section: ConsultationSection | None = None
                              ) -> ConsultationSection:
    """Adds a section at the end, or changes ``section``. Only before comments open, so
    every comment was written about the text as it stands."""
    check_manage_consultation(actor, consultation.organisation)
    if section is not None and section.consultation_id != consultation.pk:
        raise PermissionDenied
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if (consultation.status == ConsultationStatus.PUBLISHED
            and consultation.phase() != Phase.INFORMATION):
        raise ValidationError(_("The document can be changed only before comments open."))
    errors = {}
    if not title.strip():
        errors["title"] = _("Give the section a title.")
    if not body.strip():
        errors["body"] = _("Write the text of the section.")
    if errors:
        raise ValidationError(errors)
    cleaned = clean_translations(translations, ("title", "body"))
    if section is None:
        last = consultation.sections.aggregate(m=Max("position"))["m"]
        section = ConsultationSection.objects.create(
            consultation=consultation, title=title.strip(), body=body.strip(),
            translations=cleaned, position=0 if last is None else last + 1)
        action = "consultation.section_added"
    else:
        section.title, section.body, section.translations = title.strip(), body.strip(), cleaned
        section.save()
        action = "consultation.section_changed"
    audit_record(actor=actor, action=action, organisation=consultation.organisation,
                 target=consultation, details={"section": section.pk})
    return section


@transaction.atomic
def statement_seed(*, actor: User, consultation: Consultation, text: str,
                   translations: dict[str, dict[str, str]] | None = None) -> Statement:
    """A statement written by staff: published at once."""
    check_manage_consultation(actor, consultation.organisation)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the statement.")})
    if len(text) > MAX_STATEMENT:
        raise ValidationError({"text": _("A statement has at most %(max)s characters.")
                               % {"max": MAX_STATEMENT}})
    statement = Statement.objects.create(
        consultation=consultation, text=text, origin=StatementOrigin.STAFF,
        state=ModerationState.PUBLISHED, translations=clean_translations(translations, ("text",)))
    audit_record(actor=actor, action="consultation.statement_seeded",
                 organisation=consultation.organisation, target=consultation,
                 details={"statement": statement.pk})
    return statement


@transaction.atomic
def theme_save(*, actor: User, consultation: Consultation, title: str, said: str,
               did: str = "", translations: dict[str, dict[str, str]] | None = None,
               theme: Theme | None = None) -> Theme:
    """A theme raised ("You said") and, when given, the agency's response ("we did")."""
    check_manage_consultation(actor, consultation.organisation)
    if theme is not None and theme.consultation_id != consultation.pk:
        raise PermissionDenied
    if consultation.response_published_at is not None:
        raise ValidationError(_("The response is already published."))
    errors = {}
    if not title.strip():
        errors["title"] = _("Name the theme.")
    if not said.strip():
        errors["said"] = _("Summarise what people said.")
    if errors:
        raise ValidationError(errors)
    all_translations = translations or {}
    theme_translations = clean_translations(all_translations, ("title", "said"))
    if theme is None:
        last = consultation.themes.aggregate(m=Max("position"))["m"]
        theme = Theme.objects.create(consultation=consultation, title=title.strip(),
                                     said=said.strip(), translations=theme_translations,
                                     position=0 if last is None else last + 1)
    else:
        theme.title, theme.said, theme.translations = title.strip(), said.strip(), \
            theme_translations
        theme.save()
    if did.strip():
        AgencyResponse.objects.update_or_create(theme=theme, defaults={
            "did": did.strip(), "written_by": actor,
            "translations": clean_translations(all_translations, ("did",))})
    else:
        AgencyResponse.objects.filter(theme=theme).delete()
    audit_record(actor=actor, action="consultation.theme_saved",
                 organisation=consultation.organisation, target=consultation,
                 details={"theme": theme.pk, "answered": bool(did.strip())})
    return theme


@transaction.atomic
def consultation_response_publish(*, actor: User, consultation: Consultation,
                                  summary: str = "", now: dt.datetime | None = None
                                  ) -> Consultation:
    """Publishes "You said, we did"; opted-in participants are emailed after commit."""
    check_manage_consultation(actor, consultation.organisation)
    now = now or timezone.now()
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if consultation.response_published_at is not None:
        raise ValidationError(_("The response is already published."))
    if consultation.status != ConsultationStatus.PUBLISHED or now < consultation.comments_close_at:
        raise ValidationError(_("The response can be published once comments have closed."))
    themes = list(consultation.themes.select_related("response"))
    if not themes or any(not hasattr(t, "response") for t in themes):
        raise ValidationError(_("Give the agency's response to every theme first."))
    consultation.response_published_at = now
    consultation.response_summary = summary.strip()[:4000]
    consultation.save(update_fields=["response_published_at", "response_summary",
                                     "updated_at"])
    audit_record(actor=actor, action="consultation.response_published",
                 organisation=consultation.organisation, target=consultation,
                 details={"themes": len(themes)})
    from townsquare.engagement.tasks import notify_consultation_response

    pk = consultation.pk
    transaction.on_commit(lambda: notify_consultation_response(pk))
    return consultation


def consultation_notify_participants(*, consultation_id: int, site_url: str = "") -> int:
    """Emails every opted-in participant not told yet; each one at most once, even when
    the task runs twice (the row is claimed before the email goes)."""
    from django.conf import settings

    consultation = Consultation.objects.filter(pk=consultation_id).first()
    if consultation is None or consultation.response_published_at is None:
        return 0
    link = (site_url or settings.SITE_URL).rstrip("/") + reverse(
        "engagement_public:consultation", args=[consultation.slug])
    sent = 0
    for opt_in in consultation.opt_ins.filter(notified_at__isnull=True).order_by("pk"):
        claimed = OptInNotification.objects.filter(
            pk=opt_in.pk, notified_at__isnull=True).update(notified_at=timezone.now())
        if not claimed:
            continue
        with translation.override(opt_in.language):
            subject = _("The response to “%(title)s” is published") % {
                "title": consultation.localised("title")}
            body = _("Thank you for taking part. The agency has published what it heard and "
                     "what it will do: %(link)s\n\nYou asked to be told once; you will not "
                     "get other emails about this consultation.") % {"link": link}
        send_mail(subject, body, None, [opt_in.email])
        sent += 1
    return sent
