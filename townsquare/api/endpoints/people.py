"""The signed-in token owner, the staff they can see, and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router

from townsquare.api.auth import TokenAuth, token_of
from townsquare.api.endpoints.organisations import ERRORS, MAX_ID
from townsquare.api.errors import ApiError
from townsquare.api.models import ApiScope
from townsquare.api.pagination import PageParams, paginate
from townsquare.api.schemas import (
    AuditEventOut,
    AuditEventPage,
    CleanStr,
    MeOut,
    PersonPage,
    membership_out,
    person_out,
)
from townsquare.core.models import AuditEvent
from townsquare.core.selectors import audit_events_filter, audit_events_visible_to
from townsquare.organisations.selectors import organisation_get_for_user, users_visible_to

router = Router(tags=["people"])
EARLIEST = dt.date(1970, 1, 1)
LATEST = dt.date(9999, 12, 30)


@router.get("/me", response={200: MeOut, **ERRORS}, auth=TokenAuth())
def me(request: HttpRequest) -> Any:
    user: Any = request.user
    token = token_of(request)
    memberships = user.memberships.select_related("user", "organisation").order_by("pk")
    return {
        **person_out(user),
        "language": user.language,
        "time_zone": user.time_zone,
        "memberships": [membership_out(m) for m in memberships],
        "token": {"name": token.name, "prefix": token.display_prefix, "scopes": token.scopes,
                  "expires_at": token.expires_at},
    }


@router.get("/people", response={200: PersonPage, **ERRORS},
            auth=TokenAuth(ApiScope.READ_PEOPLE))
def list_people(request: HttpRequest, page: Query[PageParams]) -> Any:
    return paginate(users_visible_to(request.user), page, person_out)


class AuditFilters(PageParams):
    q: CleanStr = Field("", max_length=200, description="Text in the object, action or actor.")
    action: CleanStr = Field("", max_length=80, description="Actions starting with this.")
    actor: CleanStr = Field("", max_length=200, description="Exact username of the actor.")
    organisation_id: int | None = Field(None, ge=1, le=MAX_ID)
    since: dt.date | None = Field(None, ge=EARLIEST, le=LATEST)
    until: dt.date | None = Field(None, ge=EARLIEST, le=LATEST)


def _audit_out(event: AuditEvent) -> dict[str, Any]:
    return AuditEventOut(
        id=event.pk, created_at=event.created_at, actor_label=event.actor_label,
        action=event.action, organisation_id=event.organisation_id,
        target_type=event.target_type, target_id=event.target_id,
        target_label=event.target_label, ip_address=event.ip_address,
        details=event.details if isinstance(event.details, dict) else {"value": event.details},
    ).model_dump()


@router.get("/audit-events", response={200: AuditEventPage, **ERRORS},
            auth=TokenAuth(ApiScope.READ_AUDIT))
def list_audit_events(request: HttpRequest, filters: Query[AuditFilters]) -> Any:
    """Newest first; the same events the console's audit log shows you."""
    if not request.user.has_perm("core.view_audit_log"):
        raise ApiError(403, "forbidden", _("Only administrators can read the audit log."))
    if filters.organisation_id is not None:
        organisation_get_for_user(request.user, filters.organisation_id)
    events = audit_events_filter(
        audit_events_visible_to(request.user),
        text=filters.q, action=filters.action, actor=filters.actor,
        organisation_id=filters.organisation_id, since=filters.since, until=filters.until,
    )
    return paginate(events, filters, _audit_out, newest_first=True)
