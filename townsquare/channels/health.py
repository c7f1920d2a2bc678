"""Account health and ghost accounts: read-only, scoped to the asking user.

Definitions (an account's own items are the InboundItems with ``is_own=True``):

- *post*: an own item that does not answer a citizen (a thread continuation counts as a post);
- *reply to a citizen*: an own item whose ``in_reply_to`` is the remote id of a citizen item
  (``is_own=False``) of the same account;
- *citizen message*: a citizen item addressed to the account (mention, comment, reply or
  direct message; public posts found by search are not messages);
- a citizen message is *answered* when an own item replies to it; its *response time* is
  the time from the message to the first such reply.

Time of an item: when the network says it was written, else when Townsquare first saw it.
Windows are whole days in the installation's time zone, today included: posts and replies
per week over the last 4 weeks, answered share and median response time over the last 30
days, follower trend over the last 90 days of snapshots.

Dormancy score, 0 (lively) to 100 (dormant), the sum of four parts:

- recency, up to 40: 40 × min(days since the last own item, D) / D, D =
  ``dormant_after_days`` (counted from registration in Townsquare when nothing was ever seen);
- frequency, up to 25: 25 × max(0, 1 − own items per week / ``expected_posts_per_week``);
- responsiveness, up to 20: 20 × (1 − answered share); 10 when no citizen wrote;
- audience, up to 15: 15 × max(0, 1 − log10(followers + 1) / 4); 15 when unknown.

Ghost classes (retired accounts are never ghosts):

- *followers but no activity*: at least ``ghost_min_followers`` followers and no own item
  for ``ghost_idle_days`` days;
- *no audience and no activity*: the same silence with fewer followers (or none known);
- *activity but no replies*: own items in the last 4 weeks, at least
  ``ghost_min_citizen_messages`` citizen messages in 30 days and fewer than
  ``ghost_min_answered_share`` of them answered.

The thresholds named in ``code`` are settings (``settings.CHANNEL_HEALTH``, from the
HEALTH_* environment variables: see channels/health_config.py and the README).

Recommended action: *retire* an account with no audience and no activity; *merge* a ghost
into a lively active account of the same organisation on the same network (or with the
same stated purpose); otherwise *revive* it (its owner posts and answers again).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from townsquare.channels.adapters.base import ItemKind
from townsquare.channels.health_config import HealthThresholds
from townsquare.channels.models import (
    Account,
    AccountMetricSnapshot,
    AccountStatus,
    InboundItem,
)
from townsquare.channels.selectors import account_get_for_user, accounts_visible_to

ACTIVITY_WEEKS = 4
RESPONSE_WINDOW_DAYS = 30
FOLLOWER_WINDOW_DAYS = 90
CHART_WEEKS = 12
MESSAGE_KINDS = [k.value for k in ItemKind if k != ItemKind.POST]


def thresholds() -> HealthThresholds:
    """Read at each use, so a test (or a settings override) changes them at once."""
    limits: HealthThresholds = settings.CHANNEL_HEALTH
    return limits


class GhostClass(models.TextChoices):
    FOLLOWERS_NO_ACTIVITY = "followers_no_activity", gettext_lazy("Followers but no activity")
    ACTIVITY_NO_REPLIES = "activity_no_replies", gettext_lazy("Activity but no replies")
    NO_AUDIENCE_NO_ACTIVITY = "no_audience_no_activity", gettext_lazy(
        "No audience and no activity"
    )


class Action(models.TextChoices):
    REVIVE = "revive", gettext_lazy("Revive")
    MERGE = "merge", gettext_lazy("Merge")
    RETIRE = "retire", gettext_lazy("Retire")


@dataclass(frozen=True)
class FollowerTrend:
    start: int | None
    start_day: dt.date | None
    current: int | None
    change: int | None
    percent: float | None


@dataclass
class HealthSummary:
    account: Account
    last_post: dt.datetime | None
    last_reply: dt.datetime | None
    posts_per_week: float
    replies_per_week: float
    citizen_messages: int
    answered: int
    answered_share: float | None
    follower_trend: FollowerTrend
    days_idle: int
    dormancy_score: int
    ghost_class: str | None = None
    action: str | None = None
    merge_into: Account | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def ghost_label(self) -> str:
        return str(GhostClass(self.ghost_class).label) if self.ghost_class else ""

    @property
    def action_label(self) -> str:
        return str(Action(self.action).label) if self.action else ""

    @property
    def answered_percent(self) -> float | None:
        return None if self.answered_share is None else round(self.answered_share * 100, 1)


@dataclass(frozen=True)
class WeekPoint:
    start: dt.date
    end: dt.date
    posts: int
    replies: int


@dataclass(frozen=True)
class FollowerPoint:
    day: dt.date
    followers: int


@dataclass
class AccountHealth:
    summary: HealthSummary
    median_response_seconds: float | None
    weeks: list[WeekPoint]
    followers: list[FollowerPoint]


# --- Building blocks (also used by the snapshot service) ------------------------------


def item_time() -> Coalesce:
    return Coalesce("remote_created_at", "first_seen_at", output_field=DateTimeField())


def _is_reply_to_citizen() -> Exists:
    return Exists(
        InboundItem.objects.filter(
            network=OuterRef("network"),
            remote_id=OuterRef("in_reply_to"),
            account=OuterRef("account"),
            is_own=False,
        )
    )


def _own_replies_to(outer: str = "remote_id") -> QuerySet[InboundItem]:
    return InboundItem.objects.filter(
        network=OuterRef("network"),
        account=OuterRef("account"),
        in_reply_to=OuterRef(outer),
        is_own=True,
        has_content=True,
    )


def own_items() -> QuerySet[InboundItem]:
    """Own items, each with ``at`` and ``to_citizen`` (True for a reply to a citizen)."""
    return (
        InboundItem.objects.filter(is_own=True, has_content=True)
        .annotate(at=item_time(), to_citizen=_is_reply_to_citizen())
        .order_by()
    )


def citizen_messages() -> QuerySet[InboundItem]:
    """Citizen messages, each with ``at`` and ``is_answered``."""
    return (
        InboundItem.objects.filter(is_own=False, has_content=True, kind__in=MESSAGE_KINDS)
        .annotate(at=item_time(), is_answered=Exists(_own_replies_to()))
        .order_by()
    )


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _days_back(now: dt.datetime, days: int) -> dt.datetime:
    """The start of the window of ``days`` whole days that ends today."""
    return day_start(timezone.localdate(now) - dt.timedelta(days=days - 1))


# --- The score and the classes ---------------------------------------------------------


def dormancy_score(
    *,
    days_idle: int,
    items_per_week: float,
    answered_share: float | None,
    followers: int | None,
) -> int:
    """0 (lively) to 100 (dormant); the formula is in the module docstring."""
    limits = thresholds()
    horizon = limits.dormant_after_days
    recency = 40 * min(max(days_idle, 0), horizon) / horizon
    frequency = 25 * max(0.0, 1 - items_per_week / limits.expected_posts_per_week)
    responsiveness = 10.0 if answered_share is None else 20 * (1 - answered_share)
    if followers is None:
        audience = 15.0
    else:
        audience = 15 * max(0.0, 1 - math.log10(max(followers, 0) + 1) / 4)
    return round(recency + frequency + responsiveness + audience)


def ghost_class_of(
    *,
    days_idle: int,
    followers: int | None,
    own_items_recent: int,
    citizen_messages: int,
    answered_share: float | None,
) -> str | None:
    limits = thresholds()
    if days_idle >= limits.ghost_idle_days:
        if followers is not None and followers >= limits.ghost_min_followers:
            return GhostClass.FOLLOWERS_NO_ACTIVITY
        return GhostClass.NO_AUDIENCE_NO_ACTIVITY
    if (
        own_items_recent > 0
        and citizen_messages >= limits.ghost_min_citizen_messages
        and answered_share is not None
        and answered_share < limits.ghost_min_answered_share
    ):
        return GhostClass.ACTIVITY_NO_REPLIES
    return None


def _purpose_key(account: Account) -> str:
    return " ".join(account.purpose.split()).casefold()


def _merge_target(summary: HealthSummary, lively: list[Account]) -> Account | None:
    account = summary.account
    same_org = [a for a in lively if a.organisation_id == account.organisation_id
                and a.pk != account.pk]
    for other in same_org:
        if other.network == account.network:
            return other
    key = _purpose_key(account)
    for other in same_org:
        if key and _purpose_key(other) == key:
            return other
    return None


def _recommend(summary: HealthSummary, lively: list[Account]) -> None:
    account = summary.account
    if summary.ghost_class is None:
        return
    if summary.ghost_class == GhostClass.NO_AUDIENCE_NO_ACTIVITY:
        summary.action = Action.RETIRE
        summary.reasons.append(_("Nobody follows it and nothing was posted: retire it."))
        return
    target = _merge_target(summary, lively)
    if target is not None:
        summary.action, summary.merge_into = Action.MERGE, target
        summary.reasons.append(
            _("Another active account of the same organisation does the same job: "
              "point its audience there and merge.")
        )
        return
    summary.action = Action.REVIVE
    if summary.ghost_class == GhostClass.ACTIVITY_NO_REPLIES:
        summary.reasons.append(_("Citizens write to it but hardly anyone answers."))
    else:
        summary.reasons.append(_("It has an audience: post again and answer citizens."))
    if account.responsible is None or not account.responsible.is_active:
        summary.reasons.append(_("Name a responsible staff member first."))


# --- Queries ---------------------------------------------------------------------------


def _with_follower_trend(accounts: QuerySet[Account], now: dt.datetime) -> QuerySet[Account]:
    since = timezone.localdate(now) - dt.timedelta(days=FOLLOWER_WINDOW_DAYS - 1)
    known = AccountMetricSnapshot.objects.filter(
        account=OuterRef("pk"), day__gte=since, followers__isnull=False
    )
    return accounts.annotate(
        followers_start=Subquery(known.order_by("day").values("followers")[:1]),
        followers_start_day=Subquery(known.order_by("day").values("day")[:1]),
        followers_latest=Subquery(known.order_by("-day").values("followers")[:1]),
    )


def _summaries(accounts: QuerySet[Account], now: dt.datetime) -> list[HealthSummary]:
    """Health of every account in ``accounts``: a fixed number of grouped queries."""
    activity_since = _days_back(now, ACTIVITY_WEEKS * 7)
    response_since = _days_back(now, RESPONSE_WINDOW_DAYS)
    ids = accounts.values("pk")
    own: dict[int, dict[str, Any]] = {
        row["account_id"]: dict(row)
        for row in own_items()
        .filter(account__in=ids)
        .values("account_id")
        .annotate(
            last_post=Max("at", filter=Q(to_citizen=False)),
            last_reply=Max("at", filter=Q(to_citizen=True)),
            posts=Count("pk", filter=Q(to_citizen=False, at__gte=activity_since, at__lte=now)),
            replies=Count("pk", filter=Q(to_citizen=True, at__gte=activity_since, at__lte=now)),
        )
    }
    messages: dict[int, dict[str, Any]] = {
        row["account_id"]: dict(row)
        for row in citizen_messages()
        .filter(Q(at__gte=response_since, at__lte=now), account__in=ids)
        .values("account_id")
        .annotate(total=Count("pk"), answered=Count("pk", filter=Q(is_answered=True)))
    }
    summaries = []
    for account in _with_follower_trend(accounts, now):
        mine: dict[str, Any] = own.get(account.pk, {})
        received: dict[str, Any] = messages.get(account.pk, {})
        summaries.append(_summary(account, mine, received, now))
    lively = [
        s.account for s in summaries
        if s.account.status == AccountStatus.ACTIVE and s.ghost_class is None
        and s.days_idle < thresholds().ghost_idle_days
    ]
    for summary in summaries:
        _recommend(summary, lively)
    return summaries


def _summary(
    account: Account, mine: dict[str, Any], received: dict[str, Any], now: dt.datetime
) -> HealthSummary:
    last_post, last_reply = mine.get("last_post"), mine.get("last_reply")
    posts, replies = mine.get("posts", 0), mine.get("replies", 0)
    total, answered = received.get("total", 0), received.get("answered", 0)
    share = answered / total if total else None
    latest = max((t for t in (last_post, last_reply) if t is not None), default=None)
    days_idle = max(0, (now - (latest or account.created_at)).days)
    start = getattr(account, "followers_start", None)
    current = account.followers if account.followers is not None else getattr(
        account, "followers_latest", None
    )
    change = current - start if current is not None and start is not None else None
    trend = FollowerTrend(
        start=start,
        start_day=getattr(account, "followers_start_day", None),
        current=current,
        change=change,
        percent=round(100 * change / start, 1) if change is not None and start else None,
    )
    summary = HealthSummary(
        account=account,
        last_post=last_post,
        last_reply=last_reply,
        posts_per_week=posts / ACTIVITY_WEEKS,
        replies_per_week=replies / ACTIVITY_WEEKS,
        citizen_messages=total,
        answered=answered,
        answered_share=share,
        follower_trend=trend,
        days_idle=days_idle,
        dormancy_score=dormancy_score(
            days_idle=days_idle,
            items_per_week=(posts + replies) / ACTIVITY_WEEKS,
            answered_share=share,
            followers=current,
        ),
    )
    if account.status != AccountStatus.RETIRED:
        summary.ghost_class = ghost_class_of(
            days_idle=days_idle,
            followers=current,
            own_items_recent=posts + replies,
            citizen_messages=total,
            answered_share=share,
        )
    return summary


def median_response_seconds(account: Account, now: dt.datetime) -> float | None:
    """Median time to the first answer, over answered citizen messages of the window.

    Portable: the database sorts the delays and only the middle one or two are read.
    """
    first_reply_at = Subquery(
        _own_replies_to().annotate(at=item_time()).order_by("at").values("at")[:1],
        output_field=DateTimeField(),
    )
    delays = (
        citizen_messages()
        .filter(Q(at__gte=_days_back(now, RESPONSE_WINDOW_DAYS), at__lte=now), account=account)
        .annotate(first_reply_at=first_reply_at)
        .filter(first_reply_at__isnull=False, first_reply_at__gte=F("at"))
        .annotate(delay=ExpressionWrapper(F("first_reply_at") - F("at"),
                                          output_field=DurationField()))
        .order_by("delay", "pk")
    )
    count = delays.count()
    if not count:
        return None
    middle = list(delays.values_list("delay", flat=True)[(count - 1) // 2: count // 2 + 1])
    return sum(d.total_seconds() for d in middle) / len(middle)


def weekly_activity(
    account: Account, now: dt.datetime, weeks: int = CHART_WEEKS
) -> list[WeekPoint]:
    """Posts and replies per week, oldest first; week 0 ends today."""
    today = timezone.localdate(now)
    rows = (
        own_items()
        .filter(Q(at__gte=_days_back(now, weeks * 7), at__lte=now), account=account)
        .annotate(day=TruncDate("at"))
        .values("day", "to_citizen")
        .annotate(n=Count("pk"))
    )
    posts, replies = [0] * weeks, [0] * weeks
    for row in rows:  # at most 2 rows per day of the window
        index = (today - row["day"]).days // 7
        if 0 <= index < weeks:
            (replies if row["to_citizen"] else posts)[index] += row["n"]
    return [
        WeekPoint(
            start=today - dt.timedelta(days=7 * i + 6),
            end=today - dt.timedelta(days=7 * i),
            posts=posts[i],
            replies=replies[i],
        )
        for i in reversed(range(weeks))
    ]


def follower_history(account: Account, now: dt.datetime) -> list[FollowerPoint]:
    since = timezone.localdate(now) - dt.timedelta(days=FOLLOWER_WINDOW_DAYS - 1)
    return [
        FollowerPoint(day, followers)
        for day, followers in AccountMetricSnapshot.objects.filter(
            account=account, day__gte=since, followers__isnull=False
        )
        .order_by("day")
        .values_list("day", "followers")
        if followers is not None
    ]


# --- What views and the API call --------------------------------------------------------


def _context_accounts(account: Account) -> QuerySet[Account]:
    """The account and its organisation's others (needed to recommend a merge)."""
    return Account.objects.filter(organisation=account.organisation).select_related(
        "organisation", "responsible"
    )


def account_health(user: Any, account_id: Any, *, now: dt.datetime | None = None) -> AccountHealth:
    """Full health of one account the user can see (404 otherwise)."""
    now = now or timezone.now()
    account = account_get_for_user(user, account_id)
    summaries = _summaries(_context_accounts(account), now)
    summary = next(s for s in summaries if s.account.pk == account.pk)
    return AccountHealth(
        summary=summary,
        median_response_seconds=median_response_seconds(account, now),
        weeks=weekly_activity(account, now),
        followers=follower_history(account, now),
    )


def accounts_health(user: Any, *, now: dt.datetime | None = None) -> list[HealthSummary]:
    """Health of every account the user can see, most dormant first."""
    summaries = _summaries(accounts_visible_to(user), now or timezone.now())
    return sorted(summaries, key=lambda s: (-s.dormancy_score, s.account.pk))


def ghost_accounts(
    user: Any,
    *,
    now: dt.datetime | None = None,
    organisation: Any = None,
    network: str = "",
    classification: str = "",
) -> list[HealthSummary]:
    """The ghost accounts the user can see, most dormant first, optionally filtered."""
    found = []
    for summary in accounts_health(user, now=now):
        account = summary.account
        if summary.ghost_class is None:
            continue
        if organisation is not None and not account.organisation.path.startswith(
            organisation.path
        ):
            continue
        if network and account.network != network:
            continue
        if classification and summary.ghost_class != classification:
            continue
        found.append(summary)
    return found
