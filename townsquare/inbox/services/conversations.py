"""Creating contacts and conversations: shared by the inbound pipeline, the contact form
and cases entered by staff."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from townsquare.core.services import notification_send
from townsquare.inbox.detection import Flags, detect_flags
from townsquare.inbox.models import (
    Contact,
    ContactIdentity,
    Conversation,
    Priority,
    RoutedBy,
)
from townsquare.inbox.routing import Decision
from townsquare.inbox.selectors import responders_of
from townsquare.inbox.services.sla import sla_refresh
from townsquare.inbox.tracking import tracking_number_new
from townsquare.nlp.langid import identify
from townsquare.organisations.models import Organisation, Team

# Long enough for any message a network allows; longer text is kept whole in the
# channels' inbound item and cut here with a visible mark.
MAX_MESSAGE_LENGTH = 20_000


def language_of(text: str, declared: str = "") -> str:
    if declared:
        return declared[:16]
    guess = identify(text)
    return guess.primary if guess.supported else ""


def contact_for_identity(
    *, channel: str, remote_author_id: str, handle: str = "", display_name: str = "",
    language: str = "",
) -> Contact:
    """The contact behind one identity, created on first sight; locked for this transaction.

    Locking the contact serialises concurrent messages of the same citizen, so a burst of
    messages joins one conversation instead of opening several.
    """
    identity = ContactIdentity.objects.filter(
        channel=channel, remote_author_id=remote_author_id
    ).first()
    if identity is None:
        try:
            with transaction.atomic():
                contact = Contact.objects.create(display_name=display_name[:200],
                                                 language=language)
                identity = ContactIdentity.objects.create(
                    contact=contact, channel=channel, remote_author_id=remote_author_id[:200],
                    handle=handle[:200], display_name=display_name[:200],
                )
        except IntegrityError:
            identity = ContactIdentity.objects.get(
                channel=channel, remote_author_id=remote_author_id
            )
    contact = Contact.objects.select_for_update().get(pk=identity.contact_id)
    # While we waited for the lock an erasure (archive subject request) may have detached
    # this identity from the person, or a merge moved it: look it up again.
    if not ContactIdentity.objects.filter(pk=identity.pk, contact=contact,
                                          remote_author_id=remote_author_id).exists():
        return contact_for_identity(channel=channel, remote_author_id=remote_author_id,
                                    handle=handle, display_name=display_name,
                                    language=language)
    return contact


def _new_tracking_number() -> str:
    for _ in range(10):
        number = tracking_number_new()
        if not Conversation.objects.filter(tracking_number=number).exists():
            return number
    raise RuntimeError("could not find a free tracking number")  # 30**6 numbers: never


def conversation_open(
    *,
    contact: Contact,
    channel: str,
    decision: Decision,
    flags: Flags,
    language: str,
    account_id: int | None = None,
    thread_key: str = "",
    when: dt.datetime | None = None,
) -> Conversation:
    priority = Priority.NORMAL
    if flags.emergency:
        priority = Priority.URGENT
    elif decision.high_priority:
        priority = Priority.HIGH
    conversation = Conversation.objects.create(
        tracking_number=_new_tracking_number(),
        organisation=decision.organisation,
        team=decision.team,
        account_id=account_id,
        channel=channel,
        contact=contact,
        priority=priority,
        is_emergency=flags.emergency,
        is_abuse=flags.abuse,
        is_spam=flags.spam and not flags.emergency,
        in_triage=decision.in_triage,
        routed_by=decision.routed_by,
        routing_rule=decision.rule,
        routing_match=decision.matched[:200],
        routing_confidence=decision.confidence,
        routing_candidates=decision.candidates,
        language=language,
        thread_key=thread_key[:200],
        last_message_at=when or timezone.now(),
    )
    # The clock starts when the message arrived (a late-ingested message is not younger).
    fields = sla_refresh(conversation, now=conversation.last_message_at)
    conversation.save(update_fields=fields)
    if flags.emergency:
        transaction.on_commit(lambda: emergency_notify(conversation=conversation))
    return conversation


def apply_flags(conversation: Conversation, flags: Flags) -> list[str]:
    # An emergency raises the priority: the caller recomputes the SLA (sla_refresh).
    """Raise (never lower) the flags of a conversation for a new message; changed fields."""
    changed = []
    if flags.emergency and not conversation.is_emergency:
        conversation.is_emergency, conversation.priority = True, Priority.URGENT
        conversation.is_spam = False
        changed += ["is_emergency", "priority", "is_spam"]
        transaction.on_commit(lambda: emergency_notify(conversation=conversation))
    if flags.abuse and not conversation.is_abuse:
        conversation.is_abuse = True
        changed.append("is_abuse")
    return changed


def emergency_notify(*, conversation: Conversation) -> int:
    """Tell every responder of the responsible organisation at once (and the assignee)."""
    people = set(responders_of(conversation.organisation))
    if conversation.assignee is not None:
        people.add(conversation.assignee)
    for person in people:
        notification_send(
            recipient=person,
            message_key="inbox.emergency",
            params={"tracking_number": conversation.tracking_number},
            url=f"/console/inbox/{conversation.pk}/",
        )
    return len(people)


def chosen_decision(organisation: Organisation, team: Team | None = None) -> Decision:
    return Decision(organisation=organisation, team=team, routed_by=RoutedBy.CHOSEN,
                    in_triage=organisation.sees_all_organisations)


def flags_of(text: str) -> Flags:
    return detect_flags(text)
