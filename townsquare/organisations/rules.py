"""Permission rules (django-rules). Object checks take an Organisation."""

from __future__ import annotations

import rules

from townsquare.organisations.models import Organisation, Role
from townsquare.organisations.selectors import (
    is_administrator_anywhere,
    organisations_visible_to,
    roles_of,
)


@rules.predicate
def can_see_organisation(user, organisation: Organisation | None) -> bool:
    if organisation is None:
        return False
    return organisations_visible_to(user).filter(pk=organisation.pk).exists()


@rules.predicate
def administers(user, organisation: Organisation | None) -> bool:
    return organisation is not None and Role.ADMINISTRATOR in roles_of(user, organisation)


@rules.predicate
def is_any_administrator(user) -> bool:
    return is_administrator_anywhere(user)


rules.add_perm("organisations.view_organisation", rules.is_authenticated & can_see_organisation)
rules.add_perm("organisations.change_organisation", administers)
rules.add_perm("organisations.add_child_organisation", administers)
rules.add_perm("organisations.manage_members", administers)
rules.add_perm("organisations.manage_teams", administers)
rules.add_perm("core.view_audit_log", is_any_administrator)
