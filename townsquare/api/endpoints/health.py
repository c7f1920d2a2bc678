"""Account health and the ghost accounts report (read only; see townsquare.channels.health)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from townsquare.api.auth import TokenAuth
from townsquare.api.endpoints.directory import NetworkName
from townsquare.api.endpoints.organisations import ERRORS, MAX_ID
from townsquare.api.models import ApiScope
from townsquare.api.pagination import PageParams, decode_cursor, encode_cursor
from townsquare.channels import health
from townsquare.channels.health import AccountHealth, HealthSummary
from townsquare.organisations.selectors import organisation_get_for_user

router = Router(tags=["account health"])

READ = TokenAuth(ApiScope.READ_CHANNELS)
GhostClassName = Literal["followers_no_activity", "activity_no_replies", "no_audience_no_activity"]


class FollowerTrendOut(Schema):
    start: int | None = Field(description="Oldest follower count of the last 90 days.")
    start_day: dt.date | None
    current: int | None
    change: int | None
    percent: float | None = Field(description="Change as a percentage of ``start``.")


class HealthOut(Schema):
    account_id: int
    handle: str
    network: str
    organisation_id: int
    status: str
    last_post: dt.datetime | None
    last_reply: dt.datetime | None = Field(description="Last reply to a citizen.")
    posts_per_week: float = Field(description="Over the last 4 weeks.")
    replies_per_week: float = Field(description="Replies to citizens, over the last 4 weeks.")
    citizen_messages: int = Field(description="Received in the last 30 days.")
    answered: int = Field(description="Of those, how many were answered.")
    answered_share: float | None = Field(description="0 to 1; null when nobody wrote.")
    follower_trend: FollowerTrendOut
    days_idle: int = Field(description="Days since the account last posted or replied.")
    dormancy_score: int = Field(description="0 (lively) to 100 (dormant).")
    ghost_class: GhostClassName | None
    recommended_action: Literal["revive", "merge", "retire"] | None
    merge_into_account_id: int | None
    reasons: list[str]


class WeekOut(Schema):
    start: dt.date
    end: dt.date
    posts: int
    replies: int


class FollowerPointOut(Schema):
    day: dt.date
    followers: int


class AccountHealthOut(HealthOut):
    median_response_seconds: float | None = Field(
        description="Median time to the first answer, over the last 30 days."
    )
    weeks: list[WeekOut] = Field(description="Posts and replies per week, oldest first.")
    followers: list[FollowerPointOut] = Field(description="Daily counts, last 90 days.")


class GhostPage(Schema):
    items: list[HealthOut]
    next_cursor: str | None


class GhostFilter(Schema):
    organisation_id: int | None = Field(None, ge=1, le=MAX_ID,
                                        description="This organisation and those within it.")
    network: NetworkName | None = None
    classification: GhostClassName | None = None


def health_out(summary: HealthSummary) -> dict[str, Any]:
    account, trend = summary.account, summary.follower_trend
    return {
        "account_id": account.pk, "handle": account.handle, "network": account.network,
        "organisation_id": account.organisation_id, "status": account.status,
        "last_post": summary.last_post, "last_reply": summary.last_reply,
        "posts_per_week": summary.posts_per_week, "replies_per_week": summary.replies_per_week,
        "citizen_messages": summary.citizen_messages, "answered": summary.answered,
        "answered_share": summary.answered_share,
        "follower_trend": {"start": trend.start, "start_day": trend.start_day,
                           "current": trend.current, "change": trend.change,
                           "percent": trend.percent},
        "days_idle": summary.days_idle, "dormancy_score": summary.dormancy_score,
        "ghost_class": summary.ghost_class, "recommended_action": summary.action,
        "merge_into_account_id": summary.merge_into.pk if summary.merge_into else None,
        "reasons": [str(reason) for reason in summary.reasons],
    }


def account_health_out(result: AccountHealth) -> dict[str, Any]:
    return {
        **health_out(result.summary),
        "median_response_seconds": result.median_response_seconds,
        "weeks": [{"start": w.start, "end": w.end, "posts": w.posts, "replies": w.replies}
                  for w in result.weeks],
        "followers": [{"day": p.day, "followers": p.followers} for p in result.followers],
    }


@router.get("/accounts/{account_id}/health", response={200: AccountHealthOut, **ERRORS},
            auth=READ)
def get_account_health(request: HttpRequest, account_id: int) -> Any:
    """Activity, responsiveness and audience of one account, with its dormancy score."""
    if not 0 < account_id <= MAX_ID:
        raise Http404
    return account_health_out(health.account_health(request.user, account_id))


@router.get("/ghost-accounts", response={200: GhostPage, **ERRORS}, auth=READ)
def list_ghost_accounts(request: HttpRequest, filters: Query[GhostFilter],
                        page: Query[PageParams]) -> Any:
    """Accounts with followers but no activity, activity but no replies, or neither,
    each with a recommended action. In account id order (for stable pages)."""
    organisation = None
    if filters.organisation_id is not None:
        organisation = organisation_get_for_user(request.user, filters.organisation_id)
    ghosts = sorted(
        health.ghost_accounts(request.user, organisation=organisation,
                              network=filters.network or "",
                              classification=filters.classification or ""),
        key=lambda s: s.account.pk,
    )
    if page.cursor:
        after = decode_cursor(page.cursor)
        ghosts = [s for s in ghosts if s.account.pk > after]
    items = ghosts[: page.limit]
    more = len(ghosts) > page.limit
    return {"items": [health_out(s) for s in items],
            "next_cursor": encode_cursor(items[-1].account.pk) if more else None}
