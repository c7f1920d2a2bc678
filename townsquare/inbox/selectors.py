"""Reads of the inbox, scoped to what the asking user may see.

A conversation is visible to the staff of its responsible organisation (and of the
organisations above it, and the communications office): after a transfer it is the new
organisation's, so an NGO partner sees exactly what was transferred to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from townsquare.inbox.models import (
    OPEN_STATUSES,
    CannedReply,
    Contact,
    Conversation,
    Message,
    RoutingRule,
    Status,
)
from townsquare.inbox.rules import WORK_ROLES
from townsquare.organisations.models import Membership, Organisation, User
from townsquare.organisations.selectors import organisations_visible_to

QUEUES = ("all", "new", "mine", "unassigned", "triage", "emergency", "closed")


def conversations_visible_to(user: Any) -> QuerySet[Conversation]:
    return Conversation.objects.filter(organisation__in=organisations_visible_to(user))


def conversation_get_for_user(user: Any, conversation_id: Any) -> Conversation:
    try:
        return conversations_visible_to(user).select_related(
            "organisation", "team", "account", "contact", "assignee", "routing_rule",
            "replying_by",
        ).get(pk=int(conversation_id))
    except (Conversation.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such conversation") from exc


def queue_filter(conversations: QuerySet[Conversation], queue: str, user: Any
                 ) -> QuerySet[Conversation]:
    if queue == "closed":
        return conversations.exclude(status__in=OPEN_STATUSES)
    conversations = conversations.filter(status__in=OPEN_STATUSES)
    if queue == "new":
        return conversations.filter(status=Status.NEW, is_spam=False)
    if queue == "mine":
        return conversations.filter(assignee=user)
    if queue == "unassigned":
        return conversations.filter(assignee__isnull=True, is_spam=False)
    if queue == "triage":
        return conversations.filter(in_triage=True)
    if queue == "emergency":
        return conversations.filter(is_emergency=True)
    return conversations


def queue_counts(user: Any, conversations: QuerySet[Conversation]) -> dict[str, int]:
    return {q: queue_filter(conversations, q, user).count() for q in QUEUES if q != "closed"}


def conversation_messages(conversation: Conversation) -> QuerySet[Message]:
    return conversation.messages.select_related("author_user", "author_contact")


def contact_conversations_for(user: Any, contact: Contact) -> QuerySet[Conversation]:
    """The contact's history across every organisation the user may see."""
    return conversations_visible_to(user).filter(contact=contact).select_related("organisation")


def conversation_by_tracking_for_user(user: Any, tracking_number: str) -> Conversation | None:
    return conversations_visible_to(user).filter(tracking_number=tracking_number).first()


def staff_who_can_work_on(organisation: Organisation) -> QuerySet[User]:
    """Active staff holding a working role in the organisation or an organisation above."""
    ancestors = [int(pk) for pk in organisation.path.strip("/").split("/") if pk]
    return (
        User.objects.filter(
            is_active=True,
            memberships__organisation_id__in=ancestors,
            memberships__role__in=WORK_ROLES,
        )
        .distinct()
        .order_by("username")
    )


def staff_who_can_see(organisation: Organisation) -> QuerySet[User]:
    """Everyone who may read a conversation of ``organisation`` (for @mentions)."""
    ancestors = [int(pk) for pk in organisation.path.strip("/").split("/") if pk]
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(memberships__organisation_id__in=ancestors)
            | Q(memberships__organisation__sees_all_organisations=True)
        )
        .distinct()
    )


def responders_of(organisation: Organisation) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        memberships__organisation=organisation,
        memberships__role__in=WORK_ROLES,
    ).distinct()


def team_members(team_id: int) -> list[User]:
    ids = Membership.objects.filter(team_id=team_id, role__in=WORK_ROLES).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("username", "pk"))


def transfer_destinations(conversation: Conversation) -> QuerySet[Organisation]:
    """Every active organisation but the current one: "not ours" is never a dead end."""
    return Organisation.objects.filter(is_active=True).exclude(pk=conversation.organisation_id)


def canned_replies_for(organisation: Organisation) -> QuerySet[CannedReply]:
    ancestors = [int(pk) for pk in organisation.path.strip("/").split("/") if pk]
    return CannedReply.objects.filter(organisation_id__in=ancestors)


def routing_rules_visible_to(user: Any) -> QuerySet[RoutingRule]:
    return RoutingRule.objects.filter(
        organisation__in=organisations_visible_to(user)
    ).select_related("organisation", "target_organisation", "target_team")


COLLISION_WINDOW_SECONDS = 300


def someone_else_replying(conversation: Conversation, user: Any) -> User | None:
    """The colleague who opened the reply box in the last few minutes, if not ``user``."""
    if conversation.replying_by_id in (None, user.pk) or conversation.replying_at is None:
        return None
    age = (timezone.now() - conversation.replying_at).total_seconds()
    return conversation.replying_by if age < COLLISION_WINDOW_SECONDS else None


@dataclass(frozen=True)
class PublicStatus:
    """What the citizen site shows for a tracking number: nothing private."""

    tracking_number: str
    status: str
    status_label: str
    organisation: Organisation
    updated_at: Any


def public_status(tracking_number: str) -> PublicStatus | None:
    found = (
        Conversation.objects.filter(tracking_number=tracking_number, is_spam=False)
        .select_related("organisation")
        .first()
    )
    if found is None:
        return None
    return PublicStatus(
        tracking_number=found.tracking_number,
        status=found.status,
        status_label=str(found.get_status_display()),
        organisation=found.organisation,
        updated_at=found.updated_at,
    )
