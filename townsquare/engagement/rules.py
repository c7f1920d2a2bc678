"""Who may build and run surveys and polls: administrators and editors of the
organisation (or one above it). Everyone who can see the organisation may read results."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from townsquare.organisations.models import Organisation, Role
from townsquare.organisations.selectors import organisations_where, roles_of

MANAGER_ROLES = frozenset({Role.ADMINISTRATOR, Role.EDITOR})


def can_manage(user: Any, organisation: Organisation) -> bool:
    return bool(roles_of(user, organisation) & MANAGER_ROLES)


def managed_organisations(user: Any) -> QuerySet[Organisation]:
    ids: set[int] = set()
    for role in MANAGER_ROLES:
        ids.update(organisations_where(user, role).values_list("pk", flat=True))
    return Organisation.objects.filter(pk__in=ids, is_active=True)
