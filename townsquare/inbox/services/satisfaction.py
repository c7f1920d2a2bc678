"""Satisfaction: after resolution the citizen is asked to rate the answer 1–5.

On a network the question goes out as an answer on the same channel, through the same
store-then-send path as staff answers (replies.py). The citizen's next message on that
conversation, when it reads as a rating ("4", "٤", "5 stars", "4分 很好"), is recorded as
the rating instead of reopening the conversation. Contact-form citizens rate on the
tracking page (a signed link). One rating per conversation; a second one replaces it.
"""

from __future__ import annotations

import datetime as dt

import regex
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from townsquare.core.services import audit_record
from townsquare.core.text import validate_clean_text
from townsquare.inbox.models import (
    WEB,
    Conversation,
    Direction,
    Message,
    Rating,
    SendState,
    Status,
)
from townsquare.organisations.models import User

# A rating long after the question is more likely a new question than an answer to it.
RATING_WINDOW = dt.timedelta(days=14)
MAX_COMMENT_LENGTH = 1000
TOKEN_SALT = "inbox.rating"  # noqa: S105 (a signing salt, not a secret)
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹０１２３４５６７８９一二三四五",
                       "012345678901234567890123456789" "12345")
# The score, then an optional unit ("/5", "stars", "分", "من 5"…), then the end or a
# separator before a comment ("4.5" is not a rating). Strictly, "5 buses never came" is
# not a rating; in a direct reply to our question, a space before the comment is enough.
_SCORE = r"^\s*([1-5])\s*(?:/\s*5|out\s+of\s+5|stars?|分|星|颗星|نجوم|نجمة|من\s*5)?\s*"
RATING = regex.compile(_SCORE + r"(?:$|[-–—:,.،。，!！;؛](?!\d)\s*(.*))",
                       regex.IGNORECASE | regex.DOTALL)
RATING_LENIENT = regex.compile(_SCORE + r"(?:$|[-–—:,.،。，!！;؛](?!\d)\s*(.*)|(?<=\s)(\D.*))",
                               regex.IGNORECASE | regex.DOTALL)
LANGUAGES = {"ar": "ar", "zh": "zh-hans", "zh-hans": "zh-hans"}


def rating_parse(text: str, *, lenient: bool = False) -> tuple[int, str] | None:
    """(score, comment) when ``text`` reads as a rating, else None. ``lenient``: the text
    answers our question directly, so "5 thank you" is a rating too."""
    text = text or ""
    # One character for one: positions in the translated text are positions in ``text``.
    found = (RATING_LENIENT if lenient else RATING).match(text.translate(DIGITS))
    if found is None:
        return None
    group = next((g for g in (2, 3) if found.lastindex and found.lastindex >= g
                  and found.group(g)), None)
    comment = text[found.start(group):].strip()[:MAX_COMMENT_LENGTH] if group else ""
    return int(found.group(1)), comment


def _question(conversation: Conversation) -> str:
    with translation.override(LANGUAGES.get(conversation.language, "en")):
        return _("How did we do? Reply with a number from 1 (poor) to 5 (very good), and a "
                 "comment if you like. Your tracking number is %(number)s.") % {
            "number": conversation.tracking_number}


def rating_request(*, actor: User, conversation: Conversation) -> Message | None:
    """Ask the citizen of a just-resolved conversation for a rating (once).

    Called by the status change, inside its transaction. On a network the question is an
    answer to the citizen's latest message; web citizens rate on the tracking page."""
    from townsquare.inbox.services.replies import _enqueue, _reply_target

    if (conversation.rating_requested_at is not None
            or Rating.objects.filter(conversation=conversation).exists()):
        return None
    now = timezone.now()
    target = _reply_target(conversation) if conversation.account_id else None
    if target is None and conversation.channel != WEB:
        return None  # a phone or walk-in case: nobody to ask on a channel
    conversation.rating_requested_at = now
    Conversation.objects.filter(pk=conversation.pk).update(rating_requested_at=now)
    if target is None:
        return None
    message = Message.objects.create(
        conversation=conversation, direction=Direction.OUTBOUND, text=_question(conversation),
        author_user=actor, in_reply_to=target, is_private=target.is_private,
        language=conversation.language, send_state=SendState.PENDING,
    )
    transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def awaiting_rating(conversation: Conversation, *, now: dt.datetime) -> bool:
    return (conversation.status == Status.RESOLVED
            and conversation.rating_requested_at is not None
            and now - conversation.rating_requested_at <= RATING_WINDOW)


def _responder(conversation: Conversation) -> User | None:
    answers = conversation.messages.filter(direction=Direction.OUTBOUND,
                                           author_user__isnull=False)
    if conversation.rating_requested_at is not None:
        answers = answers.filter(created_at__lt=conversation.rating_requested_at)
    last = answers.order_by("-created_at", "-id").first()
    return last.author_user if last is not None else conversation.assignee


def rating_record(*, conversation: Conversation, score: int, comment: str = "",
                  message: Message | None = None) -> Rating:
    """Store (or replace) the citizen's rating. Citizens have no user: audited as such."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError(_("Choose a rating from 1 to 5."), code="score")
    comment = (comment or "").strip()
    validate_clean_text(comment)
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ValidationError(
            _("The comment is too long: %(length)d characters, at most %(max)d.")
            % {"length": len(comment), "max": MAX_COMMENT_LENGTH}, code="too_long")
    rating, _created = Rating.objects.update_or_create(
        conversation=conversation,
        defaults={"organisation": conversation.organisation, "score": score,
                  "comment": comment, "message": message,
                  "responder": _responder(conversation)},
    )
    audit_record(actor=None, actor_label="citizen", action="conversation.rating",
                 organisation=conversation.organisation, target=conversation,
                 details={"score": score})
    return rating


def rating_token(conversation: Conversation) -> str:
    return signing.dumps(conversation.pk, salt=TOKEN_SALT)


def conversation_for_rating_token(token: str) -> Conversation | None:
    """The web conversation a rating link is for, while it may still be rated."""
    try:
        pk = signing.loads(token, salt=TOKEN_SALT, max_age=RATING_WINDOW)
    except signing.BadSignature:
        return None
    found = Conversation.objects.filter(pk=pk, channel=WEB).select_related(
        "organisation").first()
    if found is None or not awaiting_rating(found, now=timezone.now()):
        return None
    return found
