"""Organisations, their teams and the roles people hold in them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from townsquare.api.auth import TokenAuth
from townsquare.api.errors import ErrorOut
from townsquare.api.models import ApiScope
from townsquare.api.pagination import PageParams, paginate
from townsquare.api.schemas import (
    MembershipIn,
    MembershipOut,
    MembershipPage,
    OrganisationOut,
    OrganisationPage,
    TeamIn,
    TeamOut,
    TeamPage,
    membership_out,
    organisation_out,
    team_out,
)
from townsquare.organisations.selectors import (
    membership_get_for_user,
    memberships_visible_to,
    organisation_get_for_user,
    organisations_visible_to,
    team_get_for_user,
    users_visible_to,
)
from townsquare.organisations.services import membership_grant, membership_revoke, team_create

router = Router(tags=["organisations"])

READ = TokenAuth(ApiScope.READ_ORGANISATIONS)
WRITE = TokenAuth(ApiScope.WRITE_ORGANISATIONS)
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut,
                          429: ErrorOut}
# A body that is not JSON at all cannot be parsed: 400 rather than 422.
BODY_ERRORS: dict[int, Any] = {400: ErrorOut, **ERRORS}
# Path ids are bounded so that no database integer overflows on a huge number.
MAX_ID = 2**63 - 1


def _check_id(value: int) -> int:
    from django.http import Http404

    if not 0 < value <= MAX_ID:
        raise Http404
    return value


@router.get("/organisations", response={200: OrganisationPage, **ERRORS}, auth=READ)
def list_organisations(request: HttpRequest, page: Query[PageParams]) -> Any:
    return paginate(organisations_visible_to(request.user), page, organisation_out)


@router.get("/organisations/{organisation_id}", response={200: OrganisationOut, **ERRORS},
            auth=READ)
def get_organisation(request: HttpRequest, organisation_id: int) -> Any:
    return organisation_out(organisation_get_for_user(request.user, _check_id(organisation_id)))


@router.get("/organisations/{organisation_id}/teams", response={200: TeamPage, **ERRORS},
            auth=READ)
def list_teams(request: HttpRequest, organisation_id: int, page: Query[PageParams]) -> Any:
    organisation = organisation_get_for_user(request.user, _check_id(organisation_id))
    return paginate(organisation.teams.all(), page, team_out)


@router.post("/organisations/{organisation_id}/teams", response={201: TeamOut, **BODY_ERRORS},
             auth=WRITE)
def create_team(request: HttpRequest, organisation_id: int, payload: TeamIn) -> Any:
    organisation = organisation_get_for_user(request.user, _check_id(organisation_id))
    translations: dict[str, dict[str, str]] = {
        language: {k: v for k, v in fields.model_dump().items() if v}
        for language, fields in payload.translations.items()
    }
    team = team_create(actor=request.user, organisation=organisation,  # type: ignore[arg-type]
                       name=payload.name, description=payload.description,
                       translations=translations)
    return Status(201, team_out(team))


@router.get("/organisations/{organisation_id}/members", response={200: MembershipPage, **ERRORS},
            auth=READ)
def list_members(request: HttpRequest, organisation_id: int, page: Query[PageParams]) -> Any:
    organisation = organisation_get_for_user(request.user, _check_id(organisation_id))
    memberships = memberships_visible_to(request.user).filter(organisation=organisation)
    return paginate(memberships, page, membership_out)


@router.post("/organisations/{organisation_id}/members",
             response={201: MembershipOut, 200: MembershipOut, **BODY_ERRORS}, auth=WRITE)
def grant_membership(request: HttpRequest, organisation_id: int, payload: MembershipIn) -> Any:
    """Grant a role to someone you can already see (by username); 200 if they had it."""
    actor = request.user
    organisation = organisation_get_for_user(actor, _check_id(organisation_id))
    person = users_visible_to(actor).filter(username=payload.username).first()
    if person is None:
        from django.http import Http404

        raise Http404
    team = team_get_for_user(actor, payload.team_id) if payload.team_id is not None else None
    existed = memberships_visible_to(actor).filter(
        user=person, organisation=organisation, role=payload.role
    ).exists()
    membership = membership_grant(actor=actor, user=person,  # type: ignore[arg-type]
                                  organisation=organisation, role=payload.role, team=team)
    return Status(200 if existed else 201, membership_out(membership))


@router.delete("/memberships/{membership_id}", response={204: None, **ERRORS}, auth=WRITE)
def revoke_membership(request: HttpRequest, membership_id: int) -> Any:
    membership = membership_get_for_user(request.user, _check_id(membership_id))
    membership_revoke(actor=request.user, membership=membership)  # type: ignore[arg-type]
    return Status(204, None)
