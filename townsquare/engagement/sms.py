"""SMS one-time codes for surveys whose respondents verify a mobile number.

- Numbers are normalised to E.164 before anything else, so "050 123 4567", "+971 50-123-4567"
  and the same number typed in Arabic-Indic digits are one person. National numbers get
  the installation's country calling code (ENGAGEMENT_SMS_COUNTRY_CODE): one installation
  serves one government, and organisations have no country of their own.
- The code (six digits, 15 minutes, five tries) is kept like the email codes
  (identity.code_issue / code_check); the response keeps only a keyed hash of the number,
  under the same unique constraint as email-verified respondents.
- The text goes out after commit, in a Huey task, through the survey organisation's own
  connected SMS account or else the nearest parent's (the agency's ministry, then the
  government). The queue carries only an opaque delivery id: the number and the code wait
  in the cache for the task, so they never sit in the queue's storage or its error logs.
- What became of the text (sending, sent, failed and why) is kept next to the code, so
  the respondent is told in words when the gateway refused or did not answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from townsquare.channels.adapters.base import (
    AdapterError,
    AuthExpired,
    Network,
    PostRequest,
    RateLimited,
    TransientError,
)
from townsquare.channels.models import Account, AccountStatus, ConnectionState
from townsquare.channels.runtime import adapter_for
from townsquare.channels.services.credentials import (
    account_mark_access_problem,
    credentials_load,
)
from townsquare.engagement import identity
from townsquare.engagement.identity import CODE_LIFETIME, CodeResult
from townsquare.engagement.models import Survey
from townsquare.organisations.models import Organisation

E164_MIN_DIGITS = 7  # the shortest numbers in use (e.g. +290 and +683 with 4 digits)
E164_MAX_DIGITS = 15  # ITU-T E.164
MAX_INPUT = 64
TITLE_IN_SMS = 40  # characters of the survey title in the text (each segment costs money)

# Bidi controls and zero-width characters that copy-paste and RTL keyboards slip in.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"
                                    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e"
                                    "\u2066\u2067\u2068\u2069"), None)
# Arabic-Indic, Eastern Arabic-Indic (Persian, Urdu) and full-width (Chinese input) digits.
_DIGITS = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)},
           **{0xFF10 + i: str(i) for i in range(10)}, 0xFF0B: "+"}
# What people write between groups of digits: dashes of every kind, dots, brackets.
_SEPARATORS = frozenset("-.()\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\uff08\uff09")


class SmsUnavailableError(ValidationError):
    """No connected SMS account can send this survey's codes."""


def normalise_phone(raw: str, *, country_code: str | None = None,
                    trunk_prefix: str | None = None) -> str:
    """``raw`` as an E.164 number (``+`` and 7 to 15 digits); ValidationError otherwise.

    ``+`` or ``00`` starts an international number. Any other number is national: one
    trunk prefix (``0`` by default) is dropped and the country calling code put in front.
    """
    if country_code is None:
        country_code = settings.ENGAGEMENT_SMS_COUNTRY_CODE
    if trunk_prefix is None:
        trunk_prefix = settings.ENGAGEMENT_SMS_TRUNK_PREFIX
    international, digits = _split(raw)
    if international:
        if digits.startswith("0"):
            raise ValidationError(_("No country code starts with 0. Check the number after "
                                    "the +."))
    else:
        if not country_code:
            raise ValidationError(_("Enter the number with its country code, starting with +."))
        if trunk_prefix and digits.startswith(trunk_prefix):
            digits = digits[len(trunk_prefix):]
        digits = country_code + digits
    if len(digits) < E164_MIN_DIGITS:
        raise ValidationError(_("That number is too short. Enter the whole mobile number."))
    if len(digits) > E164_MAX_DIGITS:
        raise ValidationError(_too_long())
    return f"+{digits}"


def _too_long() -> str:
    return _("That number is too long. A phone number has at most 15 digits with the country "
             "code.")


def _split(raw: str) -> tuple[bool, str]:
    """(international?, the ASCII digits) of a number as typed."""
    if len(raw) > MAX_INPUT:
        raise ValidationError(_too_long())
    text = raw.translate(_INVISIBLE).translate(_DIGITS)
    text = "".join(ch for ch in text if not ch.isspace() and ch not in _SEPARATORS)
    if not text:
        raise ValidationError(_("Enter your mobile number."))
    if text.startswith("+"):
        international, digits = True, text[1:]
    elif text.startswith("00"):
        international, digits = True, text[2:]
    else:
        international, digits = False, text
    if "+" in digits:
        raise ValidationError(_("Put + only at the start of the number."))
    if not (digits.isascii() and digits.isdigit()):
        raise ValidationError(_("A phone number can have only digits, spaces, dashes, dots, "
                                "brackets and a + at the start."))
    return international, digits


def sms_account_for(organisation: Organisation) -> Account | None:
    """The connected SMS account nearest to ``organisation``: its own, else its parent's…"""
    lineage = [int(pk) for pk in organisation.path.strip("/").split("/") if pk]
    lineage = lineage or [organisation.pk]
    accounts = (Account.objects.filter(network=Network.SMS, organisation_id__in=lineage,
                                       connection_state=ConnectionState.CONNECTED)
                .exclude(status=AccountStatus.RETIRED).order_by("pk"))
    by_organisation: dict[int, Account] = {}
    for account in accounts:
        by_organisation.setdefault(account.organisation_id, account)
    return next((by_organisation[pk] for pk in reversed(lineage) if pk in by_organisation), None)


def no_sms_account_message() -> str:
    """For staff: what to do when a survey cannot verify respondents by SMS."""
    return _("Respondents cannot be verified by SMS code: this organisation (and the "
             "organisations above it) have no connected SMS account. Connect one under "
             "Channels, or choose another way to verify respondents.")


def unavailable_message() -> str:
    """For respondents: the survey's SMS account is gone or disconnected."""
    return _("This survey cannot send codes by text message just now. Please try again "
             "later; nothing you have entered is lost.")


def _scope(survey_id: int) -> str:
    return f"sms:{survey_id}"


def _status_key(survey_id: int, phone: str) -> str:
    return f"engagement:sms-status:{survey_id}:{identity.keyed_hash('phone', phone)}"


def _outbox_key(delivery: str) -> str:
    return f"engagement:sms-outbox:{identity.keyed_hash('delivery', delivery)}"


@dataclass(frozen=True)
class Delivery:
    state: str  # "sending", "sent" or "failed"
    problem: str = ""  # for the respondent, in words, when it failed


def delivery_status(*, survey_id: int, phone: str) -> Delivery | None:
    stored = cache.get(_status_key(survey_id, phone))
    if not isinstance(stored, dict):
        return None
    return Delivery(state=str(stored.get("state", "")), problem=str(stored.get("problem", "")))


def _set_status(survey_id: int, phone: str, state: str, problem: str = "") -> None:
    cache.set(_status_key(survey_id, phone), {"state": state, "problem": problem},
              CODE_LIFETIME)


def sms_code_request(*, survey: Survey, phone: str, language: str) -> str:
    """Text a new code to ``phone`` after commit; returns the number in E.164.

    Raises ValidationError for a number that is not one, SmsUnavailableError when no
    connected SMS account can send for the survey's organisation.
    """
    phone = normalise_phone(phone)
    account = sms_account_for(survey.organisation)
    if account is None:
        raise SmsUnavailableError(unavailable_message())
    code = identity.code_issue(scope=_scope(survey.pk), identity=phone)
    delivery = identity.new_token()
    cache.set(_outbox_key(delivery), {
        "survey_id": survey.pk, "account_id": account.pk, "phone": phone, "code": code,
        "language": language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
    }, CODE_LIFETIME)
    _set_status(survey.pk, phone, "sending")
    from townsquare.engagement.tasks import send_sms_code

    transaction.on_commit(lambda: send_sms_code(delivery))
    return phone


def sms_code_check(*, survey_id: int, phone: str, code: str) -> str:
    """The respondent key for ``phone`` when ``code`` is right; ValidationError otherwise."""
    phone = normalise_phone(phone)
    result = identity.code_check(scope=_scope(survey_id), identity=phone, code=code)
    if result == CodeResult.RIGHT:
        # Another scope than email and account keys: a number never collides with them.
        return identity.keyed_hash(f"respondent-phone:{survey_id}", phone)
    delivery = delivery_status(survey_id=survey_id, phone=phone)
    if result != CodeResult.TOO_MANY and delivery is not None and delivery.state == "failed":
        raise ValidationError(delivery.problem)
    if result == CodeResult.WRONG:
        raise ValidationError(_("That code is not right. Check the text message and try "
                                "again."))
    if result == CodeResult.TOO_MANY:
        raise ValidationError(_("Too many wrong codes. Ask for a new one."))
    raise ValidationError(_("That code is no longer valid: it was already used, or more than "
                            "15 minutes have passed. Ask for a new one."))


def _body(survey: Survey, code: str, language: str) -> str:
    with translation.override(language):
        title = Truncator(survey.localised("title", language)).chars(TITLE_IN_SMS)
        return _("%(code)s is your code for the survey “%(title)s”. It works for 15 minutes. "
                 "If you did not ask for it, ignore this message.") % {"code": code,
                                                                     "title": title}


def sms_code_deliver(*, delivery: str) -> str:
    """Send one queued code (the Huey task's work); returns the delivery state."""
    job: Any = cache.get(_outbox_key(delivery))
    if not isinstance(job, dict):
        return "expired"  # the code expired before a worker got to it: nothing to send
    cache.delete(_outbox_key(delivery))
    survey_id, phone = job["survey_id"], job["phone"]
    with translation.override(job["language"]):
        problem = _deliver(job)
    if problem:
        _set_status(survey_id, phone, "failed", problem)
        return "failed"
    _set_status(survey_id, phone, "sent")
    return "sent"


def _deliver(job: dict[str, Any]) -> str:
    """'' when the gateway took the text; otherwise the problem in the respondent's words."""
    survey = Survey.objects.filter(pk=job["survey_id"]).select_related("organisation").first()
    account = Account.objects.filter(pk=job["account_id"]).first()
    if (survey is None or account is None or account.status == AccountStatus.RETIRED
            or account.connection_state != ConnectionState.CONNECTED):
        return unavailable_message()
    adapter = None
    try:
        adapter = adapter_for(account, credentials_load(account))
        adapter.reply(job["phone"], PostRequest(text=_body(survey, job["code"],
                                                           job["language"])))
    except AuthExpired as exc:
        # Staff must reconnect the account; until then the survey says it cannot send.
        account_mark_access_problem(account=account, note=str(exc))
        return unavailable_message()
    except (TransientError, RateLimited):
        return _("The text message service is not working just now. Wait a minute, then ask "
                 "for a new code.")
    except (AdapterError, ValueError):
        # A refusal for this number (not a mobile, unsubscribed, …) or a broken account
        # configuration: the respondent can only try another number or come back later.
        return _("The text message service could not send a code to this number. Check the "
                 "number, or try another mobile number.")
    finally:
        close = getattr(adapter, "close", None)  # adapters with an HTTP client to let go of
        if close is not None:
            close()
    return ""
