"""Who may do what in the inbox. Seeing a conversation is not enough to act on it: an
analyst of the communications office sees every conversation but answers none."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from townsquare.organisations.models import Organisation, Role
from townsquare.organisations.selectors import roles_of

WORK_ROLES = frozenset({Role.ADMINISTRATOR, Role.EDITOR, Role.RESPONDER})


def can_work_in(user: Any, organisation: Organisation) -> bool:
    return bool(roles_of(user, organisation) & WORK_ROLES)


def check_can_work_in(user: Any, organisation: Organisation) -> None:
    if not can_work_in(user, organisation):
        raise PermissionDenied("You may not work on this organisation's conversations.")


def can_manage_inbox_settings(user: Any, organisation: Organisation) -> bool:
    return Role.ADMINISTRATOR in roles_of(user, organisation)


def check_can_manage_inbox_settings(user: Any, organisation: Organisation) -> None:
    if not can_manage_inbox_settings(user, organisation):
        raise PermissionDenied("Only administrators change routing rules and canned replies.")
