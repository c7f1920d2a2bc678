"""Request and response shapes of the API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from ninja import Field, Schema
from pydantic import AfterValidator

from townsquare.core.text import validate_clean_text
from townsquare.organisations.models import Membership, Organisation, Team, User

LanguageCode = Literal["en", "ar", "zh-hans"]


def _clean_text(value: str) -> str:
    """No control characters or lone surrogates: they cannot be stored or shown safely."""
    try:
        validate_clean_text(value)
    except ValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from exc
    return value


CleanStr = Annotated[str, AfterValidator(_clean_text)]
RoleName = Literal[
    "administrator", "editor", "approver", "responder", "analyst", "records_officer"
]


class TranslationIn(Schema):
    name: CleanStr = Field("", max_length=200)


class PersonOut(Schema):
    id: int
    username: str
    display_name: str


class OrganisationOut(Schema):
    id: int
    kind: str
    name: str = Field(description="In the language asked for (Accept-Language).")
    default_name: str = Field(description="As entered, in the installation's default language.")
    short_name: str
    slug: str
    parent_id: int | None
    is_active: bool
    is_partner: bool
    translations: dict[str, dict[str, str]]


class TeamOut(Schema):
    id: int
    organisation_id: int
    name: str
    default_name: str
    description: str
    translations: dict[str, dict[str, str]]


class TeamIn(Schema):
    name: CleanStr = Field(min_length=1, max_length=120)
    description: CleanStr = Field("", max_length=1000)
    translations: dict[LanguageCode, TranslationIn] = Field(default_factory=dict)


class MembershipOut(Schema):
    id: int
    user: PersonOut
    organisation_id: int
    role: str
    team_id: int | None


class MembershipIn(Schema):
    username: CleanStr = Field(min_length=1, max_length=150)
    role: RoleName
    team_id: int | None = Field(None, ge=1, le=2**63 - 1)


class TokenInfo(Schema):
    name: str
    prefix: str
    scopes: list[str]
    expires_at: dt.datetime


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    language: str
    time_zone: str
    memberships: list[MembershipOut]
    token: TokenInfo


class AuditEventOut(Schema):
    id: int
    created_at: dt.datetime
    actor_label: str
    action: str
    organisation_id: int | None
    target_type: str
    target_id: str
    target_label: str
    ip_address: str | None
    details: dict[str, Any]


class OrganisationPage(Schema):
    items: list[OrganisationOut]
    next_cursor: str | None


class TeamPage(Schema):
    items: list[TeamOut]
    next_cursor: str | None


class MembershipPage(Schema):
    items: list[MembershipOut]
    next_cursor: str | None


class PersonPage(Schema):
    items: list[PersonOut]
    next_cursor: str | None


class AuditEventPage(Schema):
    items: list[AuditEventOut]
    next_cursor: str | None


def person_out(user: User) -> dict[str, Any]:
    return {"id": user.pk, "username": user.username, "display_name": user.display_name}


def organisation_out(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.pk, "kind": org.kind, "name": org.localised("name"), "default_name": org.name,
        "short_name": org.short_name, "slug": org.slug, "parent_id": org.parent_id,
        "is_active": org.is_active, "is_partner": org.is_partner,
        "translations": org.translations or {},
    }


def team_out(team: Team) -> dict[str, Any]:
    return {
        "id": team.pk, "organisation_id": team.organisation_id, "name": team.localised("name"),
        "default_name": team.name, "description": team.description,
        "translations": team.translations or {},
    }


def membership_out(membership: Membership) -> dict[str, Any]:
    return {
        "id": membership.pk, "user": person_out(membership.user),
        "organisation_id": membership.organisation_id, "role": membership.role,
        "team_id": membership.team_id,
    }
