"""Malformed and hostile input through the console forms: a clear, localised error and
no change; hostile text is escaped on every page that shows it.
"""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from townsquare.organisations.models import Membership, Organisation, Team, User
from townsquare.organisations.services import membership_grant, organisation_update, team_create

from .test_console_boundaries import snapshot

pytestmark = pytest.mark.django_db

RLO = "\u202e"  # right-to-left override
ZWSP = "\u200b"  # zero-width space


@pytest.fixture
def alice_client(alice, client_for):
    return client_for(alice)


@pytest.fixture
def urls(government):
    transport = government["transport"].pk
    return {
        "edit": f"/console/organisations/{transport}/edit/",
        "team": f"/console/organisations/{transport}/teams/new/",
        "staff": f"/console/organisations/{transport}/members/new/",
        "member": f"/console/organisations/{transport}/members/add/",
        "preferences": "/console/preferences/",
        "audit": "/console/audit/",
        "search": "/console/search/",
    }


def _edit_form(**changes: str) -> dict[str, str]:
    data = {"name": "Transport Agency", "name_ar": "هيئة النقل", "name_zh": "交通局",
            "short_name": "", "description": "", "website": ""}
    data.update(changes)
    return data


VALID = {
    "team": {"name": "Ferry desk", "description": ""},
    "staff": {"username": "erin", "email": "erin@example.org", "first_name": "Erin",
              "last_name": "", "role": "responder"},
    "member": {"username": "bob", "role": "editor"},
}


def _field_errors(response, field: str) -> list[str]:
    """The field's errors in the language the page was rendered in (they are lazy)."""
    form = response.context["form"]
    with translation.override(response.headers.get("Content-Language") or "en"):
        return [str(error) for error in form.errors.get(field, [])]


def _refused(client, url, data, field, *, expect: str | None = None):
    """POST ``data``: the page comes back (200) with an error on ``field``; nothing changed."""
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 200, (url, response.status_code)
    errors = _field_errors(response, field)
    assert errors, (url, field, response.context["form"].errors)
    for error in errors:
        assert html.escape(error) in response.text  # shown to the person, not only kept
    if expect is not None:
        assert any(expect in e for e in errors), errors
    assert snapshot() == before
    return response


# --- Over-long values -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("form", "field", "data"),
    [
        ("edit", "name", _edit_form(name="N" * 201)),
        ("edit", "name_ar", _edit_form(name_ar="ن" * 201)),
        ("edit", "short_name", _edit_form(short_name="S" * 41)),
        ("edit", "description", _edit_form(description="d" * 2001)),
        ("edit", "website", _edit_form(website="https://example.org/" + "a" * 300)),
        ("team", "name", {**VALID["team"], "name": "T" * 121}),
        ("team", "description", {**VALID["team"], "description": "x" * 1001}),
        ("staff", "username", {**VALID["staff"], "username": "u" * 151}),
        ("staff", "first_name", {**VALID["staff"], "first_name": "F" * 151}),
        ("staff", "email", {**VALID["staff"], "email": "e" * 300 + "@example.org"}),
        ("member", "username", {**VALID["member"], "username": "b" * 151}),
    ],
)
def test_over_long_values_are_refused(alice_client, urls, form, field, data):
    _refused(alice_client, urls[form], data, field, expect=None)


def test_over_long_preferences_and_unknown_choices(alice_client, alice, urls):
    _refused(alice_client, urls["preferences"], {"language": "x" * 500, "time_zone": "UTC"},
             "language")
    _refused(alice_client, urls["preferences"],
             {"language": "en", "time_zone": "Mars/Olympus_Mons"}, "time_zone")
    alice.refresh_from_db()
    assert (alice.language, alice.time_zone) == ("en", "UTC")


def test_audit_filter_with_bad_values_shows_errors_and_no_events(alice_client, urls):
    for params, field in (({"q": "q" * 101}, "q"), ({"since": "yesterday"}, "since"),
                          ({"organisation": "abc"}, "organisation"),
                          ({"actor": "a\x00b"}, "actor")):
        response = alice_client.get(urls["audit"], params)
        assert response.status_code == 200
        assert response.context["form"].errors[field]
        assert '<span class="usa-error-message"' in response.text
        assert list(response.context["page"]) == []


def test_over_long_search_is_cut_not_crashed(alice_client, urls):
    response = alice_client.get(urls["search"], {"q": "Transport" * 1000})
    assert response.status_code == 200
    assert len(response.context["search_query"]) == 200


@pytest.mark.parametrize(
    "url", ["/console/search/", "/console/organisations/", "/console/organisations/people/"]
)
def test_control_characters_in_search_boxes_do_not_break_the_page(alice_client, url):
    # PostgreSQL refuses NUL in a query: it must never reach the database.
    response = alice_client.get(url, {"q": "Trans\x00port\x1b"})
    assert response.status_code == 200
    assert "\x00" not in response.text


# --- Invalid Unicode and control characters ------------------------------------------------

def test_invalid_utf8_on_the_wire_is_refused(alice_client, urls, government):
    """Lone surrogates cannot travel as UTF-8; what arrives instead is refused, not stored."""
    before = snapshot()
    body = "name=Transport%ED%A0%80Agency&name_ar=&name_zh=&short_name=&description=%FF%FE&website="
    response = alice_client.post(urls["edit"], data=body,
                                 content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "This text contains invalid characters." in errors["name"]
    assert "This text contains invalid characters." in errors["description"]
    assert snapshot() == before


@pytest.mark.parametrize("field", ["name", "name_ar", "short_name", "description"])
def test_lone_surrogates_are_refused_by_the_form(alice, government, field):
    from townsquare.organisations.forms import OrganisationForm

    form = OrganisationForm(data=_edit_form(**{field: "Trans\ud800port"}))
    assert not form.is_valid()
    assert form.errors[field] == ["This text contains invalid characters."]


@pytest.mark.parametrize(
    "case",
    [
        ("edit", "name", _edit_form(name="Transport\x07Agency"),
         "This text contains control characters."),
        ("edit", "name", _edit_form(name="Transport\nAgency"), "A name must fit on one line."),
        ("edit", "name", _edit_form(name="Transport\x00Agency"),
         "Null characters are not allowed."),
        ("edit", "description", _edit_form(description="ok\x1b[31mred"),
         "This text contains control characters."),
        ("team", "name", {**VALID["team"], "name": "Desk\x08"},
         "This text contains control characters."),
        ("staff", "last_name", {**VALID["staff"], "last_name": "Do\x0be"},
         "This text contains control characters."),
        ("staff", "username", {**VALID["staff"], "username": "erin\x00"},
         "Null characters are not allowed."),
    ],
)
def test_control_characters_are_refused(alice_client, urls, case):
    form, field, data, message = case
    _refused(alice_client, urls[form], data, field, expect=message)


# --- Direction controls and invisible characters in names ---------------------------------

BIDI_MESSAGE = "Names cannot contain text-direction control characters."


@pytest.mark.parametrize(
    ("form", "field", "data"),
    [
        ("edit", "name", _edit_form(name=f"Transport {RLO}ycnegA")),
        ("edit", "name_ar", _edit_form(name_ar=f"هيئة{RLO} النقل")),
        ("edit", "short_name", _edit_form(short_name=f"TA{RLO}")),
        ("team", "name", {**VALID["team"], "name": f"Ferry{RLO}desk"}),
        ("staff", "first_name", {**VALID["staff"], "first_name": f"Eri{RLO}n"}),
        ("staff", "last_name", {**VALID["staff"], "last_name": "\u2066Doe\u2069"}),
    ],
)
def test_direction_controls_in_names_are_refused(alice_client, urls, form, field, data):
    _refused(alice_client, urls[form], data, field, expect=BIDI_MESSAGE)


def test_zero_width_characters_are_removed_from_names(alice_client, urls, government):
    response = alice_client.post(urls["team"], {"name": f"Ferry{ZWSP}desk", "description": ""})
    assert response.status_code == 302
    team = Team.objects.get(organisation=government["transport"], name="Ferrydesk")
    assert ZWSP not in team.name


def test_a_name_of_only_invisible_characters_is_refused(alice_client, urls):
    _refused(alice_client, urls["team"], {"name": ZWSP * 3, "description": ""}, "name")
    _refused(alice_client, urls["edit"], _edit_form(name=f"{ZWSP}\u2060\ufeff"), "name")


def test_names_are_isolated_when_displayed(alice_client, government):
    """Every name sits in <bdi>, so even a stored override could not reorder the page."""
    transport = government["transport"]
    # Data that did not come through our forms (an old import) may hold an override.
    Organisation.objects.filter(pk=transport.pk).update(name=f"Transport {RLO}ycnegA")
    detail = alice_client.get(f"/console/organisations/{transport.pk}/").text
    listing = alice_client.get("/console/organisations/").text
    for page in (detail, listing):
        for match in re.finditer(re.escape(f"Transport {RLO}ycnegA"), page):
            before = page[: match.start()]
            in_bdi = before.rfind("<bdi>") > before.rfind("</bdi>")
            in_attribute_or_title = before.rfind("<") > before.rfind(">") or (
                before.rfind("<title>") > before.rfind("</title>")
            ) or before.rfind("<option") > before.rfind("</option>")
            assert in_bdi or in_attribute_or_title, page[match.start() - 80: match.end()]


# --- HTML and script are escaped everywhere ------------------------------------------------

HOSTILE_NAME = '<script>alert("org")</script> & Co'
HOSTILE_TEAM = "<img src=x onerror=alert(1)>"
HOSTILE_DESCRIPTION = "<iframe src=javascript:alert(2)></iframe>"
HOSTILE_PERSON = "<svg onload=alert(3)>"
ESCAPED_NAME = "&lt;script&gt;alert(&quot;org&quot;)&lt;/script&gt; &amp; Co"
RAW_MARKERS = ("<script>alert", "<img src=x", "<iframe", "<svg onload")


@pytest.fixture
def hostile_data(alice_client, urls, alice, bob, government):
    transport = government["transport"]
    response = alice_client.post(urls["edit"], _edit_form(
        name=HOSTILE_NAME, name_ar=HOSTILE_NAME, short_name="<b>TA</b>",
        description=HOSTILE_DESCRIPTION))
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert alice_client.post(urls["team"], {"name": HOSTILE_TEAM,
                                            "description": HOSTILE_DESCRIPTION}).status_code == 302
    assert alice_client.post(urls["staff"], {**VALID["staff"],
                                             "first_name": HOSTILE_PERSON}).status_code == 302
    transport.refresh_from_db()
    assert transport.name == HOSTILE_NAME  # stored as typed: escaping is the display's job
    return transport


def _assert_escaped(text: str, url: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in text, (url, marker)


def test_hostile_text_is_escaped_in_every_console_page(hostile_data, alice_client, bob,
                                                       client_for):
    transport = hostile_data
    pages = [
        "/console/",
        "/console/organisations/",
        f"/console/organisations/{transport.pk}/",
        f"/console/organisations/{transport.pk}/edit/",
        f"/console/organisations/{transport.pk}/teams/new/",
        f"/console/organisations/{transport.pk}/members/add/",
        "/console/organisations/people/",
        "/console/organisations/people/?q=erin",
        "/console/search/?q=script",
        "/console/search/?q=img",
        "/console/search/?q=svg",
        "/console/audit/",
        "/console/audit/?q=script",
        "/console/notifications/",
        "/console/preferences/",
    ]
    escaped_seen = False
    for url in pages:
        response = alice_client.get(url)
        assert response.status_code == 200, url
        _assert_escaped(response.text, url)
        escaped_seen |= ESCAPED_NAME in response.text
    assert escaped_seen
    # bob's notification names the organisation (a role granted by alice just now).
    membership_grant(actor=None, user=bob, organisation=transport, role="editor")
    bob_page = client_for(bob).get("/console/notifications/").text
    _assert_escaped(bob_page, "bob notifications")
    assert "&lt;script&gt;" in bob_page


def test_hostile_text_is_escaped_in_the_portal(hostile_data):
    anonymous = Client()
    for url, language in (("/", "en"), (f"/organisations/{hostile_data.slug}/", "en"),
                          ("/", "ar"), (f"/organisations/{hostile_data.slug}/", "ar")):
        anonymous.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = anonymous.get(url)
        assert response.status_code == 200
        _assert_escaped(response.text, url)
        assert "&lt;script&gt;" in response.text


def test_hostile_search_words_are_escaped(alice_client):
    for url in ("/console/search/", "/console/organisations/", "/console/organisations/people/",
                "/console/audit/"):
        response = alice_client.get(url, {"q": '"><script>alert(4)</script>'})
        assert response.status_code == 200
        assert "<script>alert(4)" not in response.text


def test_service_data_with_markup_is_escaped(alice_client, government):
    """Names that came in through services (imports, the API) are escaped the same way."""
    transport = government["transport"]
    team_create(actor=None, organisation=transport, name="<b onmouseover=alert(5)>Desk</b>")
    organisation_update(actor=None, organisation=transport,
                        description="<script>alert(6)</script>")
    page = alice_client.get(f"/console/organisations/{transport.pk}/").text
    assert "<b onmouseover" not in page
    assert "<script>alert(6)" not in page
    assert "&lt;b onmouseover=alert(5)&gt;Desk&lt;/b&gt;" in page


# --- Posts without a CSRF token ------------------------------------------------------------

def test_posts_without_csrf_token_are_refused(alice, bob, government, urls):
    transport = government["transport"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    bob_membership = Membership.objects.get(user=bob, organisation=transport)
    notification = alice.notifications.first()
    posts = [
        (urls["edit"], _edit_form(name="No token")),
        (urls["team"], VALID["team"]),
        (urls["staff"], VALID["staff"]),
        (urls["member"], VALID["member"]),
        (urls["preferences"], {"language": "ar", "time_zone": "Asia/Dubai"}),
        ("/console/switch/", {"organisation": transport.pk}),
        ("/console/notifications/read/", {"notification": notification.pk}),
        (f"/console/organisations/memberships/{bob_membership.pk}/remove/", {}),
        ("/i18n/setlang/", {"language": "ar"}),
    ]
    before = snapshot()
    for url, data in posts:
        assert strict.post(url, data).status_code == 403, url
        assert strict.post(url, data, HTTP_X_CSRFTOKEN="forged-token").status_code == 403, url
    assert snapshot() == before


def test_posts_with_the_csrf_token_work(alice, urls):
    """The positive control: the same client succeeds once it sends the page's token."""
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    page = strict.get(urls["team"])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = strict.post(urls["team"], {**VALID["team"], "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Team.objects.filter(name="Ferry desk").exists()


# --- Errors are in the person's language ---------------------------------------------------

def _arabic(message: str) -> str:
    with translation.override("ar"):
        return translation.gettext(message)


def test_errors_are_localised(alice, alice_client, urls):
    arabic_bidi = _arabic(BIDI_MESSAGE)
    assert arabic_bidi != BIDI_MESSAGE, "the Arabic catalogue lacks the bidi message"
    User.objects.filter(pk=alice.pk).update(language="ar")
    response = _refused(alice_client, urls["team"], {"name": f"Ferry{RLO}desk", "description": ""},
                        "name")
    assert response.text.count(arabic_bidi) == 1
    assert BIDI_MESSAGE not in response.text
    assert '<html lang="ar" dir="rtl">' in response.text
    # Django's own messages come in Arabic too.
    response = _refused(alice_client, urls["team"], {"name": "T" * 121, "description": ""}, "name")
    assert "Ensure this value" not in response.text
    # And back in English for an English reader.
    User.objects.filter(pk=alice.pk).update(language="en")
    response = _refused(alice_client, urls["team"], {"name": f"Ferry{RLO}desk", "description": ""},
                        "name")
    assert response.text.count(BIDI_MESSAGE) == 1


def test_duplicate_username_gets_a_translatable_form_error(alice_client, bob, urls):
    response = _refused(alice_client, urls["staff"], {**VALID["staff"], "username": "BOB"},
                        "username")
    assert "This username is taken." in response.text
