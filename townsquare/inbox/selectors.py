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

# Queue tabs count this far and then say "1000+".
COUNT_CAP = 1000
QUEUES = ("all", "new", "mine", "unassigned", "triage", "emergency", "overdue", "due_soon",
          "closed")


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


def queue_filter(conversations: QuerySet[Conversation], queue: str, user: Any, *,
                 status: str = "", now: Any = None) -> QuerySet[Conversation]:
    """The conversations of one queue. A chosen ``status`` replaces the queue's own
    open-or-closed condition and keeps the rest (mine and waiting on the citizen…)."""
    if status:
        conversations = conversations.filter(status=status)
    elif queue == "closed":
        return conversations.exclude(status__in=OPEN_STATUSES)
    else:
        conversations = conversations.filter(status__in=OPEN_STATUSES)
    if queue in ("overdue", "due_soon"):
        now = now or timezone.now()
        overdue = Q(sla_first_response_due__lte=now) | Q(sla_resolution_due__lte=now)
        if queue == "overdue":
            return conversations.filter(overdue)
        # Warned and not yet due, as one id subquery (a UNION of two ranges of the due
        # indexes): only conversations due in the future are read, not every open one of
        # the agency. Two subqueries joined by OR made PostgreSQL walk the whole queue
        # index instead, testing each row against both (a second at 1 M conversations).
        first = Conversation.objects.filter(
            sla_first_response_due__gt=now, sla_first_response_warn_at__lte=now)
        resolution = Conversation.objects.filter(
            sla_resolution_due__gt=now, sla_resolution_warn_at__lte=now)
        warned = first.order_by().values("pk").union(resolution.order_by().values("pk"))
        return conversations.filter(pk__in=warned).exclude(overdue)
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


def queue_counts(user: Any, filters: Any) -> dict[str, int]:
    """How many conversations each open queue holds, counted up to COUNT_CAP + 1 only: the
    tabs say "1000+" rather than counting a million rows on every page view. Each count
    reads the same index ranges as the queue's pages (see queue_listing)."""
    now = timezone.now()
    counts = {}
    # The organisations and the search are worked out once for every tab.
    organisation_ids = queue_organisation_ids(user, filters)
    scope = (organisation_ids, queue_scope(user, filters, organisation_ids))
    for queue in QUEUES:
        if queue == "closed":
            continue
        listing = queue_listing(user, queue, filters, now=now, scope=scope)
        total = 0
        for rows in [listing.conversations.filter(p) for p in listing.partitions] or [
                listing.conversations]:
            total += rows.order_by()[:COUNT_CAP + 1 - total].count()
            if total > COUNT_CAP:
                break
        counts[queue] = total
    return counts


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


# --- queues: filters, keyset pages, live updates -------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    """What a staff member narrowed a queue to (the queue page's filter form)."""

    organisation: Organisation | None = None
    team: Team | None = None
    status: str = ""
    priority: int | None = None
    channel: str = ""
    language: str = ""
    # A tracking number or words (the archive's query language).
    query: str = ""


def queue_organisation_ids(user: Any, filters: QueueFilters) -> list[int]:
    """Ids of the organisations whose conversations the queue may list: visible to the
    user, within the organisation they work in (the switcher) and the filter's."""
    organisations = organisations_visible_to(user)
    current = getattr(user, "current_organisation", None) if getattr(
        user, "current_organisation_id", None) else None
    for chosen in (current, filters.organisation):
        if chosen is not None:
            organisations = organisations.filter(path__startswith=chosen.path)
    return list(organisations.order_by("pk").values_list("pk", flat=True))


def queue_scope(user: Any, filters: QueueFilters,
                organisation_ids: list[int] | None = None) -> QuerySet[Conversation]:
    """The visible conversations matching ``filters``, before any queue's condition.

    Raises ValidationError (with a message for the person) for a search that cannot be
    understood, such as an unclosed quotation mark.
    """
    from townsquare.inbox.search import conversations_matching, parse_query
    from townsquare.inbox.tracking import tracking_number_parse

    if organisation_ids is None:
        organisation_ids = queue_organisation_ids(user, filters)
    scoped = Conversation.objects.filter(organisation_id__in=organisation_ids)
    if filters.team is not None:
        scoped = scoped.filter(team=filters.team)
    if filters.priority is not None:
        scoped = scoped.filter(priority=filters.priority)
    if filters.channel:
        scoped = scoped.filter(channel=filters.channel)
    if filters.language:
        # Stored as detected or declared: "zh", "zh-hans", "en-GB"…
        scoped = scoped.filter(Q(language=filters.language)
                               | Q(language__startswith=filters.language + "-"))
    if filters.query:
        number = tracking_number_parse(filters.query)
        if number:
            scoped = scoped.filter(tracking_number=number)
        else:
            scoped = conversations_matching(scoped, parse_query(filters.query))
    return scoped


# Above this many (organisation, status) pairs a queue is read in one walk of the order
# index instead (it then finds a page quickly anyway: such a queue is broad).
MAX_PARTITIONS = 12
SELECTIVE_QUEUES = ("mine", "triage", "emergency", "due_soon")


@dataclass(frozen=True)
class QueueListing:
    """The conversations of one queue, and how to read them page by page quickly."""

    conversations: QuerySet[Conversation]
    # Disjoint (organisation, status) slices: each is one range of the index
    # (organisation, status, priority, last_message_at, id), already in queue order, so
    # a page is the merge of the first rows of each instead of sorting the whole queue.
    partitions: tuple[Q, ...] = ()


def queue_statuses(queue: str, status: str = "") -> tuple[str, ...]:
    if status:
        return (status,)
    if queue == "closed":
        return (Status.RESOLVED, Status.CLOSED)
    if queue == "new":
        return (Status.NEW,)
    return tuple(OPEN_STATUSES)


def queue_listing(user: Any, queue: str, filters: QueueFilters, *, now: Any = None,
                  scope: tuple[list[int], QuerySet[Conversation]] | None = None
                  ) -> QueueListing:
    """One queue of the console with its filters; raises ValidationError for a bad search.
    ``scope``: the organisation ids and queue_scope() already worked out for ``filters``."""
    if scope is None:
        organisation_ids = queue_organisation_ids(user, filters)
        scope = (organisation_ids, queue_scope(user, filters, organisation_ids))
    organisation_ids, scoped = scope
    listed = queue_filter(scoped, queue, user, status=filters.status, now=now)
    statuses = queue_statuses(queue, filters.status)
    pairs = [(o, s) for o in organisation_ids for s in statuses]
    partitions = tuple(Q(organisation_id=o, status=s) for o, s in pairs)
    if len(pairs) > MAX_PARTITIONS or filters.query or queue in SELECTIVE_QUEUES:
        # A search starts from its matches; the selective queues from their own indexes
        # (assignee, triage, emergency, SLA due), then sort the few rows found.
        partitions = ()
    return QueueListing(conversations=listed, partitions=partitions)


@dataclass(frozen=True)
class QueueCursor:
    """Where a queue page ends: the sort key (priority, last message, id) of its last row.

    The next page is everything strictly after it in that order, found through the
    index (no OFFSET, so page 1,000 costs what page 2 does, and rows arriving meanwhile
    neither repeat nor go missing)."""

    priority: int
    last_message_at: Any
    id: int

    def encode(self) -> str:
        micros = round(self.last_message_at.timestamp() * 1_000_000)
        return f"{self.priority}.{micros}.{self.id}"

    @classmethod
    def decode(cls, raw: str) -> QueueCursor:
        """Raises ValueError for anything that is not a cursor this module wrote."""
        import datetime as dt

        parts = str(raw).split(".")
        if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts):
            raise ValueError("not a queue cursor")
        priority, micros, pk = (int(p) for p in parts)
        if priority > 32767 or micros > 253402300799 * 1_000_000:
            raise ValueError("not a queue cursor")
        when = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)
        return cls(priority=priority, last_message_at=when, id=pk)

    @classmethod
    def of(cls, conversation: Conversation) -> QueueCursor:
        return cls(priority=conversation.priority,
                   last_message_at=conversation.last_message_at, id=conversation.pk)


QUEUE_ORDER = ("-priority", "-last_message_at", "-id")


@dataclass(frozen=True)
class QueuePage:
    conversations: list[Conversation]
    # The cursor of the next page, or "" when this is the last one.
    next_cursor: str
    is_first: bool


def _after(rows: QuerySet[Conversation], after: QueueCursor) -> QuerySet[Conversation]:
    from django.db import connection
    from django.db.models import BooleanField
    from django.db.models.expressions import RawSQL

    table = Conversation._meta.db_table
    # A row-value comparison: both databases walk the index from the cursor on, where
    # three OR-ed conditions would not.
    return rows.filter(RawSQL(  # noqa: S611 - constant SQL, values as parameters
        f'("{table}"."priority", "{table}"."last_message_at", "{table}"."id") '
        "< (%s, %s, %s)",
        [after.priority, connection.ops.adapt_datetimefield_value(after.last_message_at),
         after.id], output_field=BooleanField()))


def _first_keys(slices: list[QuerySet[Conversation]], limit: int) -> list[tuple[int, Any, int]]:
    """The sort keys of the first ``limit`` rows of every slice, in one round trip: each
    slice is its own ordered, limited subquery (its own index range), joined by UNION ALL.
    """
    from django.core.exceptions import EmptyResultSet
    from django.db import connection

    parts: list[str] = []
    params: list[Any] = []
    for part in slices:
        try:
            sql, part_params = part.order_by(*QUEUE_ORDER).values_list(
                "priority", "last_message_at", "id")[:limit].query.sql_with_params()
        except EmptyResultSet:  # a slice that cannot match (a search that found nothing)
            continue
        parts.append(f"SELECT * FROM ({sql}) AS part{len(parts)}")  # noqa: S608 - Django's SQL
        params.extend(part_params)
    if not parts:
        return []
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        found: list[tuple[int, Any, int]] = cursor.fetchall()
    if connection.vendor == "sqlite":  # SQLite hands back text: make it an aware datetime
        convert = connection.ops.convert_datetimefield_value  # type: ignore[attr-defined]
        return [(p, convert(when, None, connection), pk) for p, when, pk in found]
    return found


def queue_page(listing: QueueListing, *, after: QueueCursor | None = None,
               size: int = 25) -> QueuePage:
    """One page of a queue: most urgent first, then newest activity, by keyset."""
    import heapq

    slices = [listing.conversations.filter(p) for p in listing.partitions] or [
        listing.conversations]
    keys = _first_keys([s if after is None else _after(s, after) for s in slices], size + 1)
    chosen = heapq.nlargest(size + 1, keys)
    more = len(chosen) > size
    chosen = chosen[:size]
    by_id = Conversation.objects.select_related(
        "organisation", "team", "assignee", "contact").in_bulk([pk for _p, _t, pk in chosen])
    found = [by_id[pk] for _p, _t, pk in chosen if pk in by_id]
    return QueuePage(conversations=found,
                     next_cursor=QueueCursor.of(found[-1]).encode() if more and found else "",
                     is_first=after is None)


LIVE_CAP = 99


def queue_new_since(conversations: QuerySet[Conversation], since: Any) -> int:
    """How many conversations of a queue had activity after ``since`` (up to LIVE_CAP + 1):
    one range scan of the last-message index, for the queue's live "N new" notice."""
    return conversations.filter(last_message_at__gt=since)[:LIVE_CAP + 1].count()


def messages_after(conversation: Conversation, message_id: int) -> list[Message]:
    """Messages of ``conversation`` newer than ``message_id`` (for the live page)."""
    return list(conversation_messages(conversation).filter(pk__gt=message_id).order_by("pk"))
