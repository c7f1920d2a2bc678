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
    Rating,
    RoutingRule,
    Status,
)
from townsquare.inbox.rules import WORK_ROLES
from townsquare.organisations.models import Membership, Organisation, Team, User
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
    # A contact-form citizen rates on the citizen site: a signed link while it may rate.
    rating_token: str = ""


def public_status(tracking_number: str) -> PublicStatus | None:
    found = (
        Conversation.objects.filter(tracking_number=tracking_number, is_spam=False)
        .select_related("organisation")
        .first()
    )
    if found is None:
        return None
    from townsquare.inbox.services.satisfaction import (
        conversation_for_rating_token,
        rating_token,
    )

    token = rating_token(found)
    rateable = conversation_for_rating_token(token) is not None and not Rating.objects.filter(
        conversation=found).exists()
    return PublicStatus(
        rating_token=token if rateable else "",
        tracking_number=found.tracking_number,
        status=found.status,
        status_label=str(found.get_status_display()),
        organisation=found.organisation,
        updated_at=found.updated_at,
    )


@dataclass(frozen=True)
class SlaFigures:
    """SLA figures of one agency or team over a period (conversations that arrived then)."""

    organisation: Organisation
    team: Any
    conversations: int
    answered: int
    measured: int  # answered under a policy: the base of the share within target
    answered_within_target: int
    median_first_response_seconds: int | None
    breaches: int  # conversations that missed a target or were escalated
    ratings: int = 0
    average_rating: float | None = None

    @property
    def share_within_target(self) -> float | None:
        return self.answered_within_target / self.measured if self.measured else None

    @property
    def median_first_response_minutes(self) -> int | None:
        seconds = self.median_first_response_seconds
        return None if seconds is None else round(seconds / 60)


def sla_figures(user: Any, *, since: Any) -> list[SlaFigures]:
    """Per visible organisation, and per team of it, in organisation order."""
    rows = conversations_visible_to(user).filter(created_at__gte=since).values_list(
        "organisation_id", "team_id", "sla_first_response_seconds", "sla_first_response_met",
        "sla_resolution_met", "sla_escalated", "rating__score",
    )
    groups: dict[tuple[int, int | None], list[tuple[Any, ...]]] = {}
    for organisation_id, team_id, seconds, first_met, resolution_met, escalated, score in (
        rows.iterator()
    ):
        # A breach: a target missed, or overdue and escalated while still open.
        row = (seconds, first_met, first_met is False or resolution_met is False or escalated,
               score)
        groups.setdefault((organisation_id, None), []).append(row)
        if team_id is not None:
            groups.setdefault((organisation_id, team_id), []).append(row)
    organisations = Organisation.objects.in_bulk({o for o, _t in groups})
    teams = Team.objects.in_bulk({t for _o, t in groups if t is not None})
    figures = []
    for (organisation_id, group_team), members in groups.items():
        answered = sorted(s for s, _f, _r, _score in members if s is not None)
        scores = [score for *_rest, score in members if score is not None]
        median = None
        if answered:
            middle = len(answered) // 2
            median = (answered[middle] if len(answered) % 2
                      else (answered[middle - 1] + answered[middle]) // 2)
        figures.append(SlaFigures(
            organisation=organisations[organisation_id],
            team=teams.get(group_team) if group_team else None,
            conversations=len(members),
            answered=len(answered),
            measured=sum(1 for _s, f, _r, _score in members if f is not None),
            answered_within_target=sum(1 for _s, f, _r, _score in members if f),
            median_first_response_seconds=median,
            breaches=sum(1 for _s, _f, breached, _score in members if breached),
            ratings=len(scores),
            average_rating=sum(scores) / len(scores) if scores else None,
        ))
    figures.sort(key=lambda f: (f.organisation.path, f.team is not None,
                                f.team.name if f.team else ""))
    return figures
