"""Saved queries: create, change, delete. Only staff who may manage listening for the
organisation can; every change is audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from townsquare.channels.models import NETWORK_LABELS
from townsquare.core.services import audit_record
from townsquare.listening.errors import query_error_message
from townsquare.listening.models import LANGUAGE_FILTER_CHOICES, SavedQuery
from townsquare.listening.query import QueryError, parse
from townsquare.organisations.models import Organisation, Role, User
from townsquare.organisations.selectors import roles_of

MANAGER_ROLES = {Role.ADMINISTRATOR, Role.EDITOR, Role.ANALYST}
LANGUAGE_CODES = {code for code, _label in LANGUAGE_FILTER_CHOICES}


def can_manage_queries(user: Any, organisation: Organisation) -> bool:
    return bool(roles_of(user, organisation) & MANAGER_ROLES)


def check_can_manage_queries(user: Any, organisation: Organisation) -> None:
    if not can_manage_queries(user, organisation):
        raise PermissionDenied(_("You cannot manage listening queries for this organisation."))


def _clean(
    *, name: str, query: str, languages: list[str], networks: list[str]
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the query a name.")]
    elif len(name) > 120:
        errors["name"] = [_("A name may be at most 120 characters long.")]
    try:
        parse(query)
    except QueryError as exc:
        errors["query"] = [query_error_message(exc, query if isinstance(query, str) else "")]
    bad_languages = [code for code in languages if code not in LANGUAGE_CODES]
    if bad_languages:
        errors["languages"] = [
            _("Unknown language: %(codes)s.") % {"codes": ", ".join(bad_languages)}
        ]
    known_networks = {n.value for n in NETWORK_LABELS}
    bad_networks = [code for code in networks if code not in known_networks]
    if bad_networks:
        errors["networks"] = [
            _("Unknown network: %(codes)s.") % {"codes": ", ".join(bad_networks)}
        ]
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "query": query.strip(),
        "languages": sorted(set(languages)),
        "networks": sorted(set(networks)),
    }


def saved_query_create(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    query: str,
    languages: list[str] | None = None,
    networks: list[str] | None = None,
    search_networks: bool = False,
    active: bool = True,
) -> SavedQuery:
    check_can_manage_queries(actor, organisation)
    fields = _clean(name=name, query=query, languages=languages or [], networks=networks or [])
    try:
        with transaction.atomic():
            saved = SavedQuery.objects.create(
                organisation=organisation,
                created_by=actor,
                search_networks=search_networks,
                active=active,
                **fields,
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"name": [_("This organisation already has a query with this name.")]}
        ) from exc
    audit_record(
        actor=actor, action="listening.query_created", organisation=organisation, target=saved,
        details={"query": saved.query},
    )
    return saved


def saved_query_update(
    *,
    actor: User,
    saved_query: SavedQuery,
    name: str,
    query: str,
    languages: list[str] | None = None,
    networks: list[str] | None = None,
    search_networks: bool = False,
    active: bool = True,
) -> SavedQuery:
    check_can_manage_queries(actor, saved_query.organisation)
    fields = _clean(name=name, query=query, languages=languages or [], networks=networks or [])
    before = {"query": saved_query.query, "active": saved_query.active}
    for key, value in {**fields, "search_networks": search_networks, "active": active}.items():
        setattr(saved_query, key, value)
    try:
        with transaction.atomic():
            saved_query.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"name": [_("This organisation already has a query with this name.")]}
        ) from exc
    audit_record(
        actor=actor, action="listening.query_updated", organisation=saved_query.organisation,
        target=saved_query,
        details={"before": before, "after": {"query": saved_query.query, "active": active}},
    )
    return saved_query


def saved_query_delete(*, actor: User, saved_query: SavedQuery) -> None:
    check_can_manage_queries(actor, saved_query.organisation)
    audit_record(
        actor=actor, action="listening.query_deleted", organisation=saved_query.organisation,
        target=saved_query, details={"query": saved_query.query},
    )
    saved_query.delete()
