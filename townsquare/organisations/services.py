"""All writes to organisations, teams, staff users and memberships.

Each function checks permission and validity first, then changes data in one
transaction, then audits. Views, the API and commands all call these.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from townsquare.core.services import audit_record, notification_send
from townsquare.core.text import normalise_name, validate_name
from townsquare.organisations.models import (
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    Team,
    User,
    validate_time_zone,
)
from townsquare.organisations.selectors import organisations_visible_to, roles_of

LANGUAGE_CODES = ("en", "ar", "zh-hans")


def _check_admin(actor: User | None, organisation: Organisation) -> None:
    if actor is not None and Role.ADMINISTRATOR not in roles_of(actor, organisation):
        raise PermissionDenied


def _clean_translations(translations: dict[str, dict[str, str]] | None) -> dict[str, Any]:
    cleaned: dict[str, dict[str, str]] = {}
    for language, fields in (translations or {}).items():
        if language not in LANGUAGE_CODES:
            raise ValidationError({"translations": f"Unknown language {language!r}"})
        cleaned[language] = {}
        for field, raw in fields.items():
            value = normalise_name(str(raw))
            if field == "name":
                validate_name(value)
            if value:
                cleaned[language][field] = value
    return cleaned


def _clean_name(value: str, *, field: str = "name", max_length: int = 200) -> str:
    value = normalise_name(value)
    if not value:
        raise ValidationError({field: "This field is required."})
    if len(value) > max_length:
        raise ValidationError({field: f"At most {max_length} characters."})
    try:
        validate_name(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    return value


@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    kind: str,
    name: str,
    parent: Organisation | None = None,
    slug: str = "",
    short_name: str = "",
    description: str = "",
    website: str = "",
    time_zone: str = "",
    default_language: str = "",
    sees_all_organisations: bool = False,
    translations: dict[str, dict[str, str]] | None = None,
) -> Organisation:
    """Add an organisation under ``parent`` (``actor`` must administer the parent).

    ``actor=None`` is the system (demo loader, first set-up command).
    """
    if parent is not None:
        _check_admin(actor, parent)
    elif actor is not None and not actor.is_superuser:
        raise PermissionDenied
    if kind not in OrganisationKind.values:
        raise ValidationError({"kind": "Unknown kind of organisation."})
    organisation = Organisation(
        kind=kind,
        name=_clean_name(name),
        short_name=normalise_name(short_name)[:40],
        slug=slug or slugify(name)[:80] or f"org-{Organisation.objects.count() + 1}",
        parent=parent,
        description=description.strip(),
        website=website,
        time_zone=time_zone or (parent.time_zone if parent else "UTC"),
        default_language=default_language or (parent.default_language if parent else "en"),
        sees_all_organisations=sees_all_organisations,
        translations=_clean_translations(translations),
    )
    organisation.full_clean(exclude=["path"])
    organisation.save()
    # Fixed-width segments so ordering by path is tree order ("/…02/" before "/…10/").
    organisation.path = f"{parent.path if parent else '/'}{organisation.pk:08d}/"
    organisation.save(update_fields=["path"])
    audit_record(
        actor=actor, action="organisation.create", organisation=organisation, target=organisation
    )
    return organisation


@transaction.atomic
def organisation_update(
    *, actor: User | None, organisation: Organisation, **changes: Any
) -> Organisation:
    _check_admin(actor, organisation)
    allowed = {
        "name",
        "short_name",
        "description",
        "website",
        "time_zone",
        "default_language",
        "translations",
        "is_active",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(f"Cannot change {', '.join(sorted(unknown))}")
    before = {field: getattr(organisation, field) for field in changes}
    if "name" in changes:
        changes["name"] = _clean_name(changes["name"])
    if "translations" in changes:
        changes["translations"] = _clean_translations(changes["translations"])
    for field, value in changes.items():
        setattr(organisation, field, value)
    organisation.full_clean(exclude=["path"])
    organisation.save()
    changed = {f: [str(before[f]), str(changes[f])] for f in changes if before[f] != changes[f]}
    audit_record(
        actor=actor,
        action="organisation.update",
        organisation=organisation,
        target=organisation,
        details={"changed": changed},
    )
    return organisation


@transaction.atomic
def team_create(
    *,
    actor: User | None,
    organisation: Organisation,
    name: str,
    description: str = "",
    translations: dict[str, dict[str, str]] | None = None,
) -> Team:
    _check_admin(actor, organisation)
    team = Team(
        organisation=organisation,
        name=_clean_name(name, max_length=120),
        description=description.strip(),
        translations=_clean_translations(translations),
    )
    team.full_clean(exclude=["organisation"])
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError as exc:
        raise ValidationError({"name": "A team with this name already exists."}) from exc
    audit_record(actor=actor, action="team.create", organisation=organisation, target=team)
    return team


@transaction.atomic
def team_delete(*, actor: User | None, team: Team) -> None:
    _check_admin(actor, team.organisation)
    audit_record(actor=actor, action="team.delete", organisation=team.organisation, target=team)
    team.delete()


@transaction.atomic
def staff_user_create(
    *,
    actor: User | None,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    language: str = "en",
    time_zone: str = "UTC",
) -> User:
    """Create a staff account (roles are granted separately with membership_grant)."""
    if actor is not None and not (actor.is_superuser or _administers_somewhere(actor)):
        raise PermissionDenied
    username = normalise_name(username)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "This username is taken."})
    user = User(
        username=username,
        email=email.strip().lower(),
        first_name=_clean_name(first_name, field="first_name", max_length=150)
        if first_name
        else "",
        last_name=_clean_name(last_name, field="last_name", max_length=150) if last_name else "",
        language=language,
        time_zone=time_zone,
    )
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    if user.email:
        # Administrators vouch for staff addresses. Marking them verified lets allauth
        # activate MFA and match single sign-on by email without treating the local
        # address as possibly planted.
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    audit_record(actor=actor, action="user.create", target=user)
    return user


def _administers_somewhere(user: User) -> bool:
    return Membership.objects.filter(user=user, role=Role.ADMINISTRATOR).exists()


@transaction.atomic
def membership_grant(
    *,
    actor: User | None,
    user: User,
    organisation: Organisation,
    role: str,
    team: Team | None = None,
) -> Membership:
    _check_admin(actor, organisation)
    if role not in Role.values:
        raise ValidationError({"role": "Unknown role."})
    if team is not None and team.organisation_id != organisation.pk:
        raise ValidationError({"team": "The team belongs to another organisation."})
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=role, defaults={"team": team}
    )
    if not created and membership.team_id != (team.pk if team else None):
        membership.team = team
        membership.save(update_fields=["team", "updated_at"])
    if created:
        audit_record(
            actor=actor,
            action="membership.grant",
            organisation=organisation,
            target=membership,
            details={"user": user.username, "role": role},
        )
        notification_send(
            recipient=user,
            message_key="membership.granted",
            params={"role": role, "organisation_id": organisation.pk},
        )
    return membership


@transaction.atomic
def membership_revoke(*, actor: User | None, membership: Membership) -> None:
    _check_admin(actor, membership.organisation)
    if (
        actor is not None
        and membership.user_id == actor.pk
        and membership.role == Role.ADMINISTRATOR
        and not Membership.objects.filter(
            organisation=membership.organisation, role=Role.ADMINISTRATOR
        )
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ValidationError(_("You are the last administrator of this organisation."))
    audit_record(
        actor=actor,
        action="membership.revoke",
        organisation=membership.organisation,
        target=membership,
        details={"user": membership.user.username, "role": membership.role},
    )
    notification_send(
        recipient=membership.user,
        message_key="membership.revoked",
        params={"role": membership.role, "organisation_id": membership.organisation_id},
    )
    membership.delete()


@transaction.atomic
def user_preferences_update(*, user: User, language: str, time_zone: str) -> User:
    if language not in LANGUAGE_CODES:
        raise ValidationError({"language": "Unknown language."})
    validate_time_zone(time_zone)
    user.language = language
    user.time_zone = time_zone
    user.save(update_fields=["language", "time_zone"])
    audit_record(
        actor=user,
        action="user.preferences",
        target=user,
        details={"language": language, "time_zone": time_zone},
    )
    return user


@transaction.atomic
def user_switch_organisation(*, user: User, organisation: Organisation | None) -> User:
    """Choose the organisation the console works in (None: all the user can see)."""
    if (
        organisation is not None
        and not organisations_visible_to(user).filter(pk=organisation.pk).exists()
    ):
        raise PermissionDenied
    user.current_organisation = organisation
    user.save(update_fields=["current_organisation"])
    return user
