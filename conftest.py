"""Shared test fixtures: a small government and the named test users.

- alice: administrator of the Transport Agency (agency A), with a second factor
- bob: responder in the Transport Agency
- carol: administrator of the Health Agency (agency B): must never see A's data
- dana: analyst in the whole-of-government communications office: sees everything
- nadia: responder at an NGO partner
"""

from __future__ import annotations

import pytest

TEST_PASSWORD = "correct-lantern-harbour-42"
ALICE_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def _huey_immediate(settings):
    """Tasks run in-process during tests (the multi-worker tests start real workers)."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


@pytest.fixture
def government(db):
    from townsquare.organisations.models import OrganisationKind as K
    from townsquare.organisations.services import organisation_create, team_create

    gov = organisation_create(
        actor=None,
        kind=K.GOVERNMENT,
        name="Harbour Region Government",
        slug="harbour",
        time_zone="Asia/Dubai",
    )
    office = organisation_create(
        actor=None,
        kind=K.OFFICE,
        name="Government Communications Office",
        slug="gco",
        parent=gov,
        sees_all_organisations=True,
    )
    transport = organisation_create(
        actor=None,
        kind=K.AGENCY,
        name="Transport Agency",
        slug="transport",
        parent=gov,
        translations={"ar": {"name": "هيئة النقل"}, "zh-hans": {"name": "交通局"}},
    )
    health = organisation_create(
        actor=None, kind=K.AGENCY, name="Health Agency", slug="health", parent=gov
    )
    ngo = organisation_create(
        actor=None, kind=K.NGO, name="Harbour Food Bank", slug="foodbank", parent=gov
    )
    buses = team_create(actor=None, organisation=transport, name="Bus services")
    return {
        "gov": gov,
        "office": office,
        "transport": transport,
        "health": health,
        "ngo": ngo,
        "buses": buses,
    }


def _make_user(username, org, role, *, team=None):
    from townsquare.organisations.services import membership_grant, staff_user_create

    user = staff_user_create(
        actor=None,
        username=username,
        email=f"{username}@example.org",
        first_name=username.capitalize(),
        password=TEST_PASSWORD,
    )
    membership_grant(actor=None, user=user, organisation=org, role=role, team=team)
    return user


def _give_totp(user, secret=ALICE_TOTP_SECRET):
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, secret)


@pytest.fixture
def alice(government):
    user = _make_user("alice", government["transport"], "administrator")
    _give_totp(user)
    return user


@pytest.fixture
def bob(government):
    return _make_user("bob", government["transport"], "responder", team=government["buses"])


@pytest.fixture
def carol(government):
    user = _make_user("carol", government["health"], "administrator")
    _give_totp(user, "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU")
    return user


@pytest.fixture
def dana(government):
    return _make_user("dana", government["office"], "analyst")


@pytest.fixture
def nadia(government):
    return _make_user("nadia", government["ngo"], "responder")


@pytest.fixture
def client_for(client):
    """``client_for(user)``: a test client signed in as ``user``."""
    from django.test import Client

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make


@pytest.fixture(autouse=True)
def _language_reset():
    """A test that activates a language (or a request that does) must not leave it
    active for the next test in the same worker process."""
    yield
    from django.utils import translation

    translation.deactivate()
