"""Moderation of consultation comments and citizens' statements, with reasons and appeals.

Every decision on a comment is a ``ModerationDecision`` row: the reason is shown to the
author on the consultation page; the author may appeal once, and a moderator decides the
appeal (the decision stands, or is overturned and the comment's state flips). Every staff
step is audited.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.core.services import audit_record
from townsquare.core.text import storable
from townsquare.engagement.consultation_models import (
    Comment,
    ModerationDecision,
    ModerationState,
    Participant,
    Statement,
)
from townsquare.engagement.services.consultations import check_manage_consultation
from townsquare.organisations.models import User

OUTCOMES = (ModerationState.PUBLISHED, ModerationState.REJECTED)


def _reason(reason: str, outcome: str) -> str:
    reason = storable(reason or "").strip()
    if outcome == ModerationState.REJECTED and not reason:
        raise ValidationError({"reason": _("Give the reason shown to the author.")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("Use at most 500 characters.")})
    return reason


@transaction.atomic
def comment_moderate(*, actor: User, comment: Comment, outcome: str, reason: str = "",
                     now: dt.datetime | None = None) -> ModerationDecision:
    """Publish or reject a comment (pending, or already published under post-moderation)."""
    check_manage_consultation(actor, comment.consultation.organisation)
    if outcome not in OUTCOMES:
        raise ValidationError(_("Choose publish or reject."))
    reason = _reason(reason, outcome)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if comment.state == outcome:
        raise ValidationError(_("The comment is already in that state."))
    comment.state = outcome
    comment.save(update_fields=["state", "updated_at"])
    decision = ModerationDecision.objects.create(comment=comment, outcome=outcome,
                                                 reason=reason, decided_by=actor,
                                                 decided_at=now or timezone.now())
    audit_record(actor=actor, action=f"consultation.comment_{outcome}",
                 organisation=comment.consultation.organisation, target=comment.consultation,
                 details={"comment": comment.pk, "decision": decision.pk, "reason": reason,
                          "flags": comment.flags})
    return decision


@transaction.atomic
def comment_appeal(*, participant: Participant, decision_id: object, text: str,
                   now: dt.datetime | None = None) -> ModerationDecision:
    """The author asks for a rejection to be looked at again (once per decision)."""
    try:
        decision = ModerationDecision.objects.select_for_update().select_related(
            "comment").get(pk=int(str(decision_id)), comment__participant=participant)
    except (ModerationDecision.DoesNotExist, ValueError) as exc:
        raise ValidationError(_("That decision is not available.")) from exc
    if decision.outcome != ModerationState.REJECTED:
        raise ValidationError(_("Only a decision not to publish can be appealed."))
    if decision.appealed_at is not None:
        raise ValidationError(_("You have already appealed this decision."))
    if decision.comment.decisions.exclude(pk=decision.pk).filter(
            decided_at__gt=decision.decided_at).exists():
        raise ValidationError(_("This decision has been replaced by a newer one."))
    text = storable(text or "").strip()
    if not text:
        raise ValidationError({"appeal": _("Say why the comment should be published.")})
    if len(text) > 2000:
        raise ValidationError({"appeal": _("Use at most 2000 characters.")})
    decision.appeal_text, decision.appealed_at = text, now or timezone.now()
    decision.save(update_fields=["appeal_text", "appealed_at"])
    return decision


@transaction.atomic
def appeal_decide(*, actor: User, decision: ModerationDecision, upheld: bool, reason: str,
                  now: dt.datetime | None = None) -> ModerationDecision:
    """Upheld: the comment stays unpublished. Overturned: it is published."""
    comment = decision.comment
    check_manage_consultation(actor, comment.consultation.organisation)
    decision = ModerationDecision.objects.select_for_update().get(pk=decision.pk)
    if decision.appealed_at is None:
        raise ValidationError(_("There is no appeal to decide."))
    if decision.appeal_upheld is not None:
        raise ValidationError(_("The appeal has already been decided."))
    if decision.decided_by_id == actor.pk and not actor.is_superuser:
        # Someone other than the first moderator looks at an appeal.
        raise PermissionDenied(_("Another moderator must decide this appeal."))
    reason = storable(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason shown to the author.")})
    decision.appeal_upheld, decision.appeal_reason = upheld, reason[:500]
    decision.appeal_decided_by, decision.appeal_decided_at = actor, now or timezone.now()
    decision.save()
    if not upheld:
        Comment.objects.filter(pk=comment.pk).update(state=ModerationState.PUBLISHED,
                                                      updated_at=timezone.now())
    audit_record(actor=actor, action="consultation.appeal_decided",
                 organisation=comment.consultation.organisation, target=comment.consultation,
                 details={"comment": comment.pk, "decision": decision.pk, "upheld": upheld})
    return decision


@transaction.atomic
def statement_moderate(*, actor: User, statement: Statement, outcome: str) -> Statement:
    check_manage_consultation(actor, statement.consultation.organisation)
    if outcome not in OUTCOMES:
        raise ValidationError(_("Choose publish or reject."))
    statement = Statement.objects.select_for_update().get(pk=statement.pk)
    if statement.state == outcome:
        raise ValidationError(_("The statement is already in that state."))
    statement.state = outcome
    statement.save(update_fields=["state"])
    audit_record(actor=actor, action=f"consultation.statement_{outcome}",
                 organisation=statement.consultation.organisation,
                 target=statement.consultation, details={"statement": statement.pk})
    return statement
