"""Sign-in flows end to end: passwords, two-factor set-up and use, throttling, page shell.

Every step goes through allauth's real views with the test client, as a browser would.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pyotp
import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from conftest import ALICE_TOTP_SECRET, TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _totp_tolerance(settings):
    # A code computed just before a 30-second boundary is still accepted when the
    # request lands just after it (as an authenticator app's code would be).
    settings.MFA_TOTP_TOLERANCE = 1


class _InlineCodeFinder(HTMLParser):
    """Collects executable inline <script> blocks and style="" attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_inline_script = False
        self.script_data_blocks = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if "style" in names:
            self.problems.append(f"style attribute on <{tag}>")
        if any(name.startswith("on") for name in names):
            self.problems.append(f"event handler attribute on <{tag}>")
        if tag == "script" and not names.get("src"):
            if (names.get("type") or "").lower() == "application/json":
                self.script_data_blocks += 1  # json_script data: never executed
            else:
                self._in_inline_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_inline_script:
            self.problems.append("inline <script> without src")
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        return None


def inline_code_problems(html: str) -> list[str]:
    finder = _InlineCodeFinder()
    finder.feed(html)
    return finder.problems


def sign_in(client: Client, login: str, password: str = TEST_PASSWORD):
    return client.post(reverse("account_login"), {"login": login, "password": password})


def reauthenticate(client: Client, password: str = TEST_PASSWORD) -> None:
    """allauth asks for the password again before security settings change."""
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content[:500]


def make_staff(username: str, organisation, role: str):
    from townsquare.organisations.services import membership_grant, staff_user_create

    user = staff_user_create(actor=None, username=username, email=f"{username}@example.org",
                             first_name=username.capitalize(), password=TEST_PASSWORD)
    membership_grant(actor=None, user=user, organisation=organisation, role=role)
    return user


def console_urls() -> list[str]:
    """Every console page that takes no argument (from the URL configuration itself)."""
    urls = []
    for namespace in ("console",):
        resolver = get_resolver().namespace_dict[namespace][1]
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLPattern) and not pattern.pattern.regex.groups:
                urls.append(reverse(f"{namespace}:{pattern.name}"))
    return urls


# --- Password sign-in ------------------------------------------------------------------


def test_responder_signs_in_with_password_and_reaches_console(bob):
    client = Client()
    response = sign_in(client, "bob")
    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")
    assert client.get(reverse("console:home")).status_code == 200


def test_sign_in_by_email_address_works(bob):
    client = Client()
    response = sign_in(client, "bob@example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(bob):
    client = Client()
    response = sign_in(client, "bob", "not-the-right-password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    errors = response.context["form"].non_field_errors()
    assert errors
    assert "username" in errors[0].lower()


def test_sign_up_is_closed(db):
    response = Client().get(reverse("account_signup"))
    assert response.status_code == 200
    assert b"closed" in response.content.lower()
    assert b'name="password1"' not in response.content


# --- Two-factor authentication ---------------------------------------------------------


def test_user_with_totp_is_asked_for_the_code(alice):
    client = Client()
    response = sign_in(client, "alice")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # Not signed in yet: the console sends the browser back to sign-in.
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("console:home")).status_code == 302

    page = client.get(reverse("mfa_authenticate"))
    assert page.status_code == 200
    assert inline_code_problems(page.content.decode()) == []

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    code = pyotp.TOTP(ALICE_TOTP_SECRET).now()
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")
    assert client.get(reverse("console:home")).status_code == 200


def test_approver_without_second_factor_must_set_one_up_first(government):
    user = make_staff("paula", government["transport"], "approver")
    client = Client()
    response = sign_in(client, "paula")
    assert response.status_code == 302
    required = reverse("console:mfa_required")

    pages = console_urls()
    assert reverse("console:home") in pages
    assert len(pages) >= 5
    for url in pages:
        response = client.get(url)
        if url == required:
            assert response.status_code == 200
            assert reverse("mfa_activate_totp").encode() in response.content
        else:
            assert response.status_code == 302, url
            assert response["Location"] == required, url
    # Other apps' console pages are behind the same gate.
    response = client.get(reverse("organisations:list"))
    assert response.status_code == 302
    assert response["Location"] == required

    # allauth's own pages stay reachable so the second factor can be set up; having just
    # signed in with the password, no re-authentication is asked for.
    activate = client.get(reverse("mfa_activate_totp"))
    assert activate.status_code == 200
    assert inline_code_problems(activate.content.decode()) == []
    assert b"data:image/svg+xml" in activate.content  # the QR code
    secret = activate.context["form"].secret
    assert secret.encode() in activate.content  # also shown as text for manual entry

    bad = client.post(reverse("mfa_activate_totp"), {"code": "123456"})
    assert bad.status_code == 200
    assert client.get(reverse("console:home"))["Location"] == required

    response = client.post(reverse("mfa_activate_totp"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    from allauth.mfa.models import Authenticator

    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("console:home")).status_code == 200
    for url in pages:
        response = client.get(url)
        assert response.get("Location") != required, url


def test_responder_is_not_forced_to_set_up_a_second_factor(bob):
    client = Client()
    sign_in(client, "bob")
    assert client.get(reverse("console:home")).status_code == 200


def test_administrator_granted_later_is_sent_to_set_up(government, bob):
    from townsquare.organisations.services import membership_grant

    membership_grant(actor=None, user=bob, organisation=government["health"],
                     role="administrator")
    client = Client()
    sign_in(client, "bob")
    response = client.get(reverse("console:home"))
    assert response["Location"] == reverse("console:mfa_required")


# --- Throttling ------------------------------------------------------------------------


def test_repeated_failed_sign_ins_lock_the_account_for_a_while(bob):
    from django.core.cache import caches

    client = Client()
    for _attempt in range(5):
        response = sign_in(client, "bob", "wrong-password-guess")
        assert response.status_code == 200
        assert b"Too many failed" not in response.content
    # Now even the right password is refused, with a clear message.
    response = sign_in(client, "bob")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content
    # The counter lives in the shared cache (DatabaseCache in embedded mode).
    assert caches["default"].__class__.__name__ in {"DatabaseCache", "RedisCache"}
    # Typing the e-mail address instead of the username does not reset the count.
    other = Client()
    response = sign_in(other, "bob@example.org")
    assert response.status_code == 200
    assert "_auth_user_id" not in other.session
    assert b"Too many failed login attempts" in response.content


def test_failed_sign_ins_of_one_account_do_not_lock_another(bob, dana):
    client = Client()
    for _attempt in range(5):
        sign_in(client, "bob", "wrong-password-guess")
    assert b"Too many failed" in sign_in(client, "bob").content
    response = sign_in(client, "dana")
    assert response.status_code == 302


def test_database_cache_round_trip(db):
    from django.core.cache import cache

    cache.set("townsquare-test-key", {"n": 1}, 30)
    assert cache.get("townsquare-test-key") == {"n": 1}
    assert cache.add("townsquare-counter", 1) is True
    assert cache.add("townsquare-counter", 5) is False
    assert cache.incr("townsquare-counter") == 2


# --- Every allauth page inside the Townsquare shell ---------------------------------------


SIGNED_OUT_PAGES = ["account_login", "account_reset_password", "account_reset_password_done"]


@pytest.mark.parametrize("name", SIGNED_OUT_PAGES)
def test_signed_out_pages_use_the_townsquare_shell(db, name):
    response = Client().get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert "ts-brand" in html  # our header
    assert "usa-footer" in html  # our footer
    assert "Content-Security-Policy" in response.headers
    assert inline_code_problems(html) == []


def test_signed_in_pages_use_the_console_shell(bob):
    client = Client()
    sign_in(client, "bob")
    reauthenticate(client)
    names = ["account_change_password", "mfa_index", "mfa_activate_totp", "mfa_list_webauthn",
             "mfa_add_webauthn", "account_logout"]
    for name in names:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        html = response.content.decode()
        assert "ts-topbar" in html, name  # console/base.html
        assert "usa-header" in html, name
        assert inline_code_problems(html) == [], name
    add = client.get(reverse("mfa_add_webauthn")).content.decode()
    assert 'data-ts-allauth="webauthn.addForm"' in add
    assert 'id="js_data" type="application/json"' in add
    assert "townsquare/auth/auth.js" in add


def test_recovery_code_pages_have_no_inline_script(alice):
    client = Client()
    sign_in(client, "alice")
    client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(ALICE_TOTP_SECRET).now()})
    reauthenticate(client)
    generate = client.get(reverse("mfa_generate_recovery_codes"))
    assert generate.status_code == 200
    assert inline_code_problems(generate.content.decode()) == []
    response = client.post(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == 302
    view = client.get(reverse("mfa_view_recovery_codes"))
    assert view.status_code == 200
    html = view.content.decode()
    assert inline_code_problems(html) == []
    assert 'data-ts-allauth="recoveryCodes.viewForm"' in html
    assert 'id="recovery_codes"' in html


def test_inline_code_finder_catches_what_it_should():
    assert inline_code_problems("<script>alert(1)</script>") == ["inline <script> without src"]
    assert inline_code_problems('<p style="color:red">x</p>') == ["style attribute on <p>"]
    assert inline_code_problems('<a onclick="x()">x</a>') == ["event handler attribute on <a>"]
    assert inline_code_problems('<script src="/static/a.js"></script>') == []
    assert inline_code_problems('<script id="d" type="application/json">{}</script>') == []
