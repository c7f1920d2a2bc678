"""An organisation's publishing settings: approval chain, campaigns and saved hashtags."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from townsquare.core.services import audit_record
from townsquare.core.text import validate_clean_text
from townsquare.organisations.models import Organisation, Role, User
from townsquare.organisations.selectors import roles_of
from townsquare.publishing.models import ApprovalPolicy, Campaign, SavedHashtag

# Roles that may approve at all (responders and analysts never review posts).
APPROVING_ROLES = (Role.ADMINISTRATOR, Role.APPROVER, Role.EDITOR)


def check_administers(actor: User, organisation: Organisation) -> None:
    if Role.ADMINISTRATOR not in roles_of(actor, organisation):
        raise PermissionDenied


@transaction.atomic
def approval_policy_set(
    *,
    actor: User,
    organisation: Organisation,
    levels: int,
    level_one_roles: Sequence[str],
    level_two_roles: Sequence[str] = (),
) -> ApprovalPolicy:
    check_administers(actor, organisation)
    errors: dict[str, list[str]] = {}
    if levels not in (0, 1, 2):
        errors.setdefault("levels", []).append(_("Choose none, one or two levels."))
    for field, roles, needed in (("level_one_roles", level_one_roles, levels >= 1),
                                 ("level_two_roles", level_two_roles, levels >= 2)):
        if any(role not in APPROVING_ROLES for role in roles):
            errors.setdefault(field, []).append(_("Only administrators, approvers and "
                                                  "editors can approve posts."))
        if needed and not roles:
            errors.setdefault(field, []).append(_("Choose who approves at this level."))
    if errors:
        raise ValidationError(errors)
    policy, _created = ApprovalPolicy.objects.select_for_update().get_or_create(
        organisation=organisation
    )
    policy.levels = levels
    policy.level_one_roles = list(level_one_roles) if levels >= 1 else []
    policy.level_two_roles = list(level_two_roles) if levels >= 2 else []
    policy.save()
    audit_record(actor=actor, action="publishing.policy_set", organisation=organisation,
                 target=policy, details={"levels": levels, "level_one": policy.level_one_roles,
                                         "level_two": policy.level_two_roles})
    return policy


@transaction.atomic
def campaign_create(*, actor: User, organisation: Organisation, name: str,
                    description: str = "") -> Campaign:
    if not roles_of(actor, organisation) & {Role.ADMINISTRATOR, Role.EDITOR}:
        raise PermissionDenied
    name = name.strip()
    validate_clean_text(name)
    tag = slugify(name, allow_unicode=True)[:60]
    if not name or not tag:
        raise ValidationError({"name": _("Give the campaign a name.")})
    if Campaign.objects.filter(organisation=organisation, tag=tag).exists():
        raise ValidationError({"name": _("This organisation already has that campaign.")})
    campaign = Campaign.objects.create(organisation=organisation, name=name[:120], tag=tag,
                                       description=description.strip()[:1000])
    audit_record(actor=actor, action="publishing.campaign_create", organisation=organisation,
                 target=campaign)
    return campaign


@transaction.atomic
def hashtag_save(*, actor: User, organisation: Organisation, tag: str) -> SavedHashtag:
    if not roles_of(actor, organisation) & {Role.ADMINISTRATOR, Role.EDITOR}:
        raise PermissionDenied
    tag = tag.strip().lstrip("#").strip()
    if not tag or any(ch.isspace() for ch in tag) or len(tag) > 100:
        raise ValidationError({"tag": _("A hashtag is one word of at most 100 characters.")})
    validate_clean_text(tag)
    saved, created = SavedHashtag.objects.get_or_create(organisation=organisation, tag=tag)
    if created:
        audit_record(actor=actor, action="publishing.hashtag_save", organisation=organisation,
                     target=saved)
    return saved
