"""Citizen writes of consultations: proving an email address, comments and replies,
support and opposition, opinion statements and votes on them, formal responses.

Everything a citizen sends is checked here, whatever the page let through: the phase
(nothing is accepted outside "open for comment"), lengths, that a section or a parent
comment belongs to this consultation (hidden fields can be tampered with), names without
direction controls or invisible characters. Text is stored as written (HTML included) and
escaped when displayed. One vote or support per person is a unique constraint; a second
request changes the vote instead of adding one, however many race.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from townsquare.core.text import normalise_name, storable, validate_clean_text, validate_name
from townsquare.engagement.attachments import attachment_store
from townsquare.engagement.consultation_models import (
    MAX_COMMENT,
    MAX_FORMAL_RESPONSE,
    MAX_STATEMENT,
    Comment,
    Consultation,
    ConsultationSection,
    FormalResponse,
    ModerationMode,
    ModerationState,
    OptInNotification,
    Participant,
    Statement,
    StatementOrigin,
    StatementVote,
    Support,
)
from townsquare.engagement.identity import (
    CODE_ATTEMPTS,
    CODE_LIFETIME,
    keyed_hash,
    new_token,
    normalise_email,
)
from townsquare.inbox.detection import detect_flags


class ConsultationClosedError(ValidationError):
    pass


def check_open(consultation: Consultation, now: dt.datetime | None = None) -> None:
    if not consultation.is_open_for_comment(now):
        raise ConsultationClosedError(
            _("This consultation is not open for comment: %(phase)s.")
            % {"phase": consultation.phase_label().lower()})


# --- Participants -------------------------------------------------------------------


def _code_key(consultation: Consultation, email: str) -> str:
    return f"engagement:consultation-code:{consultation.pk}:{keyed_hash('email', email)}"


def participant_code_send(*, consultation: Consultation, email: str) -> None:
    """Emails a six-digit code that proves the participant holds ``email``."""
    check_open(consultation)
    email = normalise_email(email)
    code = f"{secrets.randbelow(1_000_000):06d}"
    cache.set(_code_key(consultation, email), {"code": keyed_hash("code", code), "tries": 0},
              CODE_LIFETIME)
    subject = _("Your code for the consultation “%(title)s”") % {"title": str(consultation)}
    body = _("Your code is %(code)s. It works for 15 minutes. If you did not ask for it, "
             "ignore this email.") % {"code": code}
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]))


def _clean_name(value: str, *, field: str, required: bool, max_length: int) -> str:
    value = normalise_name(storable(value or ""))
    if not value:
        if required:
            raise ValidationError({field: _("Give the name to show with your comments.")})
        return ""
    try:
        validate_name(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    if len(value) > max_length:
        raise ValidationError({field: _("Use at most %(max)s characters.") % {"max": max_length}})
    return value


@transaction.atomic
def participant_verify(*, consultation: Consultation, email: str, code: str, name: str,
                       organisation_name: str = "", notify: bool = False
                       ) -> tuple[Participant, str]:
    """Checks the code; the participant and the secret for their session cookie.

    The same address coming back (another device) gets the same participant, so its
    votes and its one formal response stay its own.
    """
    check_open(consultation)
    name = _clean_name(name, field="name", required=True, max_length=100)
    organisation_name = _clean_name(organisation_name, field="organisation_name",
                                    required=False, max_length=200)
    email = normalise_email(email)
    cache_key = _code_key(consultation, email)
    stored = cache.get(cache_key)
    if not stored:
        raise ValidationError({"code": _("That code has expired. Ask for a new one.")})
    if stored["tries"] >= CODE_ATTEMPTS:
        cache.delete(cache_key)
        raise ValidationError({"code": _("Too many wrong codes. Ask for a new one.")})
    if not hmac.compare_digest(stored["code"], keyed_hash("code", str(code).strip()[:20])):
        stored["tries"] += 1
        cache.set(cache_key, stored, CODE_LIFETIME)
        raise ValidationError({"code": _("That code is not right. Check the email and try "
                                         "again.")})
    cache.delete(cache_key)
    key = keyed_hash(f"participant:{consultation.pk}", email)
    token = new_token()
    defaults = {"name": name, "organisation_name": organisation_name,
                "session_hash": keyed_hash("consultation-session", token)}
    try:
        with transaction.atomic():
            participant, _created = Participant.objects.update_or_create(
                consultation=consultation, key=key, defaults=defaults)
    except IntegrityError:  # the same person verified twice at once
        participant = Participant.objects.get(consultation=consultation, key=key)
        for field, value in defaults.items():
            setattr(participant, field, value)
        participant.save()
    if notify:
        OptInNotification.objects.get_or_create(
            consultation=consultation, key=key,
            defaults={"email": email, "language": get_language() or "en"})
    return participant, token


def participant_for_session(consultation: Consultation, token: str) -> Participant | None:
    if not token or len(token) > 100:
        return None
    return consultation.participants.filter(
        session_hash=keyed_hash("consultation-session", token)).first()


# --- Comments and support ------------------------------------------------------------


def _text(value: str, *, field: str, limit: int, empty: str) -> str:
    value = storable(value or "").strip()
    if not value:
        raise ValidationError({field: empty})
    if len(value) > limit:
        raise ValidationError({field: _("Use at most %(max)s characters (you wrote "
                                        "%(count)s).") % {"max": limit, "count": len(value)}})
    try:
        validate_clean_text(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    return value


def _flags(text: str) -> list[str]:
    found = detect_flags(text)
    return [name for name in ("spam", "abuse") if getattr(found, name)]


def _section(consultation: Consultation, section_id: Any) -> ConsultationSection | None:
    if section_id in (None, ""):
        return None
    try:
        return consultation.sections.get(pk=int(str(section_id)))
    except (ConsultationSection.DoesNotExist, ValueError) as exc:
        raise ValidationError(_("That part of the document does not exist.")) from exc


@transaction.atomic
def comment_submit(*, consultation: Consultation, participant: Participant, body: str,
                   section_id: Any = None, parent_id: Any = None,
                   as_organisation: bool = False, now: dt.datetime | None = None) -> Comment:
    """A comment on the proposal, a section, or a reply. Pre-moderated consultations (and
    comments that look like spam or abuse) wait for a moderator."""
    check_open(consultation, now)
    if participant.consultation_id != consultation.pk:
        raise ValidationError(_("Confirm your email address for this consultation first."))
    body = _text(body, field="body", limit=MAX_COMMENT, empty=_("Write your comment."))
    section = _section(consultation, section_id)
    parent = None
    if parent_id not in (None, ""):
        try:
            parent = consultation.comments.get(pk=int(str(parent_id)),
                                               state=ModerationState.PUBLISHED)
        except (Comment.DoesNotExist, ValueError) as exc:
            raise ValidationError(_("The comment you are replying to is not available.")) \
                from exc
        section = parent.section  # a reply is always about what its parent is about
    if as_organisation and not participant.organisation_name:
        raise ValidationError({"as_organisation": _(
            "Give your organisation's name when you confirm your email address.")})
    flags = _flags(body)
    published = consultation.moderation == ModerationMode.POST and not flags
    # A double click sends the same comment twice: the second one is the first one.
    duplicate = consultation.comments.filter(participant=participant, body=body,
                                             section=section, parent=parent).first()
    if duplicate is not None:
        return duplicate
    return Comment.objects.create(
        consultation=consultation, section=section, parent=parent, participant=participant,
        author_name=participant.name, body=body, flags=flags,
        organisation_name=participant.organisation_name if as_organisation else "",
        state=ModerationState.PUBLISHED if published else ModerationState.PENDING)


def _stance(value: Any, allowed: tuple[int, ...], message: str) -> int:
    try:
        number = int(str(value))
    except ValueError as exc:
        raise ValidationError(message) from exc
    if number not in allowed:
        raise ValidationError(message)
    return number


def _upsert(model: Any, lookup: dict[str, Any], values: dict[str, Any]) -> tuple[Any, bool]:
    """Insert, or change the existing row when the unique constraint says there is one.
    Safe when many requests of one person race: exactly one row, the last value."""
    try:
        with transaction.atomic():
            return model.objects.create(**lookup, **values), True
    except IntegrityError:
        model.objects.filter(**lookup).update(**values)
        return model.objects.get(**lookup), False


def support_set(*, consultation: Consultation, voter_key: str, stance: Any,
                comment_id: Any = None, section_id: Any = None,
                now: dt.datetime | None = None) -> Support:
    check_open(consultation, now)
    if not voter_key:
        raise ValueError("a voter key is required")
    value = _stance(stance, (-1, 1), _("Choose support or oppose."))
    lookup: dict[str, Any]
    if comment_id not in (None, ""):
        try:
            comment = consultation.comments.get(pk=int(str(comment_id)),
                                                state=ModerationState.PUBLISHED)
        except (Comment.DoesNotExist, ValueError) as exc:
            raise ValidationError(_("That comment is not available.")) from exc
        lookup = {"comment": comment, "voter_key": voter_key}
    else:
        section = _section(consultation, section_id)
        if section is None:
            raise ValidationError(_("That part of the document does not exist."))
        lookup = {"section": section, "voter_key": voter_key}
    support, _created = _upsert(Support, lookup, {"consultation": consultation,
                                                  "stance": value})
    return support


# --- Opinion statements ----------------------------------------------------------------


@transaction.atomic
def statement_submit(*, consultation: Consultation, participant: Participant, text: str,
                     now: dt.datetime | None = None) -> Statement:
    """A participant's statement: shown to others once a moderator approves it."""
    check_open(consultation, now)
    text = _text(text, field="text", limit=MAX_STATEMENT, empty=_("Write the statement."))
    if "\n" in text or "\r" in text:
        raise ValidationError({"text": _("A statement fits on one line.")})
    existing = consultation.statements.filter(text__iexact=text).first()
    if existing is not None:
        raise ValidationError({"text": _("This statement is already there.")})
    return Statement.objects.create(consultation=consultation, text=text,
                                    origin=StatementOrigin.CITIZEN, participant=participant,
                                    flags=_flags(text))


def statement_vote(*, consultation: Consultation, voter_key: str, statement_id: Any,
                   vote: Any, now: dt.datetime | None = None) -> StatementVote:
    """Agree (1), pass (0) or disagree (-1); voting again changes the vote."""
    check_open(consultation, now)
    if not voter_key:
        raise ValueError("a voter key is required")
    value = _stance(vote, (-1, 0, 1), _("Choose agree, disagree or pass."))
    try:
        statement = consultation.statements.get(pk=int(str(statement_id)),
                                                state=ModerationState.PUBLISHED)
    except (Statement.DoesNotExist, ValueError) as exc:
        raise ValidationError(_("That statement is not available.")) from exc
    result, _created = _upsert(StatementVote, {"statement": statement, "voter_key": voter_key},
                               {"consultation": consultation, "vote": value})
    return result


# --- Formal responses -----------------------------------------------------------------


@transaction.atomic
def formal_response_submit(*, consultation: Consultation, participant: Participant, body: str,
                           as_organisation: bool = False, attachment: bytes | None = None,
                           attachment_name: str = "", now: dt.datetime | None = None
                           ) -> FormalResponse:
    """One formal response per participant (a database constraint); the attachment is
    checked and stored before anything is written, so a refused file loses nothing."""
    check_open(consultation, now)
    if participant.consultation_id != consultation.pk:
        raise ValidationError(_("Confirm your email address for this consultation first."))
    body = _text(body, field="body", limit=MAX_FORMAL_RESPONSE,
                 empty=_("Write your response."))
    if as_organisation and not participant.organisation_name:
        raise ValidationError({"as_organisation": _(
            "Give your organisation's name when you confirm your email address.")})
    if consultation.formal_responses.filter(participant=participant).exists():
        raise ValidationError(_("You have already sent a formal response. Thank you."))
    stored = None
    if attachment:
        try:
            stored = attachment_store(attachment)
        except ValidationError as exc:
            raise ValidationError({"attachment": exc.messages}) from exc
    name = normalise_name(storable(attachment_name or ""))[:255] if stored else ""
    try:
        with transaction.atomic():
            return FormalResponse.objects.create(
                consultation=consultation, participant=participant, body=body,
                author_name=participant.name,
                organisation_name=participant.organisation_name if as_organisation else "",
                attachment_sha256=stored.sha256 if stored else "",
                attachment_type=stored.mime_type if stored else "",
                attachment_size=stored.size if stored else 0, attachment_name=name)
    except IntegrityError as exc:
        raise ValidationError(_("You have already sent a formal response. Thank you.")) from exc
