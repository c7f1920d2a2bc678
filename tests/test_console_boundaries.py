"""The agency boundary in every console and portal view, with the named test users.

- alice: administrator of Transport (agency A)
- bob: responder in Transport: sees Transport, may change nothing
- carol: administrator of Health (agency B): must never see Transport's data
- dana: analyst in the whole-of-government office: sees every agency, changes none
- nadia: responder at an NGO partner: sees only the NGO

Rules proved here: another agency's ids give 404 (never 403, so ids do not leak),
admin-only actions in one's own agency give 403, lists are scoped, anonymous people
go to the sign-in page, and nothing changes after a refused request.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from townsquare.core.models import AuditEvent, Notification
from townsquare.organisations.models import Membership, Organisation, Team, User

pytestmark = pytest.mark.django_db

TRANSPORT_WORDS = ("Transport Agency", "هيئة النقل", "交通局", "Bus services")
TRANSPORT_STAFF = ("alice", "Alice", "bob@example.org", "Bob")


def snapshot() -> dict[str, object]:
    """Everything a refused request could have changed."""
    return {
        "organisations": sorted(
            Organisation.objects.values_list(
                "pk", "name", "short_name", "description", "website", "translations",
                "is_active", "parent_id",
            )
        ),
        "teams": sorted(Team.objects.values_list("pk", "organisation_id", "name", "description")),
        "memberships": sorted(
            Membership.objects.values_list("pk", "user_id", "organisation_id", "role", "team_id")
        ),
        "users": sorted(
            User.objects.values_list(
                "pk", "username", "email", "first_name", "last_name", "language", "time_zone",
                "current_organisation_id", "is_active",
            )
        ),
        "audit_events": AuditEvent.objects.count(),
        "notifications": sorted(Notification.objects.values_list("pk", "recipient_id", "read_at")),
    }


@pytest.fixture
def people(alice, bob, carol, dana, nadia):
    return {"alice": alice, "bob": bob, "carol": carol, "dana": dana, "nadia": nadia}


@pytest.fixture
def clients(people, client_for):
    # Signing in writes an audit event: sign everyone in before any snapshot is taken.
    return {name: client_for(user) for name, user in people.items()}


@pytest.fixture
def ids(government, people):
    transport, health = government["transport"], government["health"]
    return {
        "transport": transport.pk,
        "health": health.pk,
        "ngo": government["ngo"].pk,
        "office": government["office"].pk,
        "gov": government["gov"].pk,
        "buses": government["buses"].pk,
        "bob_in_transport": Membership.objects.get(user=people["bob"], organisation=transport).pk,
        "alice_in_transport": Membership.objects.get(
            user=people["alice"], organisation=transport
        ).pk,
        "carol_in_health": Membership.objects.get(user=people["carol"], organisation=health).pk,
    }


# --- Anonymous people ------------------------------------------------------------------

CONSOLE_GET_URLS = [
    "/console/",
    "/console/notifications/",
    "/console/search/?q=Transport",
    "/console/preferences/",
    "/console/security/second-factor-required/",
    "/console/audit/",
    "/console/organisations/",
    "/console/organisations/people/",
    "/console/organisations/{transport}/",
    "/console/organisations/{transport}/edit/",
    "/console/organisations/{transport}/teams/new/",
    "/console/organisations/{transport}/members/add/",
    "/console/organisations/{transport}/members/new/",
]
CONSOLE_POST_URLS = [
    "/console/notifications/read/",
    "/console/switch/",
    "/console/preferences/",
    "/console/organisations/{transport}/edit/",
    "/console/organisations/{transport}/teams/new/",
    "/console/organisations/{transport}/members/add/",
    "/console/organisations/{transport}/members/new/",
    "/console/organisations/memberships/{bob_in_transport}/remove/",
]


def test_anonymous_people_are_sent_to_sign_in_and_change_nothing(ids):
    anonymous = Client()
    before = snapshot()
    login = reverse("account_login")
    for template in CONSOLE_GET_URLS:
        url = template.format(**ids)
        response = anonymous.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith(f"{login}?next="), url
    for template in CONSOLE_POST_URLS:
        url = template.format(**ids)
        response = anonymous.post(url, {"organisation": ids["transport"], "name": "Hijacked",
                                        "username": "bob", "role": "administrator"})
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith(f"{login}?next="), url
    assert snapshot() == before


def test_the_portal_is_public_and_shows_no_staff(ids, government):
    anonymous = Client()
    home = anonymous.get("/")
    assert home.status_code == 200
    assert "Transport Agency" in home.text
    page = anonymous.get(f"/organisations/{government['transport'].slug}/")
    assert page.status_code == 200
    for text in (home.text, page.text):
        for staff in ("alice", "bob@example.org", "carol", "Bus services"):
            assert staff not in text


def test_the_portal_hides_inactive_organisations(government):
    health = government["health"]
    Organisation.objects.filter(pk=health.pk).update(is_active=False)
    anonymous = Client()
    assert anonymous.get(f"/organisations/{health.slug}/").status_code == 404
    assert anonymous.get("/organisations/no-such-body/").status_code == 404
    assert "Health Agency" not in anonymous.get("/").text


# --- Pages every signed-in person may open ----------------------------------------------

SHARED_PAGES = [
    "/console/",
    "/console/notifications/",
    "/console/search/?q=ag",
    "/console/preferences/",
    "/console/security/second-factor-required/",
    "/console/organisations/",
    "/console/organisations/people/",
]


@pytest.mark.parametrize("name", ["alice", "bob", "carol", "dana", "nadia"])
def test_every_staff_member_opens_the_shared_pages(clients, name):
    for url in SHARED_PAGES:
        assert clients[name].get(url).status_code == 200, url


# --- Organisation pages: who gets 200, 403 or 404 ---------------------------------------

# (user, organisation key) -> expected status of the detail page
DETAIL_MATRIX = [
    ("alice", "transport", 200), ("alice", "health", 404), ("alice", "ngo", 404),
    ("alice", "gov", 404), ("alice", "office", 404),
    ("bob", "transport", 200), ("bob", "health", 404), ("bob", "ngo", 404),
    ("carol", "health", 200), ("carol", "transport", 404), ("carol", "ngo", 404),
    ("carol", "gov", 404), ("carol", "office", 404),
    ("dana", "transport", 200), ("dana", "health", 200), ("dana", "ngo", 200),
    ("dana", "gov", 200), ("dana", "office", 200),
    ("nadia", "ngo", 200), ("nadia", "transport", 404), ("nadia", "health", 404),
]


@pytest.mark.parametrize("name", ["alice", "bob", "carol", "dana", "nadia"])
def test_organisation_detail(clients, ids, name):
    rows = [row for row in DETAIL_MATRIX if row[0] == name]
    assert rows
    for _, org, status in rows:
        response = clients[name].get(f"/console/organisations/{ids[org]}/")
        assert response.status_code == status, (name, org)


ADMIN_PAGES = ["edit/", "teams/new/", "members/add/", "members/new/"]

# (user, organisation key) -> status of every admin-only page of that organisation
ADMIN_MATRIX = [
    ("alice", "transport", 200),
    ("alice", "health", 404),
    ("bob", "transport", 403),  # his own agency, but he is not an administrator
    ("bob", "health", 404),
    ("carol", "health", 200),
    ("carol", "transport", 404),  # another agency: missing, never forbidden
    ("dana", "transport", 403),  # sees everything, administers nothing
    ("dana", "health", 403),
    ("nadia", "ngo", 403),
    ("nadia", "transport", 404),
]


@pytest.mark.parametrize(("name", "org", "status"), ADMIN_MATRIX)
def test_admin_pages_get(clients, ids, name, org, status):
    for page in ADMIN_PAGES:
        url = f"/console/organisations/{ids[org]}/{page}"
        assert clients[name].get(url).status_code == status, url


HOSTILE_POSTS = {
    "edit/": {"name": "Taken over", "short_name": "X", "description": "pwned", "website": ""},
    "teams/new/": {"name": "Infiltrators", "description": ""},
    "members/add/": {"username": "nadia", "role": "administrator"},
    "members/new/": {"username": "mole", "email": "mole@example.org", "role": "administrator"},
}


@pytest.mark.parametrize(
    ("name", "org", "status"), [row for row in ADMIN_MATRIX if row[2] != 200]
)
def test_refused_admin_posts_change_nothing(clients, ids, name, org, status):
    for page in ADMIN_PAGES:
        before = snapshot()
        url = f"/console/organisations/{ids[org]}/{page}"
        assert clients[name].post(url, HOSTILE_POSTS[page]).status_code == status, url
        assert snapshot() == before, url


def test_bob_cannot_grant_roles_in_his_own_agency(clients, ids, people):
    before = snapshot()
    response = clients["bob"].post(
        f"/console/organisations/{ids['transport']}/members/add/",
        {"username": "bob", "role": "administrator"},
    )
    assert response.status_code == 403
    assert snapshot() == before
    assert not people["bob"].memberships.filter(role="administrator").exists()


def test_alice_can_grant_roles_in_her_agency(clients, ids, people):
    """The positive control: the same request works for the administrator."""
    response = clients["alice"].post(
        f"/console/organisations/{ids['transport']}/members/add/",
        {"username": "bob", "role": "editor"},
    )
    assert response.status_code == 302
    granted = people["bob"].memberships.filter(role="editor", organisation_id=ids["transport"])
    assert granted.exists()


def test_carol_cannot_choose_a_transport_team_in_her_own_agency(clients, ids):
    """A Transport team id smuggled into the POST body of a Health form is refused."""
    before = snapshot()
    response = clients["carol"].post(
        f"/console/organisations/{ids['health']}/members/add/",
        {"username": "carol", "role": "editor", "team": ids["buses"]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["team"]
    assert "Bus services" not in response.text
    assert snapshot() == before


# --- Removing a role ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "membership", "status"),
    [
        ("carol", "bob_in_transport", 404),
        ("carol", "alice_in_transport", 404),
        ("nadia", "bob_in_transport", 404),
        ("alice", "carol_in_health", 404),
        ("bob", "alice_in_transport", 403),
        ("dana", "bob_in_transport", 403),
        ("dana", "carol_in_health", 403),
    ],
)
def test_member_remove_refused(clients, ids, name, membership, status):
    before = snapshot()
    url = f"/console/organisations/memberships/{ids[membership]}/remove/"
    assert clients[name].post(url).status_code == status
    assert snapshot() == before


def test_member_remove_needs_post_and_works_for_the_administrator(clients, ids):
    url = f"/console/organisations/memberships/{ids['bob_in_transport']}/remove/"
    before = snapshot()
    assert clients["alice"].get(url).status_code == 405
    assert snapshot() == before
    assert clients["alice"].post(url).status_code == 302
    assert not Membership.objects.filter(pk=ids["bob_in_transport"]).exists()


def test_unknown_and_malformed_ids_are_missing(clients):
    carol = clients["carol"]
    assert carol.get("/console/organisations/999999/").status_code == 404
    assert carol.post("/console/organisations/memberships/999999/remove/").status_code == 404


# --- The agency switcher -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "org"),
    [("carol", "transport"), ("carol", "gov"), ("bob", "health"), ("nadia", "transport"),
     ("alice", "office")],
)
def test_switching_to_another_agency_is_missing(clients, ids, people, name, org):
    before = snapshot()
    response = clients[name].post("/console/switch/", {"organisation": ids[org]})
    assert response.status_code == 404
    assert snapshot() == before
    people[name].refresh_from_db()
    assert people[name].current_organisation_id is None


@pytest.mark.parametrize("value", ["abc", "-1", "1e3", "999999", "1 OR 1=1"])
def test_switching_to_garbage_is_missing(clients, value):
    before = snapshot()
    assert clients["carol"].post("/console/switch/", {"organisation": value}).status_code == 404
    assert snapshot() == before


def test_switching_within_reach_works_and_refuses_foreign_next(clients, ids, people):
    response = clients["carol"].post(
        "/console/switch/", {"organisation": ids["health"], "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("console:home")
    people["carol"].refresh_from_db()
    assert people["carol"].current_organisation_id == ids["health"]
    # dana sees everything, so she may work in any agency.
    response = clients["dana"].post("/console/switch/", {"organisation": ids["transport"]})
    assert response.status_code == 302


def test_switch_needs_post(clients):
    assert clients["carol"].get("/console/switch/").status_code == 405


# --- Lists are scoped ----------------------------------------------------------------------

# Random CSRF tokens can spell a name ("…LoBobYj…"): they are not page content.
_CSRF_TOKENS = re.compile(
    r'<meta name="csrf-token"[^>]*>|<input type="hidden" name="csrfmiddlewaretoken"[^>]*>'
)


def _assert_no_transport(text: str, *, staff: bool = True, echoed: str = "") -> None:
    text = _CSRF_TOKENS.sub("", text)
    if echoed:
        # The page repeats the search words (input value, heading): they are not a leak.
        text = text.replace(echoed, "")
    for word in TRANSPORT_WORDS:
        assert word not in text
    if staff:
        for word in TRANSPORT_STAFF:
            assert word not in text


def test_carol_lists_contain_nothing_of_transport(clients, ids):
    carol = clients["carol"]
    for url, query in (
        ("/console/", ""),
        ("/console/organisations/", ""),
        ("/console/organisations/?q=Transport", "Transport"),
        ("/console/organisations/?q=النقل", "النقل"),
        ("/console/organisations/people/", ""),
        ("/console/organisations/people/?q=alice", "alice"),
        ("/console/organisations/people/?q=bob", "bob"),
        ("/console/notifications/", ""),
        (f"/console/organisations/{ids['health']}/", ""),
    ):
        response = carol.get(url)
        assert response.status_code == 200, url
        _assert_no_transport(response.text, echoed=query)
        if "rows" in response.context:
            assert all(person.username in {"carol"} for person, _ in response.context["rows"])
        if "tree" in response.context:
            assert [org.name for org, _ in response.context["tree"]] in ([], ["Health Agency"])
    people_page = carol.get("/console/organisations/people/").text
    assert "carol" in people_page  # the positive control: her own agency is listed
    organisations_page = carol.get("/console/organisations/").text
    assert "Health Agency" in organisations_page


@pytest.mark.parametrize("query", ["Transport", "النقل", "交通", "Bus", "alice", "bob", "ag"])
def test_carol_search_finds_nothing_of_transport(clients, query):
    response = clients["carol"].get("/console/search/", {"q": query})
    assert response.status_code == 200
    _assert_no_transport(response.text, echoed=query)
    assert all("Transport" not in r.title for r in response.context["results"])


def test_search_positive_control(clients):
    response = clients["alice"].get("/console/search/", {"q": "Transport"})
    assert any(r.title == "Transport Agency" for r in response.context["results"])
    response = clients["carol"].get("/console/search/", {"q": "Health"})
    assert any(r.title == "Health Agency" for r in response.context["results"])


def test_nadia_sees_only_her_partner_organisation(clients):
    response = clients["nadia"].get("/console/organisations/")
    assert "Harbour Food Bank" in response.text
    _assert_no_transport(response.text)
    assert "Health Agency" not in response.text
    people_page = clients["nadia"].get("/console/organisations/people/").text
    assert "carol" not in people_page
    _assert_no_transport(people_page)


def test_agency_switcher_offers_only_reachable_organisations(clients):
    page = clients["carol"].get("/console/")
    offered = [org.name for org in page.context["switchable_organisations"]]
    assert offered == ["Health Agency"]


# --- The audit log -------------------------------------------------------------------------

@pytest.fixture
def audit_trail(clients, ids):
    """Alice and carol each change something in their own agency."""
    assert clients["alice"].post(
        f"/console/organisations/{ids['transport']}/teams/new/",
        {"name": "Rail timetable desk", "description": ""},
    ).status_code == 302
    assert clients["carol"].post(
        f"/console/organisations/{ids['health']}/teams/new/",
        {"name": "Vaccination hotline", "description": ""},
    ).status_code == 302


@pytest.mark.parametrize(("name", "status"), [("alice", 200), ("carol", 200), ("bob", 403),
                                              ("dana", 403), ("nadia", 403)])
def test_audit_log_is_for_administrators(clients, audit_trail, name, status):
    assert clients[name].get("/console/audit/").status_code == status


def test_carol_audit_log_never_shows_transport(clients, ids, audit_trail):
    carol = clients["carol"]
    page = carol.get("/console/audit/")
    assert "Vaccination hotline" in page.text  # her own agency's event
    assert "Rail timetable desk" not in page.text
    _assert_no_transport(page.text)
    for params in ({"organisation": ids["transport"]}, {"q": "Rail"}, {"actor": "alice"},
                   {"q": "Transport"}, {"action": "team.create"}):
        response = carol.get("/console/audit/", params)
        assert response.status_code == 200
        assert "Rail timetable desk" not in response.text
        _assert_no_transport(response.text, echoed=str(next(iter(params.values()))))
        assert all(e.organisation_id != ids["transport"] for e in response.context["page"])


def test_alice_audit_log_never_shows_health(clients, audit_trail):
    page = clients["alice"].get("/console/audit/")
    assert "Rail timetable desk" in page.text
    assert "Vaccination hotline" not in page.text
    assert "Health Agency" not in page.text


# --- Notifications and preferences are one's own ------------------------------------------

def test_nobody_marks_another_persons_notification(clients, people):
    alice_note = Notification.objects.filter(recipient=people["alice"]).first()
    assert alice_note is not None
    assert alice_note.read_at is None
    before = snapshot()
    response = clients["carol"].post("/console/notifications/read/",
                                     {"notification": alice_note.pk})
    assert response.status_code == 302
    assert snapshot() == before
    alice_note.refresh_from_db()
    assert alice_note.read_at is None


def test_preferences_change_only_ones_own_account(clients, people):
    response = clients["carol"].post(
        "/console/preferences/",
        {"language": "ar", "time_zone": "Asia/Dubai", "user": people["alice"].pk,
         "username": "alice"},
    )
    assert response.status_code == 302
    people["alice"].refresh_from_db()
    people["carol"].refresh_from_db()
    assert (people["alice"].language, people["alice"].time_zone) == ("en", "UTC")
    assert (people["carol"].language, people["carol"].time_zone) == ("ar", "Asia/Dubai")
