"""Routing rules and canned replies, kept by each organisation's administrators."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from townsquare.core.services import audit_record
from townsquare.core.text import validate_clean_text, validate_name
from townsquare.inbox.detection import split_keywords
from townsquare.inbox.models import CHANNEL_CHOICES, CannedReply, RoutingRule
from townsquare.inbox.rules import check_can_manage_inbox_settings
from townsquare.organisations.models import Organisation, Team, User


@transaction.atomic
def routing_rule_create(
    *, actor: User, organisation: Organisation, name: str, target_organisation: Organisation,
    target_team: Team | None = None, position: int = 100, keywords_en: str = "",
    keywords_ar: str = "", keywords_zh: str = "", channel: str = "", language: str = "",
    mark_high_priority: bool = False,
) -> RoutingRule:
    check_can_manage_inbox_settings(actor, organisation)
    validate_name(name.strip())
    for text in (keywords_en, keywords_ar, keywords_zh):
        validate_clean_text(text)
    if channel and channel not in dict(CHANNEL_CHOICES):
        raise ValidationError({"channel": _("Choose a channel from the list.")})
    if target_team is not None and target_team.organisation_id != target_organisation.pk:
        raise ValidationError({"target_team": _("That team belongs to another organisation.")})
    if not target_organisation.is_active:
        raise ValidationError({"target_organisation": _("This organisation is no longer active.")})
    if not any(split_keywords(v) for v in (keywords_en, keywords_ar, keywords_zh)) and not (
        channel or language
    ):
        raise ValidationError(
            _("Give the rule at least one keyword, a channel or a language: a rule without "
              "conditions would take every message.")
        )
    rule = RoutingRule.objects.create(
        organisation=organisation, name=name.strip(), position=position,
        keywords_en=keywords_en, keywords_ar=keywords_ar, keywords_zh=keywords_zh,
        channel=channel, language=language, target_organisation=target_organisation,
        target_team=target_team, mark_high_priority=mark_high_priority,
    )
    audit_record(actor=actor, action="routing_rule.create", organisation=organisation,
                 target=rule)
    return rule


@transaction.atomic
def routing_rule_delete(*, actor: User, rule: RoutingRule) -> None:
    check_can_manage_inbox_settings(actor, rule.organisation)
    audit_record(actor=actor, action="routing_rule.delete", organisation=rule.organisation,
                 target=rule)
    rule.delete()


@transaction.atomic
def canned_reply_create(
    *, actor: User, organisation: Organisation, title: str, text_en: str = "",
    text_ar: str = "", text_zh: str = "",
) -> CannedReply:
    check_can_manage_inbox_settings(actor, organisation)
    validate_name(title.strip())
    for text in (text_en, text_ar, text_zh):
        validate_clean_text(text)
    if not (text_en.strip() or text_ar.strip() or text_zh.strip()):
        raise ValidationError(_("Write the reply in at least one language."))
    try:
        with transaction.atomic():
            reply = CannedReply.objects.create(
                organisation=organisation, title=title.strip(), text_en=text_en.strip(),
                text_ar=text_ar.strip(), text_zh=text_zh.strip(),
            )
    except IntegrityError as exc:
        raise ValidationError({"title": _("A canned reply with this title exists.")}) from exc
    audit_record(actor=actor, action="canned_reply.create", organisation=organisation,
                 target=reply)
    return reply


@transaction.atomic
def canned_reply_delete(*, actor: User, reply: CannedReply) -> None:
    check_can_manage_inbox_settings(actor, reply.organisation)
    audit_record(actor=actor, action="canned_reply.delete", organisation=reply.organisation,
                 target=reply)
    reply.delete()
