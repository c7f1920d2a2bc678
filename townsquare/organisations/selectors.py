"""Reads of the organisation tree, always scoped to what the asking user may see.

Every view and API endpoint loads organisations, teams and people through these
functions, so no screen can forget the agency boundary. An object the user may not see
is reported as missing (404), never as forbidden, so ids do not leak.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404

from townsquare.organisations.models import Membership, Organisation, Role, Team, User


def _memberships(user: Any) -> list[Membership]:
    """The user's memberships, cached on the user object for one request."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached: list[Membership] | None = getattr(user, "_ts_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("organisation"))
        user._ts_memberships = cached
    return cached


def sees_everything(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return any(m.organisation.sees_all_organisations for m in _memberships(user))


def _subtree_filter(paths: set[str]) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(path__startswith=path)
    return condition


def organisations_visible_to(user: Any) -> QuerySet[Organisation]:
    """Organisations whose private data the user may see: their own and everything below."""
    if sees_everything(user):
        return Organisation.objects.all()
    paths = {m.organisation.path for m in _memberships(user)}
    if not paths:
        return Organisation.objects.none()
    return Organisation.objects.filter(_subtree_filter(paths))


def organisation_get_for_user(user: Any, organisation_id: Any) -> Organisation:
    try:
        return organisations_visible_to(user).get(pk=int(organisation_id))
    except (Organisation.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such organisation") from exc


def roles_of(user: Any, organisation: Organisation) -> set[str]:
    """Roles the user holds in ``organisation``: granted there or on an organisation above it."""
    if not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return {role.value for role in Role}
    return {m.role for m in _memberships(user) if organisation.path.startswith(m.organisation.path)}


def organisations_where(user: Any, role: str) -> QuerySet[Organisation]:
    """Organisations (with their subtrees) in which the user holds ``role``."""
    if getattr(user, "is_superuser", False):
        return Organisation.objects.all()
    paths = {m.organisation.path for m in _memberships(user) if m.role == role}
    if not paths:
        return Organisation.objects.none()
    return Organisation.objects.filter(_subtree_filter(paths))


def is_administrator_anywhere(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False)) or any(
        m.role == Role.ADMINISTRATOR for m in _memberships(user)
    )


def user_needs_mfa_setup(user: Any) -> bool:
    """True for an administrator or approver who has no second factor yet."""
    required = set(settings.MFA_REQUIRED_ROLES)
    if not required or not any(m.role in required for m in _memberships(user)):
        return False
    from allauth.mfa.models import Authenticator

    return not Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def teams_visible_to(user: Any) -> QuerySet[Team]:
    return Team.objects.filter(organisation__in=organisations_visible_to(user))


def team_get_for_user(user: Any, team_id: Any) -> Team:
    try:
        return teams_visible_to(user).select_related("organisation").get(pk=int(team_id))
    except (Team.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such team") from exc


def memberships_visible_to(user: Any) -> QuerySet[Membership]:
    return Membership.objects.filter(
        organisation__in=organisations_visible_to(user)
    ).select_related("user", "organisation", "team")


def membership_get_for_user(user: Any, membership_id: Any) -> Membership:
    try:
        return memberships_visible_to(user).get(pk=int(membership_id))
    except (Membership.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such membership") from exc


def users_visible_to(user: Any) -> QuerySet[User]:
    """Staff who hold a role somewhere the user can see (and the user themself)."""
    if sees_everything(user):
        return User.objects.filter(is_active=True)
    visible = organisations_visible_to(user)
    return User.objects.filter(Q(memberships__organisation__in=visible) | Q(pk=user.pk)).distinct()


def user_get_for_user(user: Any, user_id: Any) -> User:
    try:
        return users_visible_to(user).get(pk=int(user_id))
    except (User.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such person") from exc


def organisation_tree(organisations: QuerySet[Organisation]) -> list[tuple[Organisation, int]]:
    """Organisations in tree order with their depth, for indented lists."""
    return [(org, org.depth) for org in organisations.order_by("path")]


def public_organisations() -> QuerySet[Organisation]:
    """What the citizen site lists: active organisations (names and descriptions are public)."""
    return Organisation.objects.filter(is_active=True).order_by("path")
