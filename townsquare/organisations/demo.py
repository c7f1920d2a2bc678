"""The demo government that `make run` loads: the Harbour Region, a fictional city-state.

Everything is created through the organisation services (``actor=None``: the system),
so the demo exercises the same write path as real set-up. Loading is idempotent: when
a government already exists nothing is changed. Demo staff share one password, and
administrators and approvers get a TOTP authenticator with a fixed, published secret
(``manage.py demo_totp <username>`` prints the current code). Never load this into a
production installation: the command refuses to.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import transaction

from townsquare.organisations.models import Organisation, OrganisationKind, Role, Team, User
from townsquare.organisations.services import (
    membership_grant,
    organisation_create,
    staff_user_create,
    team_create,
)

DEMO_PASSWORD = "harbour-demo-2026"  # noqa: S105 (published on purpose: demo accounts only)
GOVERNMENT_SLUG = "harbour-region"
MFA_ROLES = (Role.ADMINISTRATOR, Role.APPROVER)
DATA_FILE = Path(__file__).with_name("demo_data.json")
Texts = dict[str, str]  # {"en": ..., "ar": ..., "zh-hans": ...}


@lru_cache(maxsize=1)
def demo_organisations() -> list[dict[str, Any]]:
    """The organisations of the demo, parents first, each with its teams and texts."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    organisations: list[dict[str, Any]] = data["organisations"]
    return organisations


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    language: str
    time_zone: str
    # (organisation key, role, team name or "")
    roles: tuple[tuple[str, str, str], ...]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def needs_totp(self) -> bool:
        return any(role in MFA_ROLES for _, role, _ in self.roles)


R = Role
USERS: list[DemoUser] = [
    DemoUser("omar", "Omar", "Khalil", "ar", "Asia/Dubai", (("gco", R.ADMINISTRATOR, ""),)),
    DemoUser("dana", "Dana", "Haddad", "ar", "Asia/Dubai", (("gco", R.ANALYST, ""),)),
    DemoUser("grace", "Grace", "Lim", "zh-hans", "Asia/Singapore",
             (("gco", R.RECORDS_OFFICER, ""),)),
    DemoUser("kofi", "Kofi", "Mensah", "en", "Asia/Dubai",
             (("gco", R.EDITOR, "Digital channels"),)),
    DemoUser("alice", "Alice", "Morgan", "en", "Asia/Dubai",
             (("transport", R.ADMINISTRATOR, ""),)),
    DemoUser("bob", "Bob", "Fletcher", "en", "Asia/Dubai",
             (("transport", R.RESPONDER, "Bus services"),)),
    DemoUser("erin", "Erin", "O'Connor", "en", "Europe/Dublin",
             (("transport", R.EDITOR, ""),)),
    DemoUser("frank", "Frank", "Osei", "en", "Africa/Accra", (("transport", R.APPROVER, ""),)),
    DemoUser("carol", "Carol", "Whitfield", "en", "Europe/London",
             (("health", R.ADMINISTRATOR, ""),)),
    DemoUser("hassan", "حسن", "الفارسي", "ar", "Asia/Muscat",
             (("health", R.RESPONDER, "Hospitals"),)),
    DemoUser("mei", "Mei", "Chen", "zh-hans", "Asia/Shanghai", (("health", R.EDITOR, ""),)),
    # Chinese order is family name first, so the whole name goes in one field.
    DemoUser("wei", "张伟", "", "zh-hans", "Asia/Hong_Kong", (("health", R.APPROVER, ""),)),
    DemoUser("layla", "Layla", "Mansour", "ar", "Asia/Beirut",
             (("environment", R.EDITOR, ""), ("environment", R.APPROVER, ""))),
    DemoUser("jing", "Jing", "Liu", "zh-hans", "Asia/Shanghai",
             (("education", R.ANALYST, ""),)),
    DemoUser("tom", "Tom", "Becker", "en", "Europe/Berlin", (("social", R.APPROVER, ""),)),
    DemoUser("samir", "Samir", "Qureshi", "en", "Asia/Karachi",
             (("water", R.RECORDS_OFFICER, ""),)),
    DemoUser("priya", "Priya", "Nair", "en", "Asia/Kolkata",
             (("housing", R.RESPONDER, "Tenancy support"),)),
    DemoUser("james", "James", "Okafor", "en", "Asia/Dubai",
             (("police", R.RESPONDER, "Community policing"),)),
    DemoUser("yusuf", "Yusuf", "Ibrahim", "ar", "Asia/Dubai",
             (("foodbank", R.ADMINISTRATOR, ""),)),
    DemoUser("nadia", "Nadia", "Rahman", "ar", "Asia/Dubai",
             (("foodbank", R.RESPONDER, "Food parcels"),)),
    DemoUser("fatima", "Fatima", "Al-Sayed", "ar", "Africa/Cairo",
             (("crescent", R.ADMINISTRATOR, ""),)),
    DemoUser("ling", "Ling", "Wong", "zh-hans", "Asia/Hong_Kong",
             (("crescent", R.RESPONDER, "Helpline"),)),
]
USERS_BY_NAME = {user.username: user for user in USERS}


@dataclass(frozen=True)
class DemoSummary:
    created: bool
    government: str
    organisations: int = 0
    teams: int = 0
    users: int = 0
    memberships: int = 0
    authenticators: int = 0

    def __str__(self) -> str:
        if not self.created:
            return f"Demo data: a government already exists ({self.government}); nothing changed."
        return (
            f"Demo data loaded: {self.government}: {self.organisations} organisations, "
            f"{self.teams} teams, {self.users} staff users, {self.memberships} roles, "
            f"{self.authenticators} authenticator apps."
        )


@dataclass(frozen=True)
class DemoLogin:
    username: str
    full_name: str
    roles: str
    organisation: str
    needs_totp: bool


def _translations(name: Texts, description: Texts) -> dict[str, dict[str, str]]:
    return {
        language: {"name": name[language], "description": description[language]}
        for language in ("ar", "zh-hans")
    }


def demo_totp_secret(username: str) -> str:
    """The fixed, published base32 TOTP secret of a demo user (not a secret at all)."""
    digest = hashlib.sha256(f"townsquare-demo-totp:{username}".encode()).digest()
    return base64.b32encode(digest[:20]).decode("ascii")


def demo_totp_code(username: str, at: float | None = None) -> str:
    """The demo user's current authenticator code, computed the way allauth checks it."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    now = time.time() if at is None else at
    counter = int(now) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(demo_totp_secret(username), counter))


def demo_load() -> DemoSummary:
    """Create the Harbour Region unless a government already exists (then change nothing)."""
    existing = (
        Organisation.objects.filter(parent__isnull=True, kind=OrganisationKind.GOVERNMENT)
        .values_list("name", flat=True)
        .first()
    )
    if existing is not None:
        return DemoSummary(created=False, government=existing)
    with transaction.atomic():
        return _create_everything()


def _create_everything() -> DemoSummary:
    from allauth.mfa.totp.internal.auth import TOTP

    organisations: dict[str, Organisation] = {}
    teams: dict[tuple[str, str], Team] = {}
    for spec in demo_organisations():
        name, description = spec["name"], spec["description"]
        organisation = organisation_create(
            actor=None,
            kind=spec["kind"],
            name=name["en"],
            parent=organisations[spec["parent"]] if spec["parent"] else None,
            slug=spec["slug"],
            short_name=spec["short_name"],
            description=description["en"],
            time_zone="Asia/Dubai",
            default_language="en",
            sees_all_organisations=spec.get("sees_all_organisations", False),
            translations=_translations(name, description),
        )
        organisations[spec["key"]] = organisation
        for team in spec["teams"]:
            teams[(spec["key"], team["name"]["en"])] = team_create(
                actor=None,
                organisation=organisation,
                name=team["name"]["en"],
                description=team["description"]["en"],
                translations=_translations(team["name"], team["description"]),
            )
    memberships = authenticators = 0
    shared_hash = ""
    for demo_user in USERS:
        user = staff_user_create(
            actor=None,
            username=demo_user.username,
            email=f"{demo_user.username}@harbour-region.example",
            first_name=demo_user.first_name,
            last_name=demo_user.last_name,
            # The first account is created with the password (validated and hashed by the
            # service); the others reuse its hash: the password is published anyway, and
            # a deliberately slow hash per account would add seconds to the first `make run`.
            password=None if shared_hash else DEMO_PASSWORD,
            language=demo_user.language,
            time_zone=demo_user.time_zone,
        )
        if shared_hash:
            user.password = shared_hash
            user.save(update_fields=["password"])
        else:
            shared_hash = user.password
        for key, role, team_name in demo_user.roles:
            membership_grant(
                actor=None,
                user=user,
                organisation=organisations[key],
                role=role,
                team=teams[(key, team_name)] if team_name else None,
            )
            memberships += 1
        if demo_user.needs_totp:
            TOTP.activate(user, demo_totp_secret(demo_user.username))
            authenticators += 1
    return DemoSummary(
        created=True,
        government=organisations["government"].name,
        organisations=len(organisations),
        teams=len(teams),
        users=len(USERS),
        memberships=memberships,
        authenticators=authenticators,
    )


def demo_logins() -> list[DemoLogin]:
    """The demo accounts that exist in this database, for the launcher's banner."""
    if not Organisation.objects.filter(slug=GOVERNMENT_SLUG).exists():
        return []
    present = set(
        User.objects.filter(
            username__in=list(USERS_BY_NAME), is_active=True
        ).values_list("username", flat=True)
    )
    names = {spec["key"]: spec["name"]["en"] for spec in demo_organisations()}
    rows = []
    for demo_user in USERS:
        if demo_user.username not in present:
            continue
        roles = ", ".join(dict.fromkeys(str(Role(role).label) for _, role, _ in demo_user.roles))
        organisation = ", ".join(dict.fromkeys(names[key] for key, _, _ in demo_user.roles))
        rows.append(
            DemoLogin(
                username=demo_user.username,
                full_name=demo_user.full_name,
                roles=roles,
                organisation=organisation,
                needs_totp=demo_user.needs_totp,
            )
        )
    return rows
