"""Security basics: CSP, no inline code, cookies, CSRF, production start-up, sign-in audit."""

from __future__ import annotations

import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from conftest import TEST_PASSWORD

REPO = Path(__file__).resolve().parents[3]
GOOD_KEY = "k3Jp9-vQz7_Lm2XwR8tYb4NcF6hDs1GaE0uIoPqWeTyUiOpAsDfGhJkLzXcVbNm"
CHANNEL_KEY = "p0B4Y3b3QWcW7Gx9m1r5cQx2nLzK8vT6hJ4dF0sA1eE="
ARCHIVE_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # bytes 0..31, tests only


class _InlineCodeFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._inline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if "style" in names:
            self.problems.append(f"style attribute on <{tag}>")
        if any(name.startswith("on") for name in names):
            self.problems.append(f"event handler on <{tag}>")
        if tag == "style":
            self.problems.append("<style> element")
        # json_script data blocks (type=application/json) are never executed.
        if tag == "script" and not names.get("src"):
            self._inline = (names.get("type") or "").lower() != "application/json"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inline:
            self.problems.append("inline <script>")
            self._inline = False


def inline_code_problems(html: str) -> list[str]:
    finder = _InlineCodeFinder()
    finder.feed(html)
    return finder.problems


def test_inline_code_finder():
    assert inline_code_problems("<script>x()</script>") == ["inline <script>"]
    assert inline_code_problems('<div style="x">') == ["style attribute on <div>"]
    assert inline_code_problems("<style>p{}</style>") == ["<style> element"]
    assert inline_code_problems('<script src="/a.js"></script><p>ok</p>') == []


# --- Content-Security-Policy and inline code ------------------------------------------------


def _csp(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "alice"])
def test_csp_header_is_strict(who, request):
    client = Client()
    if who == "alice":
        client.force_login(request.getfixturevalue("alice"))
    urls = [reverse("portal:home")]
    # A signed-in person is sent on from the sign-in page, so each sees their own pages.
    urls.append(reverse("console:home") if who == "alice" else reverse("account_login"))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = _csp(response)
        assert policy["script-src"] == "script-src 'self'", url
        assert policy["style-src"] == "style-src 'self'", url
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
        assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
        assert policy["object-src"] == "object-src 'none'"
        assert policy["frame-ancestors"] == "frame-ancestors 'none'"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def _pages_without_arguments(namespace: str) -> list[str]:
    from django.urls import URLPattern, get_resolver

    resolver = get_resolver().namespace_dict[namespace][1]
    return [
        reverse(f"{namespace}:{p.name}")
        for p in resolver.url_patterns
        if isinstance(p, URLPattern) and not p.pattern.regex.groups and p.name
    ]


@pytest.mark.django_db
def test_no_rendered_page_has_inline_script_or_style(alice, bob, carol, dana, government):
    checked = 0
    anonymous = Client()
    for url in [reverse("account_login"), reverse("account_reset_password"),
                *_pages_without_arguments("portal")]:
        response = anonymous.get(url)
        if response.status_code == 200:
            assert inline_code_problems(response.content.decode()) == [], url
            checked += 1
    for user in (alice, bob, dana):
        client = Client()
        client.force_login(user)
        for url in [*_pages_without_arguments("console"), reverse("mfa_index"),
                    reverse("mfa_list_webauthn")]:
            response = client.get(url)
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                assert inline_code_problems(response.content.decode()) == [], url
                checked += 1
    assert checked >= 10


# --- Cookies and CSRF -------------------------------------------------------------------


@pytest.mark.django_db
def test_cookies_are_secure_and_http_only_when_secure_cookies(settings, bob):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client = Client()
    client.get(reverse("account_login"))
    response = client.post(reverse("account_login"), {"login": "bob", "password": TEST_PASSWORD})
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"
    csrf = client.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"]
    assert csrf["httponly"]


def test_settings_tie_cookie_security_to_secure_cookies():
    from django.conf import settings

    assert settings.SESSION_COOKIE_SECURE == settings.SECURE_COOKIES
    assert settings.CSRF_COOKIE_SECURE == settings.SECURE_COOKIES
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.CSRF_COOKIE_HTTPONLY is True


@pytest.mark.django_db
def test_post_without_csrf_token_is_refused(bob):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": "bob", "password": TEST_PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(bob)
    response = signed_in.post(reverse("console:preferences"), {"language": "ar"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_post_with_csrf_token_is_accepted(bob):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("account_login"))
    token = page.context["csrf_token"]
    response = client.post(reverse("account_login"),
                           {"login": "bob", "password": TEST_PASSWORD,
                            "csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302


# --- Production start-up ----------------------------------------------------------------


def _start(env_changes: dict[str, str | None], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SECRET_KEY", "DEBUG", "SECURE_COOKIES", "OIDC_", "CHANNEL_",
                                  "ARCHIVE_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "townsquare.settings",
        "CHANNEL_ENCRYPTION_KEYS": CHANNEL_KEY,
        "ARCHIVE_SIGNING_KEY": ARCHIVE_KEY,
        "TOWNSQUARE_ENV": "production",
        "DATA_DIR": str(tmp_path),
        "SECRET_KEY": GOOD_KEY,
        "DEBUG": "false",
        "SECURE_COOKIES": "true",
        "ALLOWED_HOSTS": "townsquare.example.org",
        "SITE_URL": "https://townsquare.example.org",
    })
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_production_starts_with_good_values(tmp_path):
    result = _start({}, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "started" in result.stdout


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"DEBUG": "true"}, "DEBUG must be false"),
        ({"SECURE_COOKIES": "false"}, "SECURE_COOKIES"),
        ({"SECRET_KEY": "too-short-secret"}, "SECRET_KEY must be a random value"),
        ({"SECRET_KEY": "django-insecure-" + "x" * 60}, "SECRET_KEY must be a random value"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"SITE_URL": "http://townsquare.example.org"}, "SITE_URL"),
        ({"CHANNEL_ENCRYPTION_KEYS": None}, "CHANNEL_ENCRYPTION_KEYS"),
        ({"ARCHIVE_SIGNING_KEY": None}, "ARCHIVE_SIGNING_KEY"),
    ],
)
def test_production_refuses_unsafe_values(tmp_path, changes, named):
    result = _start(changes, tmp_path)
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert named in result.stderr
    assert GOOD_KEY not in result.stderr  # the secret itself is never printed


def test_secret_key_file_is_read(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text(GOOD_KEY + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c",
         ("import django; django.setup(); from django.conf import settings; "
         "import hashlib; print(hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest())")],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("SECRET_KEY")},
             "DJANGO_SETTINGS_MODULE": "townsquare.settings", "TOWNSQUARE_ENV": "production",
             "DATA_DIR": str(tmp_path), "SECRET_KEY_FILE": str(key_file), "DEBUG": "false",
             "CHANNEL_ENCRYPTION_KEYS": CHANNEL_KEY, "ARCHIVE_SIGNING_KEY": ARCHIVE_KEY,
             "SECURE_COOKIES": "true", "ALLOWED_HOSTS": "townsquare.example.org",
             "SITE_URL": "https://townsquare.example.org"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    import hashlib

    assert result.stdout.strip() == hashlib.sha256(GOOD_KEY.encode()).hexdigest()


def test_unreadable_secret_key_file_is_named(tmp_path):
    result = _start({"SECRET_KEY": None, "SECRET_KEY_FILE": str(tmp_path / "missing")}, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY_FILE" in result.stderr


# --- Sign-in audit ----------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_in_success_and_failure_are_audited(bob):
    from townsquare.core.models import AuditEvent

    client = Client(REMOTE_ADDR="127.0.0.9", HTTP_USER_AGENT="pytest-browser")
    client.post(reverse("account_login"), {"login": "bob", "password": "wrong-guess-123"})
    failed = AuditEvent.objects.get(action="auth.sign_in_failed")
    assert failed.actor is None
    assert failed.actor_label == "bob"
    assert failed.ip_address == "127.0.0.9"
    assert "wrong-guess" not in str(failed.details)

    response = client.post(reverse("account_login"), {"login": "bob", "password": TEST_PASSWORD})
    assert response.status_code == 302
    ok = AuditEvent.objects.get(action="auth.sign_in")
    assert ok.actor == bob
    assert ok.ip_address == "127.0.0.9"
    assert ok.user_agent == "pytest-browser"

    client.post(reverse("account_logout"))
    assert AuditEvent.objects.filter(action="auth.sign_out", actor=bob).count() == 1


@pytest.mark.django_db
def test_failed_second_factor_is_not_a_sign_in(alice):
    from townsquare.core.models import AuditEvent

    client = Client()
    client.post(reverse("account_login"), {"login": "alice", "password": TEST_PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert not AuditEvent.objects.filter(action="auth.sign_in", actor=alice).exists()
