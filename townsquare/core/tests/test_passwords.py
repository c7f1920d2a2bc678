"""The NIST SP 800-63B password rules (townsquare.core.passwords)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation

from townsquare.core.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    NistPasswordValidator,
    blocked_passwords,
)

validator = NistPasswordValidator()
SOMEONE = SimpleNamespace(username="margaret", first_name="Margaret", last_name="Okonkwo",
                          email="m.okonkwo@transport.example.org")


def codes_for(password: str, user=None) -> list[str]:
    try:
        validator.validate(password, user)
    except ValidationError as exc:
        return [error.code for error in exc.error_list]
    return []


def test_limits_are_the_nist_ones():
    assert MIN_LENGTH == 12
    assert MAX_LENGTH == 128


def test_eleven_characters_are_refused_and_twelve_accepted():
    assert codes_for("qmv-trk-zpla") == []  # 12
    assert codes_for("qmv-trk-zpl") == ["password_too_short"]  # 11


def test_one_hundred_and_twenty_eight_accepted_and_129_refused():
    base = "river stone lantern mango "  # a passphrase, repeated to the limit
    long_ok = (base * 10)[:128]
    assert len(long_ok) == 128
    assert codes_for(long_ok) == []
    assert codes_for((base * 10)[:129]) == ["password_too_long"]


@pytest.mark.parametrize(
    "passphrase",
    [
        "شجرة الزيتون في الحديقة",  # Arabic
        "我家门前有两棵枣树很好看",  # Chinese, 12 characters
        "🐘🌙🍵🚲🌧🎻🦉🪁🧭🍋🌵🎈",  # emoji only
        "Ünïcödé façade naïveté",
    ],
)
def test_any_unicode_passphrase_is_accepted(passphrase):
    assert codes_for(passphrase) == []


def test_length_counts_characters_not_bytes():
    eleven_chinese = "我家门前有两棵枣树很好"
    assert len(eleven_chinese.encode("utf-8")) > 12
    assert codes_for(eleven_chinese) == ["password_too_short"]


def test_no_composition_rules():
    # All lower case, no digit, no symbol: fine when long and not common.
    assert codes_for("purple elephants dance quietly") == []
    assert codes_for("purpleelephantsdancequietly") == []


@pytest.mark.parametrize(
    "password",
    ["password1234", "iloveyou1234", "qwertyuiopas", "1q2w3e4r5t6y", "Password1234",
     "correcthorsebatterystaple", "townsquare2026", " administrator "],
)
def test_project_listed_passwords_are_refused(password):
    assert codes_for(password) == ["password_blocked"]


def test_django_common_list_is_included():
    words = blocked_passwords()
    assert len(words) > 19000  # Django's 20,000 common passwords
    assert "sunshine" in words
    long_common = sorted(w for w in words if len(w) >= 12)[0]
    assert codes_for(long_common) == ["password_blocked"]


@pytest.mark.parametrize(
    "password",
    ["zzzzzzzzzzzzzzzz", "abababababababab", "abcdefghijklmnop", "ponmlkjihgfedcba",
     "3456789:;<=>?@"],
)
def test_repetitive_or_sequential_passwords_are_refused(password):
    assert codes_for(password) == ["password_pattern"]


@pytest.mark.parametrize(
    "password",
    ["margaret2024!", "Margaret12345", "okonkwookonkwo1", "m.okonkwo@transport.example.org",
     "MARGARET-OKONKWO", "townsquare1234", "Townsquare!!!!"],
)
def test_name_or_service_based_passwords_are_refused(password):
    assert codes_for(password, SOMEONE) == ["password_personal"]


def test_a_name_inside_a_real_passphrase_is_fine():
    assert codes_for("margaret grows violet tomatoes", SOMEONE) == []
    # Without a user only the service words count.
    assert codes_for("margaret2024!!") == []


def test_django_password_validation_uses_it(settings):
    with pytest.raises(ValidationError) as exc:
        validate_password("short")
    assert exc.value.error_list[0].code == "password_too_short"
    validate_password("a long and unusual passphrase")


def test_help_text_states_the_rule():
    text = validator.get_help_text()
    assert "12" in text
    assert "128" in text


def test_messages_are_translatable(monkeypatch):
    """Each message goes through gettext at the moment it is shown (not at import)."""
    seen: list[str] = []

    def fake_gettext(message: str) -> str:
        seen.append(message)
        return "TRANSLATED"

    def fake_ngettext(singular: str, plural: str, number: int) -> str:
        seen.append(plural)
        return "TRANSLATED %(min)d"

    monkeypatch.setattr("townsquare.core.passwords._", fake_gettext)
    monkeypatch.setattr("townsquare.core.passwords.ngettext", fake_ngettext)
    for password, user in [("short", None), ("x" * 200, None), ("password1234", None),
                           ("abcdefghijklmnop", None), ("margaret2024!", SOMEONE)]:
        with pytest.raises(ValidationError) as exc:
            validator.validate(password, user)
        assert exc.value.messages[0].startswith("TRANSLATED")
    assert validator.get_help_text() == "TRANSLATED"
    assert len(seen) == 6


def test_messages_follow_the_active_language():
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        validator.validate("short")
    assert "12 characters" in exc.value.messages[0]
