"""Staff work on conversations: assignment, status, transfers, notes, identity links,
and cases entered for citizens who phone or walk in. Every action is audited."""

from __future__ import annotations

import re
import secrets
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.core.services import audit_record, notification_send
from townsquare.core.text import normalise_name, validate_clean_text, validate_name
from townsquare.inbox.models import (
    OFFLINE_CHANNELS,
    Contact,
    ContactIdentity,
    Conversation,
    Direction,
    InternalNote,
    Message,
    Status,
    TeamRotation,
    Transfer,
)
from townsquare.inbox.rules import can_work_in, check_can_work_in
from townsquare.inbox.search import message_search_text
from townsquare.inbox.selectors import staff_who_can_see, team_members
from townsquare.inbox.services.archiving import note_archive_after_commit
from townsquare.inbox.services.conversations import (
    MAX_MESSAGE_LENGTH,
    chosen_decision,
    contact_for_identity,
    conversation_open,
    flags_of,
    language_of,
)
from townsquare.inbox.services.satisfaction import rating_request
from townsquare.inbox.services.sla import sla_bank, sla_refresh
from townsquare.organisations.models import Organisation, Team, User

MAX_NOTE_LENGTH = 5000
MAX_MENTIONS = 20
MENTION = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")


def _locked(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_for_update().select_related("organisation").get(
        pk=conversation.pk
    )


def clean_text(value: str, *, max_length: int, what: str) -> str:
    """Text typed by staff or citizens: valid, not empty, not too long (nothing cut)."""
    text = (value or "").strip()
    validate_clean_text(text)
    if not text:
        raise ValidationError(_("Write the %(what)s first.") % {"what": what}, code="empty")
    if len(text) > max_length:
        raise ValidationError(
            _("The %(what)s is too long: %(length)d characters, at most %(max)d.")
            % {"what": what, "length": len(text), "max": max_length},
            code="too_long",
        )
    return text


@transaction.atomic
def conversation_assign(
    *, actor: User, conversation: Conversation, assignee: User | None = None,
    round_robin: bool = False,
) -> Conversation:
    """Assign to ``assignee`` (None: unassign), or to the next member of the team."""
    conversation = _locked(conversation)
    check_can_work_in(actor, conversation.organisation)
    if round_robin:
        assignee = _next_in_rotation(conversation)
    if assignee is not None and not can_work_in(assignee, conversation.organisation):
        raise ValidationError(
            _("%(name)s cannot work on this organisation's conversations.")
            % {"name": assignee.display_name},
            code="not_a_responder",
        )
    conversation.assignee = assignee
    if assignee is not None and conversation.status == Status.NEW:
        conversation.status = Status.OPEN
    conversation.save(update_fields=["assignee", "status", "updated_at"])
    audit_record(
        actor=actor, action="conversation.assign", organisation=conversation.organisation,
        target=conversation,
        details={"assignee": assignee.get_username() if assignee else "",
                 "round_robin": round_robin},
    )
    if assignee is not None and assignee != actor:
        tracking = conversation.tracking_number
        transaction.on_commit(lambda: notification_send(
            recipient=assignee, message_key="inbox.assigned",
            params={"tracking_number": tracking},
            url=f"/console/inbox/{conversation.pk}/",
        ))
    return conversation


def _next_in_rotation(conversation: Conversation) -> User:
    if conversation.team_id is None:
        raise ValidationError(
            _("Round-robin needs a team: give the conversation a team first."), code="no_team"
        )
    members = team_members(conversation.team_id)
    if not members:
        raise ValidationError(_("This team has no responders to assign."), code="empty_team")
    rotation, _created = TeamRotation.objects.select_for_update().get_or_create(
        team_id=conversation.team_id
    )
    ids = [m.pk for m in members]
    following = 0
    if rotation.last_assignee_id in ids:
        following = (ids.index(rotation.last_assignee_id) + 1) % len(ids)
    chosen = members[following]
    rotation.last_assignee = chosen
    rotation.save(update_fields=["last_assignee"])
    return chosen


@transaction.atomic
def conversation_set_status(
    *, actor: User, conversation: Conversation, status: str
) -> tuple[Conversation, bool]:
    """Set the status; (conversation, False) when it already had it (two people resolving
    at once: the second changes nothing and is told so)."""
    if status not in Status.values:
        raise ValidationError(_("Choose a status from the list."), code="invalid_status")
    conversation = _locked(conversation)
    check_can_work_in(actor, conversation.organisation)
    if conversation.status == status:
        return conversation, False
    before = conversation.status
    conversation.status = status
    if status == Status.RESOLVED:
        conversation.resolved_at = timezone.now()
    sla_fields = sla_refresh(conversation, now=timezone.now())
    conversation.save(update_fields=["status", "resolved_at", *sla_fields, "updated_at"])
    if status == Status.RESOLVED:
        rating_request(actor=actor, conversation=conversation)
    audit_record(
        actor=actor, action="conversation.status", organisation=conversation.organisation,
        target=conversation, details={"from": before, "to": status},
    )
    return conversation, True


@transaction.atomic
def conversation_transfer(
    *, actor: User, conversation: Conversation, to_organisation: Organisation,
    to_team: Team | None = None, reason: str,
) -> Transfer:
    """Hand the conversation to another organisation (agency or NGO partner) or team.

    History, messages and the tracking number stay with the conversation; the new
    organisation's staff see it, the old one's no longer do (unless they see both).
    """
    conversation = _locked(conversation)
    check_can_work_in(actor, conversation.organisation)
    reason = clean_text(reason, max_length=500, what=_("reason"))
    if not to_organisation.is_active:
        raise ValidationError(_("This organisation is no longer active."), code="inactive")
    if to_team is not None and to_team.organisation_id != to_organisation.pk:
        raise ValidationError(_("That team belongs to another organisation."), code="team")
    if to_organisation.pk == conversation.organisation_id and to_team == conversation.team:
        raise ValidationError(_("The conversation is already there."), code="same_place")
    transfer = Transfer.objects.create(
        conversation=conversation, from_organisation=conversation.organisation,
        to_organisation=to_organisation, to_team=to_team, by=actor, reason=reason,
    )
    moved = to_organisation.pk != conversation.organisation_id
    now = timezone.now()
    # The clock goes with the conversation: time so far is counted on the old agency's
    # hours, the rest on the new agency's policy.
    sla_bank(conversation, now=now)
    conversation.organisation = to_organisation
    conversation.team = to_team
    conversation.in_triage = to_organisation.sees_all_organisations and to_team is None
    if moved:
        conversation.assignee = None
    sla_fields = sla_refresh(conversation, now=now)
    conversation.save(
        update_fields=["organisation", "team", "in_triage", "assignee", *sla_fields,
                       "updated_at"]
    )
    audit_record(
        actor=actor, action="conversation.transfer", organisation=transfer.from_organisation,
        target=conversation,
        details={"to_organisation": to_organisation.pk,
                 "to_team": to_team.pk if to_team else None, "reason": reason},
    )
    if moved:
        audit_record(
            actor=actor, action="conversation.transfer_received", organisation=to_organisation,
            target=conversation, details={"from_organisation": transfer.from_organisation.pk},
        )
    return transfer


@transaction.atomic
def note_add(*, actor: User, conversation: Conversation, text: str) -> InternalNote:
    """An internal note; @username mentions notify colleagues who may see the conversation."""
    check_can_work_in(actor, conversation.organisation)
    text = clean_text(text, max_length=MAX_NOTE_LENGTH, what=_("note"))
    note = InternalNote.objects.create(conversation=conversation, author=actor, text=text)
    names = sorted({name.rstrip(".") for name in MENTION.findall(text)})[:MAX_MENTIONS]
    mentioned: list[User] = []
    if names:
        same_name = Q()
        for name in names:
            same_name |= Q(username__iexact=name)
        mentioned = list(staff_who_can_see(conversation.organisation).filter(same_name))
    note.mentions.set(mentioned)
    note_archive_after_commit(note.pk)
    audit_record(actor=actor, action="conversation.note", organisation=conversation.organisation,
                 target=conversation, details={"note": note.pk,
                                               "mentions": [u.pk for u in mentioned]})
    for person in mentioned:
        if person != actor:
            transaction.on_commit(partial(
                notification_send, recipient=person, message_key="inbox.mentioned",
                params={"tracking_number": conversation.tracking_number,
                        "by": actor.display_name},
                url=f"/console/inbox/{conversation.pk}/",
            ))
    return note


@transaction.atomic
def identities_link(
    *, actor: User, conversation: Conversation, other: Conversation, reason: str
) -> int:
    """Staff know that the citizens of two conversations are one person: move every
    identity of ``other``'s contact to ``conversation``'s contact (who and why recorded).

    Both conversations must be ones ``actor`` works on. Returns identities moved.
    """
    check_can_work_in(actor, conversation.organisation)
    check_can_work_in(actor, other.organisation)
    reason = clean_text(reason, max_length=300, what=_("reason"))
    # Fresh from the database: an earlier link may have moved either conversation.
    target = Contact.objects.select_for_update().get(conversations=conversation)
    source = Contact.objects.select_for_update().get(conversations=other)
    if target.pk == source.pk:
        raise ValidationError(_("These conversations are already with the same contact."),
                              code="same_contact")
    now = timezone.now()
    identities = list(ContactIdentity.objects.select_for_update().filter(contact=source))
    for identity in identities:
        identity.contact = target
        identity.linked_by, identity.linked_at, identity.link_reason = actor, now, reason
        identity.save(update_fields=["contact", "linked_by", "linked_at", "link_reason",
                                     "updated_at"])
    Conversation.objects.filter(contact=source).update(contact=target)
    Message.objects.filter(author_contact=source).update(author_contact=target)
    audit_record(
        actor=actor, action="contact.link", organisation=conversation.organisation,
        target=target,
        details={"merged_contact": source.pk, "identities": [i.pk for i in identities],
                 "reason": reason},
    )
    return len(identities)


@transaction.atomic
def case_create(
    *, actor: User, organisation: Organisation, channel: str, citizen_name: str,
    citizen_reference: str, text: str, language: str = "", team: Team | None = None,
) -> Conversation:
    """A case for a citizen who phoned or came to a service centre, entered by staff.

    ``citizen_reference`` (a phone number, an id card number…) identifies the citizen so
    their next call joins the same contact.
    """
    if channel not in OFFLINE_CHANNELS:
        raise ValidationError(_("Choose phone or service centre."), code="channel")
    check_can_work_in(actor, organisation)
    if team is not None and team.organisation_id != organisation.pk:
        raise ValidationError(_("That team belongs to another organisation."), code="team")
    name = normalise_name(citizen_name or "")
    if name:
        validate_name(name)
    reference = normalise_name(citizen_reference or "")
    if reference:
        validate_name(reference)
    text = clean_text(text, max_length=MAX_MESSAGE_LENGTH, what=_("message"))
    language = language_of(text, language)
    contact = contact_for_identity(
        channel=channel,
        # Without a reference every case is its own contact.
        remote_author_id=reference.casefold() or f"case:{secrets.token_hex(8)}",
        handle=reference, display_name=name, language=language,
    )
    conversation = conversation_open(
        contact=contact, channel=channel, decision=chosen_decision(organisation, team),
        flags=flags_of(text), language=language,
    )
    Message.objects.create(
        conversation=conversation, direction=Direction.INBOUND, text=text,
        search_text=message_search_text(text),
        author_contact=contact, language=language,
    )
    audit_record(actor=actor, action="conversation.case_create", organisation=organisation,
                 target=conversation, details={"channel": channel})
    return conversation
