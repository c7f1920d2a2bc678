"""The public directory of official accounts, and the account registry for staff."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.throttling import AnonRateThrottle

from townsquare.api.auth import TokenAuth
from townsquare.api.endpoints.organisations import ERRORS, MAX_ID
from townsquare.api.errors import ErrorOut
from townsquare.api.models import ApiScope
from townsquare.api.pagination import PageParams, paginate
from townsquare.api.schemas import CleanStr, PersonOut, person_out
from townsquare.channels.directory import directory_search
from townsquare.channels.models import Account
from townsquare.channels.selectors import account_get_for_user, accounts_visible_to
from townsquare.organisations.selectors import organisation_get_for_user

router = Router(tags=["official accounts"])

READ = TokenAuth(ApiScope.READ_CHANNELS)
PUBLIC_RATE_LIMIT = "300/m"
NetworkName = Literal[
    "mastodon", "bluesky", "x", "facebook", "instagram", "telegram", "whatsapp", "weibo",
    "wechat", "rss", "email", "sms",
]
StatusName = Literal["active", "dormant", "under_review", "retired"]
ConnectionName = Literal["not_connected", "connected", "expired", "revoked", "error"]
PUBLIC_ERRORS: dict[int, Any] = {422: ErrorOut, 429: ErrorOut}


class OrganisationRef(Schema):
    id: int
    slug: str
    name: str = Field(description="In the language asked for (Accept-Language).")
    default_name: str


class DirectoryEntryOut(Schema):
    id: int
    network: str
    network_label: str
    handle: str
    display_name: str
    url: str
    organisation: OrganisationRef
    languages: list[str]
    status: str = Field(description="active, dormant or under_review (retired ones are not "
                                    "listed).")
    official: bool = Field(True, description="Always true: only official accounts are listed.")


class DirectoryPage(Schema):
    items: list[DirectoryEntryOut]
    next_cursor: str | None


class DirectoryFilter(Schema):
    q: CleanStr = Field("", max_length=100, description="Name, handle or organisation.")
    network: NetworkName | None = None


class AccountOut(Schema):
    id: int
    organisation: OrganisationRef
    network: str
    handle: str
    display_name: str
    url: str
    responsible: PersonOut | None
    purpose: str
    languages: list[str]
    status: str
    connection_state: str
    connection_note: str
    listed_publicly: bool
    last_confirmed_at: dt.datetime | None
    review_due_at: dt.datetime | None
    followers: int | None


class AccountPage(Schema):
    items: list[AccountOut]
    next_cursor: str | None


class AccountFilter(Schema):
    network: NetworkName | None = None
    status: StatusName | None = None
    connection_state: ConnectionName | None = None
    organisation_id: int | None = Field(None, ge=1, le=MAX_ID,
                                        description="This organisation and those within it.")


def _organisation_ref(account: Account) -> dict[str, Any]:
    org = account.organisation
    return {"id": org.pk, "slug": org.slug, "name": org.localised("name"),
            "default_name": org.name}


def directory_entry_out(account: Account) -> dict[str, Any]:
    return {
        "id": account.pk, "network": account.network,
        "network_label": str(account.get_network_display()), "handle": account.handle,
        "display_name": account.display_name, "url": account.url,
        "organisation": _organisation_ref(account), "languages": list(account.languages or []),
        "status": account.status, "official": True,
    }


def account_out(account: Account) -> dict[str, Any]:
    """Registry fields only: credentials and adapter settings are never part of it."""
    return {
        "id": account.pk, "organisation": _organisation_ref(account),
        "network": account.network, "handle": account.handle,
        "display_name": account.display_name, "url": account.url,
        "responsible": person_out(account.responsible) if account.responsible else None,
        "purpose": account.purpose, "languages": list(account.languages or []),
        "status": account.status, "connection_state": account.connection_state,
        "connection_note": account.connection_note,
        "listed_publicly": account.listed_publicly,
        "last_confirmed_at": account.last_confirmed_at, "review_due_at": account.review_due_at,
        "followers": account.followers,
    }


@router.get("/directory", response={200: DirectoryPage, **PUBLIC_ERRORS}, auth=None,
            throttle=[AnonRateThrottle(PUBLIC_RATE_LIMIT)])
def directory(request: HttpRequest, filters: Query[DirectoryFilter],
              page: Query[PageParams]) -> Any:
    """Is this account really the government's? Public: no token needed. An account that
    is not listed here is not an official account."""
    accounts = directory_search(filters.q, filters.network or "")
    return paginate(accounts, page, directory_entry_out)


@router.get("/accounts", response={200: AccountPage, **ERRORS}, auth=READ)
def list_accounts(request: HttpRequest, filters: Query[AccountFilter],
                  page: Query[PageParams]) -> Any:
    accounts = accounts_visible_to(request.user)
    if filters.organisation_id is not None:
        organisation = organisation_get_for_user(request.user, filters.organisation_id)
        accounts = accounts.filter(organisation__path__startswith=organisation.path)
    if filters.network:
        accounts = accounts.filter(network=filters.network)
    if filters.status:
        accounts = accounts.filter(status=filters.status)
    if filters.connection_state:
        accounts = accounts.filter(connection_state=filters.connection_state)
    return paginate(accounts, page, account_out)


@router.get("/accounts/{account_id}", response={200: AccountOut, **ERRORS}, auth=READ)
def get_account(request: HttpRequest, account_id: int) -> Any:
    if not 0 < account_id <= MAX_ID:
        raise Http404
    return account_out(account_get_for_user(request.user, account_id))

