"""Who is responding or voting, without storing who they are.

- Browser tokens (the resume cookie of a survey, the voter cookie of a poll) are random
  secrets; the database keeps only a keyed hash, so a leaked table cannot be replayed.
- Verified respondents prove an email address with a one-time code; the response keeps a
  keyed hash of the address, which is what the one-response-per-person constraint is on.
- Rate limits per address and per person use the shared cache, so every web process of
  the installation counts together.
"""

from __future__ import annotations

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


def _code_key(survey_id: int, email: str) -> str:
    return f"engagement:code:{survey_id}:{keyed_hash('email', email)}"


def email_code_send(*, survey_id: int, survey_title: str, email: str) -> None:
    """Email a six-digit code that proves the respondent holds ``email``."""
    email = normalise_email(email)
    code = f"{secrets.randbelow(1_000_000):06d}"
    cache.set(_code_key(survey_id, email), {"code": keyed_hash("code", code), "tries": 0},
              CODE_LIFETIME)
    subject = _("Your code for the survey “%(title)s”") % {"title": survey_title}
    body = _("Your code is %(code)s. It works for 15 minutes. If you did not ask for it, "
             "ignore this email.") % {"code": code}
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]))


def email_code_check(*, survey_id: int, email: str, code: str) -> str:
    """The respondent key for ``email`` when ``code`` is right; ValidationError otherwise."""
    email = normalise_email(email)
    key = _code_key(survey_id, email)
    stored = cache.get(key)
    if not stored:
        raise ValidationError(_("That code has expired. Ask for a new one."))
    if stored["tries"] >= CODE_ATTEMPTS:
        cache.delete(key)
        raise ValidationError(_("Too many wrong codes. Ask for a new one."))
    if not hmac.compare_digest(stored["code"], keyed_hash("code", code.strip())):
        stored["tries"] += 1
        cache.set(key, stored, CODE_LIFETIME)
        raise ValidationError(_("That code is not right. Check the email and try again."))
    cache.delete(key)
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
