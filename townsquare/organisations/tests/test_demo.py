"""The Harbour Region demo government that `make run` loads."""

from __future__ import annotations

import time
from io import StringIO
from types import SimpleNamespace

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils.html import escape

from townsquare.core.passwords import NistPasswordValidator
from townsquare.organisations.demo import (
    DEMO_PASSWORD,
    GOVERNMENT_SLUG,
    USERS,
    demo_load,
    demo_logins,
    demo_totp_secret,
)
from townsquare.organisations.models import (
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    Team,
    User,
)

pytestmark = pytest.mark.django_db

AGENCY_KINDS = (OrganisationKind.AGENCY, OrganisationKind.DEPARTMENT)


@pytest.fixture
def demo():
    summary = demo_load()
    assert summary.created
    return summary


@pytest.fixture
def frozen_totp_clock(monkeypatch):
    """One instant for both the code we print and allauth's check, so no 30 s edge."""
    now = time.time()
    monkeypatch.setattr(
        "allauth.mfa.totp.internal.auth.time", SimpleNamespace(time=lambda: now)
    )
    monkeypatch.setattr(
        "townsquare.organisations.management.commands.demo_totp.time",
        SimpleNamespace(time=lambda: now),
    )
    return now


def _shown(text: str, page) -> bool:
    """``text`` appears on the page (as the template escapes it: "region's" -> "region&#x27;s")."""
    return escape(text) in page.text


def _counts():
    return (
        Organisation.objects.count(),
        Team.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Authenticator.objects.count(),
    )


def _demo_code(username: str) -> str:
    out = StringIO()
    call_command("demo_totp", username, stdout=out)
    return out.getvalue().splitlines()[0].strip()


def test_loading_twice_changes_nothing(demo):
    before = _counts()
    again = demo_load()
    assert not again.created
    assert _counts() == before
    assert before[0] == demo.organisations
    assert before[2] == demo.users


def test_load_demo_command_prints_a_summary_and_is_idempotent():
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "Harbour Region Government" in out.getvalue()
    before = _counts()
    out = StringIO()
    call_command("load_demo", "--quiet", stdout=out)
    assert out.getvalue() == ""
    assert _counts() == before


def test_load_demo_refuses_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("load_demo", stdout=StringIO())
    assert not Organisation.objects.exists()


def test_the_tree_has_an_office_agencies_and_partners(demo):
    government = Organisation.objects.get(slug=GOVERNMENT_SLUG)
    assert government.parent is None
    assert government.kind == OrganisationKind.GOVERNMENT
    offices = Organisation.objects.filter(sees_all_organisations=True)
    assert [o.kind for o in offices] == [OrganisationKind.OFFICE]
    agencies = Organisation.objects.filter(kind__in=AGENCY_KINDS)
    assert 6 <= agencies.count() <= 8
    assert Organisation.objects.filter(kind=OrganisationKind.NGO).count() == 2
    for organisation in Organisation.objects.exclude(pk=government.pk):
        assert organisation.path.startswith(government.path)
    for agency in agencies:
        assert 2 <= agency.teams.count() <= 4, agency.name


def test_every_organisation_and_team_speaks_three_languages(demo):
    for item in [*Organisation.objects.all(), *Team.objects.all()]:
        assert item.name, item
        assert item.description, item
        for language in ("ar", "zh-hans"):
            texts = item.translations[language]
            assert texts["name"], (item, language)
            assert texts["description"], (item, language)
            assert texts["name"] != item.name
            assert texts["description"] != item.description
        assert any("\u0600" <= ch <= "\u06ff" for ch in item.translations["ar"]["name"])
        assert any("\u4e00" <= ch <= "\u9fff" for ch in item.translations["zh-hans"]["name"])
    transport = Organisation.objects.get(slug="transport")
    assert transport.localised("name", "ar") == "هيئة النقل"
    assert transport.localised("name", "zh-hans") == "交通局"


def test_every_role_is_held_and_named_users_are_where_docs_say(demo):
    held = set(Membership.objects.values_list("role", flat=True))
    assert held == set(Role.values)
    expected = {
        "alice": ("administrator", "transport", None),
        "bob": ("responder", "transport", "Bus services"),
        "carol": ("administrator", "health", None),
        "dana": ("analyst", "communications-office", None),
        "erin": ("editor", "transport", None),
        "frank": ("approver", "transport", None),
        "grace": ("records_officer", "communications-office", None),
        "hassan": ("responder", "health", "Hospitals"),
        "mei": ("editor", "health", None),
        "nadia": ("responder", None, "Food parcels"),
        "omar": ("administrator", "communications-office", None),
    }
    for username, (role, slug, team) in expected.items():
        membership = Membership.objects.select_related("organisation", "team").get(
            user__username=username, role=role
        )
        if slug is None:
            assert membership.organisation.kind == OrganisationKind.NGO
        else:
            assert membership.organisation.slug == slug
        assert (membership.team.name if membership.team else None) == team
    languages = set(User.objects.values_list("language", flat=True))
    assert {"en", "ar", "zh-hans"} <= languages
    assert len(set(User.objects.values_list("time_zone", flat=True))) > 3


def test_the_demo_password_passes_the_password_rules(demo):
    NistPasswordValidator().validate(DEMO_PASSWORD)
    for user in User.objects.all():
        validate_password(DEMO_PASSWORD, user)
        assert user.check_password(DEMO_PASSWORD), user.username


def test_administrators_and_approvers_have_an_authenticator(demo):
    needing = set(
        Membership.objects.filter(role__in=["administrator", "approver"]).values_list(
            "user__username", flat=True
        )
    )
    with_totp = set(
        Authenticator.objects.filter(type=Authenticator.Type.TOTP).values_list(
            "user__username", flat=True
        )
    )
    assert needing
    assert needing <= with_totp
    assert "bob" not in with_totp


def test_demo_totp_prints_a_code_allauth_accepts(demo, frozen_totp_clock):
    out = StringIO()
    call_command("demo_totp", "frank", stdout=out)
    code, details = out.getvalue().splitlines()[:2]
    assert len(code) == 6
    assert code.isdigit()
    assert demo_totp_secret("frank") in details
    authenticator = Authenticator.objects.get(user__username="frank", type="totp")
    assert TOTP(authenticator).validate_code(code)
    assert not TOTP(authenticator).validate_code(f"{(int(code) + 1) % 1_000_000:06d}")


def test_demo_totp_refuses_users_without_a_demo_authenticator(demo):
    with pytest.raises(CommandError):
        call_command("demo_totp", "bob", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("demo_totp", "mallory", stdout=StringIO())
    Authenticator.objects.filter(user__username="alice").update(
        data=Authenticator.objects.get(user__username="carol").data
    )
    with pytest.raises(CommandError):
        call_command("demo_totp", "alice", stdout=StringIO())


def test_alice_signs_in_with_password_and_code(demo, frozen_totp_clock):
    client = Client()
    response = client.post("/accounts/login/", {"login": "alice", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "/2fa/" in response["Location"]
    assert client.get("/console/").status_code == 302  # not signed in before the code
    response = client.post(response["Location"], {"code": _demo_code("alice")})
    assert response.status_code == 302
    response = client.get("/console/")
    assert response.status_code == 200
    assert response.wsgi_request.user.username == "alice"


def test_a_wrong_password_does_not_sign_in(demo):
    client = Client()
    response = client.post("/accounts/login/", {"login": "alice", "password": "not-the-demo-pw1"})
    assert response.status_code == 200
    assert "/2fa/" not in response.get("Location", "")


def test_carol_does_not_see_transport_and_omar_does(demo):
    carol = User.objects.get(username="carol")
    omar = User.objects.get(username="omar")
    carol_client, omar_client = Client(), Client()
    carol_client.force_login(carol)
    omar_client.force_login(omar)
    transport = Organisation.objects.get(slug="transport")
    carol_page = carol_client.get("/console/organisations/")
    assert carol_page.status_code == 200
    # Carol works in English; her list shows her own agency but not Transport.
    assert "Health Agency" in carol_page.text
    assert "Transport Agency" not in carol_page.text
    assert carol_client.get(f"/console/organisations/{transport.pk}/").status_code == 404
    omar_page = omar_client.get("/console/organisations/")
    assert omar_page.status_code == 200
    # Omar prefers Arabic: the console shows the Arabic names.
    assert "هيئة النقل" in omar_page.text
    assert "هيئة الصحة" in omar_page.text


def test_staff_see_organisation_texts_in_their_language(demo):
    transport = Organisation.objects.get(slug="transport")
    for username, name, description in [
        ("alice", transport.name, transport.description),
        ("omar", "هيئة النقل", transport.translations["ar"]["description"]),
        ("grace", "交通局", transport.translations["zh-hans"]["description"]),
    ]:
        client = Client()
        client.force_login(User.objects.get(username=username))
        page = client.get(f"/console/organisations/{transport.pk}/")
        assert page.status_code == 200, username
        assert _shown(name, page), username
        assert _shown(description, page), username


@pytest.mark.parametrize("language", ["en", "ar", "zh-hans"])
def test_portal_home_lists_agencies_and_partners_in_the_visitors_language(demo, language):
    page = Client(HTTP_ACCEPT_LANGUAGE=language).get("/")
    assert page.status_code == 200
    government = Organisation.objects.get(slug=GOVERNMENT_SLUG)
    assert _shown(government.localised("name", language), page)
    assert _shown(government.localised("description", language), page)
    for organisation in Organisation.objects.exclude(kind=OrganisationKind.GOVERNMENT):
        assert _shown(organisation.localised("name", language), page)
        assert _shown(organisation.localised("description", language), page)
    if language == "ar":
        assert 'dir="rtl"' in page.text
        assert "Transport Agency" not in page.text


@pytest.mark.parametrize("language", ["en", "ar", "zh-hans"])
def test_portal_organisation_page_is_localised(demo, language):
    transport = Organisation.objects.get(slug="transport")
    page = Client(HTTP_ACCEPT_LANGUAGE=language).get("/organisations/transport/")
    assert page.status_code == 200
    assert _shown(transport.localised("name", language), page)
    assert _shown(transport.localised("description", language), page)
    ministry = Organisation.objects.get(slug="ministry-of-infrastructure")
    assert _shown(ministry.localised("name", language), page)  # breadcrumb and "part of"
    ministry_page = Client(HTTP_ACCEPT_LANGUAGE=language).get(
        "/organisations/ministry-of-infrastructure/"
    )
    assert _shown(transport.localised("description", language), ministry_page)
    assert Client().get("/organisations/no-such-body/").status_code == 404


def test_demo_logins_lists_every_demo_user_once_loaded():
    assert demo_logins() == []
    demo_load()
    rows = {row.username: row for row in demo_logins()}
    assert set(rows) == {user.username for user in USERS}
    assert rows["alice"].needs_totp
    assert rows["alice"].organisation == "Transport Agency"
    assert rows["alice"].roles == "Administrator"
    assert rows["alice"].full_name == "Alice Morgan"
    assert not rows["bob"].needs_totp
    assert rows["omar"].organisation == "Government Communications Office"


def test_every_demo_user_can_work_in_the_console(demo):
    """No demo account is stopped by the second-factor requirement or a broken page."""
    for user in User.objects.all():
        client = Client()
        client.force_login(user)
        for url in ("/console/", "/console/organisations/"):
            response = client.get(url)
            assert response.status_code == 200, (user.username, url)
            assert response["Content-Language"] == user.language, user.username
