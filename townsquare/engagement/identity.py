"""Who is responding or voting, without storing who they are.

- Browser tokens (the resume cookie of a survey, the voter cookie of a poll) are random
  secrets; the database keeps only a keyed hash, so a leaked table cannot be replayed.
- Verified respondents prove an email address (or a mobile number, see engagement.sms)
  with a one-time code; the response keeps a keyed hash of the address or number, which
  is what the one-response-per-person constraint is on.
- Rate limits per address and per person use the shared cache, so every web process of
  the installation counts together.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

CODE_LIFETIME = 15 * 60
CODE_ATTEMPTS = 5


class CodeResult(enum.Enum):
    RIGHT = "right"
    WRONG = "wrong"
    TOO_MANY = "too_many"  # CODE_ATTEMPTS wrong tries already: the code is gone
    NONE = "none"  # expired, already used, or never asked for


def keyed_hash(purpose: str, value: str) -> str:
    key = hashlib.sha256(f"townsquare.engagement:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def normalise_email(email: str) -> str:
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError(_("Enter an email address like name@example.org.")) from exc
    return email.lower()


def code_issue(*, scope: str, identity: str) -> str:
    """A new six-digit code for ``identity`` (a normalised address or number) in ``scope``.

    Only a keyed hash of the code is kept, for CODE_LIFETIME; asking again replaces the
    code and its count of wrong tries.
    """
    code = f"{secrets.randbelow(1_000_000):06d}"
    key = _code_key(scope, identity)
    cache.set(key, keyed_hash("code", code), CODE_LIFETIME)
    cache.delete(f"{key}:tries")
    return code


def code_check(*, scope: str, identity: str, code: str) -> CodeResult:
    """Check ``code``; a right one is used up, so a replay of it finds nothing.

    Each try is counted before its comparison, so no guess is compared uncounted; with
    Redis (an atomic increment) parallel guesses get CODE_ATTEMPTS comparisons in all.
    """
    key = _code_key(scope, identity)
    stored = cache.get(key)
    if not isinstance(stored, str):
        return CodeResult.NONE
    cache.add(f"{key}:tries", 0, CODE_LIFETIME)
    try:
        tries = cache.incr(f"{key}:tries")
    except ValueError:  # the counter expired with the code a moment ago
        return CodeResult.NONE
    if tries > CODE_ATTEMPTS:
        cache.delete_many([key, f"{key}:tries"])
        return CodeResult.TOO_MANY
    if not hmac.compare_digest(stored, keyed_hash("code", code.strip())):
        return CodeResult.WRONG
    cache.delete_many([key, f"{key}:tries"])
    return CodeResult.RIGHT


def _code_key(scope: str, identity: str) -> str:
    return f"engagement:code:{scope}:{keyed_hash('code-for', identity)}"


def _email_scope(survey_id: int) -> str:
    return f"email:{survey_id}"


def email_code_send(*, survey_id: int, survey_title: str, email: str) -> None:
    """Email a six-digit code that proves the respondent holds ``email``."""
    email = normalise_email(email)
    code = code_issue(scope=_email_scope(survey_id), identity=email)
    subject = _("Your code for the survey “%(title)s”") % {"title": survey_title}
    body = _("Your code is %(code)s. It works for 15 minutes. If you did not ask for it, "
             "ignore this email.") % {"code": code}
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]))


def email_code_check(*, survey_id: int, email: str, code: str) -> str:
    """The respondent key for ``email`` when ``code`` is right; ValidationError otherwise."""
    email = normalise_email(email)
    result = code_check(scope=_email_scope(survey_id), identity=email, code=code)
    if result == CodeResult.NONE:
        raise ValidationError(_("That code has expired. Ask for a new one."))
    if result == CodeResult.TOO_MANY:
        raise ValidationError(_("Too many wrong codes. Ask for a new one."))
    if result == CodeResult.WRONG:
        raise ValidationError(_("That code is not right. Check the email and try again."))
    return keyed_hash(f"respondent:{survey_id}", email)


def rate_limited(scope: str, identity: str, *, limit: int, window: int = 3600) -> bool:
    """Count one action; True once ``identity`` has done more than ``limit`` in the window."""
    if not identity or limit <= 0:
        return False
    key = f"engagement:rate:{scope}:{keyed_hash('rate', identity)[:32]}"
    if cache.add(key, 1, window):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window)
        return False
    return count > limit
