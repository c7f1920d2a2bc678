"""Who may compose, approve and publish in an emergency, per organisation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from townsquare.channels.models import Account, AccountStatus
from townsquare.organisations.models import Membership, Organisation, Role
from townsquare.organisations.selectors import organisations_where, roles_of
from townsquare.publishing.models import ApprovalPolicy, Post

COMPOSER_ROLES = frozenset({Role.ADMINISTRATOR, Role.EDITOR})
DEFAULT_LEVEL_ONE_ROLES = (Role.ADMINISTRATOR, Role.APPROVER)
DEFAULT_LEVEL_TWO_ROLES = (Role.ADMINISTRATOR,)


def can_compose(user: Any, organisation: Organisation) -> bool:
    return bool(roles_of(user, organisation) & COMPOSER_ROLES)


def composing_organisations(user: Any) -> QuerySet[Organisation]:
    """Organisations the user may write posts for (with everything below them)."""
    ids: set[int] = set()
    for role in COMPOSER_ROLES:
        ids.update(organisations_where(user, role).values_list("pk", flat=True))
    return Organisation.objects.filter(pk__in=ids, is_active=True)


def publishable_accounts(user: Any) -> QuerySet[Account]:
    """Accounts the user may put in a post: of organisations they compose for.

    Composers of the whole-of-government communications office may share a post to any
    agency's accounts (a campaign across government).
    """
    accounts = Account.objects.exclude(status=AccountStatus.RETIRED).select_related("organisation")
    if not getattr(user, "is_authenticated", False):
        return accounts.none()
    central = Membership.objects.filter(
        user_id=user.pk,
        role__in=COMPOSER_ROLES,
        organisation__sees_all_organisations=True,
    ).exists()
    if central or getattr(user, "is_superuser", False):
        return accounts
    return accounts.filter(organisation__in=composing_organisations(user))


def policy_for(organisation: Organisation) -> ApprovalPolicy:
    """The organisation's policy, or the nearest one above it, or the default (one level)."""
    ancestors = [int(pk) for pk in organisation.path.strip("/").split("/") if pk]
    found = {
        p.organisation_id: p
        for p in ApprovalPolicy.objects.filter(organisation_id__in=ancestors or [organisation.pk])
    }
    for pk in reversed(ancestors or [organisation.pk]):
        if pk in found:
            return found[pk]
    return ApprovalPolicy(
        organisation=organisation,
        levels=1,
        level_one_roles=list(DEFAULT_LEVEL_ONE_ROLES),
        level_two_roles=list(DEFAULT_LEVEL_TWO_ROLES),
    )


def roles_for_level(policy: ApprovalPolicy, level: int) -> set[str]:
    if level == 1:
        return set(policy.level_one_roles or DEFAULT_LEVEL_ONE_ROLES)
    return set(policy.level_two_roles or DEFAULT_LEVEL_TWO_ROLES)


def can_approve_at(user: Any, post: Post, level: int) -> bool:
    policy = policy_for(post.organisation)
    return bool(roles_of(user, post.organisation) & roles_for_level(policy, level))


def can_approve_any(user: Any, post: Post) -> bool:
    return any(can_approve_at(user, post, level) for level in (1, 2))


def can_publish_in_emergency(user: Any, organisation: Organisation) -> bool:
    return bool(roles_of(user, organisation) & set(settings.PUBLISHING_EMERGENCY_ROLES))
