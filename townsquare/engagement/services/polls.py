"""Quick polls: create, publish, close, vote.

One vote per person (browser) is a unique constraint on (poll, voter key): however many
requests race, the database keeps one and the others are told they already voted.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.core.services import audit_record
from townsquare.engagement.anomalies import current_address_key
from townsquare.engagement.models import Poll, PollChoice, Status, Vote
from townsquare.engagement.services.builder import (
    MAX_CHOICES,
    ChoiceSpec,
    check_manage,
    clean_translations,
    unique_slug,
)
from townsquare.organisations.models import Organisation, User


@transaction.atomic
def poll_create(*, actor: User, organisation: Organisation, question: str,
                choices: list[ChoiceSpec],
                translations: dict[str, dict[str, str]] | None = None,
                opens_at: dt.datetime | None = None, closes_at: dt.datetime | None = None,
                ) -> Poll:
    check_manage(actor, organisation)
    question = question.strip()
    if not question:
        raise ValidationError({"question": _("Write the question.")})
    labelled = [c for c in choices if c.label.strip()]
    if not 2 <= len(labelled) <= MAX_CHOICES:
        raise ValidationError({"choices": _("Give between 2 and %(max)s options.")
                               % {"max": MAX_CHOICES}})
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValidationError({"closes_at": _("The closing time must be after the opening time.")})
    poll = Poll.objects.create(
        organisation=organisation, slug=unique_slug(Poll, question), question=question,
        translations=clean_translations(translations, ("question",)), opens_at=opens_at,
        closes_at=closes_at)
    PollChoice.objects.bulk_create(
        PollChoice(poll=poll, label=c.label.strip()[:200], position=i,
                   translations=clean_translations(c.translations, ("label",)))
        for i, c in enumerate(labelled))
    audit_record(actor=actor, action="poll.created", organisation=organisation, target=poll)
    return poll


@transaction.atomic
def poll_publish(*, actor: User, poll: Poll, now: dt.datetime | None = None) -> Poll:
    check_manage(actor, poll.organisation)
    poll = Poll.objects.select_for_update().get(pk=poll.pk)
    if poll.status != Status.DRAFT:
        raise ValidationError(_("Only a draft can be published."))
    if poll.closes_at is not None and poll.closes_at <= (now or timezone.now()):
        raise ValidationError(_("The closing time has already passed."))
    poll.status = Status.PUBLISHED
    poll.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="poll.published", organisation=poll.organisation,
                 target=poll)
    return poll


@transaction.atomic
def poll_close(*, actor: User, poll: Poll, now: dt.datetime | None = None) -> Poll:
    check_manage(actor, poll.organisation)
    now = now or timezone.now()
    poll = Poll.objects.select_for_update().get(pk=poll.pk)
    if poll.status != Status.PUBLISHED:
        raise ValidationError(_("Only a published poll can be closed."))
    poll.status = Status.CLOSED
    if poll.closes_at is None or poll.closes_at > now:
        poll.closes_at = now
    poll.save(update_fields=["status", "closes_at", "updated_at"])
    audit_record(actor=actor, action="poll.closed", organisation=poll.organisation, target=poll)
    return poll


def poll_vote(*, poll: Poll, choice_id: object, voter_key: str,
              now: dt.datetime | None = None) -> tuple[Vote, bool]:
    """Record a vote; ``(vote, False)`` when this voter had already voted (first vote kept)."""
    if not poll.is_open(now):
        raise ValidationError(_("This poll is closed."))
    if not voter_key:
        raise ValueError("a voter key is required")
    try:
        choice = poll.choices.get(pk=int(str(choice_id)))
    except (PollChoice.DoesNotExist, ValueError) as exc:
        raise ValidationError(_("Choose one of the options.")) from exc
    try:
        with transaction.atomic():
            return Vote.objects.create(
                poll=poll, choice=choice, voter_key=voter_key,
                address_key=current_address_key(f"poll:{poll.pk}")), True
    except IntegrityError:
        existing = Vote.objects.filter(poll=poll, voter_key=voter_key).first()
        if existing is None:
            raise
        return existing, False
