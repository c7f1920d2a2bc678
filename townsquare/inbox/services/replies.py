"""Answers from the inbox, sent back on the conversation's own channel.

The answer is stored first (state "pending") and sent after commit by a task, through
the account's adapter: ``reply`` to the citizen's latest message (adapters keep a private
message private), or ``private_reply`` when staff choose to answer a public comment
privately and the network allows it. Temporary refusals are retried with back-off;
refusals for good (too long, original deleted, blocked user) end in "failed" with the
network's reason, shown on the conversation. A claim (pending/retrying → sending) in
one conditional UPDATE means two workers never send the same answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.channels.adapters.base import (
    AdapterError,
    AuthExpired,
    ChannelAdapter,
    Credentials,
    MalformedResponse,
    Network,
    NotSupported,
    PostRequest,
    PublishedPost,
    RateLimited,
    TransientError,
)
from townsquare.channels.adapters.http import backoff_delay
from townsquare.channels.adapters.registry import OAUTH
from townsquare.channels.models import Account, AccountStatus, ConnectionState
from townsquare.channels.runtime import adapter_for, oauth_for
from townsquare.channels.services.credentials import (
    account_mark_access_problem,
    credentials_load,
    credentials_need_refresh,
    credentials_refresh,
    credentials_save_rotated,
    credentials_version,
)
from townsquare.core.services import audit_record
from townsquare.inbox.models import (
    Conversation,
    Direction,
    Message,
    SendState,
    Status,
)
from townsquare.inbox.rules import check_can_work_in
from townsquare.inbox.search import message_search_text
from townsquare.inbox.services.archiving import answer_archive_after_commit
from townsquare.inbox.services.sla import sla_first_response, sla_refresh
from townsquare.inbox.services.work import clean_text
from townsquare.organisations.models import User

MAX_REPLY_LENGTH = 10_000
MAX_ATTEMPTS = 6
STALE_SENDING = dt.timedelta(minutes=5)
T = TypeVar("T")


class ReplyCollision(Exception):
    """Someone else answered since the page was loaded; the answer was not saved."""

    def __init__(self, newer: list[Message]) -> None:
        super().__init__("another answer was sent meanwhile")
        self.newer = newer


def conversation_mark_replying(*, actor: User, conversation: Conversation) -> None:
    """Record that ``actor`` opened the reply box (the collision marker colleagues see)."""
    check_can_work_in(actor, conversation.organisation)
    Conversation.objects.filter(pk=conversation.pk).update(
        replying_by=actor, replying_at=timezone.now()
    )


def _reply_target(conversation: Conversation) -> Message | None:
    return (
        conversation.messages.filter(direction=Direction.INBOUND)
        .exclude(remote_id="")
        .order_by("-created_at", "-id")
        .first()
    )


@transaction.atomic
def conversation_reply(
    *, actor: User, conversation: Conversation, text: str, private: bool = False,
    seen_message_id: int | None = None,
) -> Message:
    """Store an answer and send it after commit (or record it, for phone/web cases).

    ``seen_message_id``: the newest message the author had on screen. When a colleague's
    answer arrived after it, ReplyCollision is raised and nothing is saved, so two people
    never answer the same citizen twice without knowing.
    """
    # Only the conversation row is locked (its account may be missing: a phone case).
    conversation = Conversation.objects.select_for_update(of=("self",)).select_related(
        "organisation", "account"
    ).get(pk=conversation.pk)
    check_can_work_in(actor, conversation.organisation)
    text = clean_text(text, max_length=MAX_REPLY_LENGTH, what=_("answer"))
    if seen_message_id is not None:
        newer = list(
            conversation.messages.filter(direction=Direction.OUTBOUND, pk__gt=seen_message_id)
            .exclude(author_user=actor)
        )
        if newer:
            raise ReplyCollision(newer)
    if conversation.status == Status.CLOSED:
        raise ValidationError(_("This conversation is closed: reopen it to answer."),
                              code="closed")
    target = _reply_target(conversation) if conversation.account_id else None
    if conversation.account_id and target is None:
        raise ValidationError(_("There is no message on the network to answer."),
                              code="no_target")
    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.OUTBOUND,
        text=text,
        search_text=message_search_text(text),
        author_user=actor,
        in_reply_to=target,
        is_private=bool(target and (target.is_private or private)),
        language=conversation.language,
        send_state=SendState.PENDING if target else SendState.NONE,
        sent_at=None if target else timezone.now(),
    )
    now = timezone.now()
    conversation.first_response_at = conversation.first_response_at or now
    sla_fields = sla_first_response(conversation, now=now)
    if conversation.status in (Status.NEW, Status.OPEN):
        conversation.status = Status.WAITING
    sla_fields += sla_refresh(conversation, now=now)
    if conversation.replying_by_id == actor.pk:
        conversation.replying_by, conversation.replying_at = None, None
    conversation.save(update_fields=["first_response_at", "status", "replying_by",
                                     "replying_at", *set(sla_fields), "updated_at"])
    audit_record(actor=actor, action="conversation.reply", organisation=conversation.organisation,
                 target=conversation, details={"message": message.pk, "private": private})
    if target is not None:
        transaction.on_commit(lambda: _enqueue(message.pk))
    else:
        answer_archive_after_commit(message.pk)  # recorded, not sent: a record now
    return message


def _enqueue(message_id: int) -> None:
    from townsquare.inbox.tasks import send_reply

    send_reply(message_id)


def message_retry(*, actor: User, message: Message) -> Message:
    """Send a failed answer again (staff chose to, e.g. after reconnecting the account)."""
    check_can_work_in(actor, message.conversation.organisation)
    updated = Message.objects.filter(pk=message.pk, send_state=SendState.FAILED).update(
        send_state=SendState.PENDING, attempts=0, failure_reason="", next_attempt_at=None
    )
    if updated:
        audit_record(actor=actor, action="conversation.reply_retry",
                     organisation=message.conversation.organisation,
                     target=message.conversation, details={"message": message.pk})
        transaction.on_commit(lambda: _enqueue(message.pk))
    message.refresh_from_db()
    return message


def _claim(message_id: int, now: dt.datetime) -> bool:
    """Pending, due retrying or stale sending → sending, in one conditional UPDATE."""
    claimable = Message.objects.filter(pk=message_id, direction=Direction.OUTBOUND)
    claimed = claimable.filter(send_state=SendState.PENDING).update(
        send_state=SendState.SENDING, next_attempt_at=now
    ) or claimable.filter(send_state=SendState.RETRYING, next_attempt_at__lte=now).update(
        send_state=SendState.SENDING, next_attempt_at=now
    ) or claimable.filter(
        send_state=SendState.SENDING, next_attempt_at__lte=now - STALE_SENDING
    ).update(send_state=SendState.SENDING, next_attempt_at=now)
    return bool(claimed)


def message_send(*, message_id: int, now: dt.datetime | None = None) -> str:
    """Send one answer; returns its state afterwards."""
    now = now or timezone.now()
    if not _claim(message_id, now):
        found = Message.objects.filter(pk=message_id).first()
        return found.send_state if found else "missing"
    message = Message.objects.select_related(
        "conversation__account__organisation", "in_reply_to"
    ).get(pk=message_id)
    message.attempts += 1
    Message.objects.filter(pk=message.pk).update(attempts=message.attempts)
    account = message.conversation.account
    target = message.in_reply_to
    if account is None or target is None or not target.remote_id:
        return _failed(message, _("This conversation has no network message to answer."))
    problem = _account_problem(account)
    if problem:
        return _failed(message, problem)
    request = PostRequest(text=message.text, idempotency_key=f"inbox-reply-{message.pk}",
                          language=message.language)
    try:
        published = with_fresh_credentials(
            account, lambda adapter: _send(adapter, message, target.remote_id, request)
        )
    except AuthExpired as exc:
        account_mark_access_problem(account=account, note=str(exc))
        return _failed(message, _("The network refused our access (%(error)s). Reconnect the "
                                  "account, then send again.") % {"error": exc})
    except (RateLimited, TransientError, MalformedResponse) as exc:
        return _retry_later(message, exc, now)
    except NotSupported:
        return _failed(message, _("This network cannot send a private answer to this "
                                  "message. Answer publicly instead."))
    except AdapterError as exc:
        return _failed(message, _("The network refused the answer: %(error)s") % {"error": exc})
    Message.objects.filter(pk=message.pk).update(
        send_state=SendState.SENT, remote_id=published.remote_id[:200],
        remote_url=published.url[:500], sent_at=published.published_at or now,
        failure_reason="", next_attempt_at=None,
    )
    answer_archive_after_commit(message.pk)
    return SendState.SENT


def _send(adapter: ChannelAdapter, message: Message, remote_id: str,
          request: PostRequest) -> PublishedPost:
    if message.attempts > 1:
        # A retry may follow a send the network accepted before we could record it.
        found = adapter.find_published(request.idempotency_key)
        if found is not None:
            return found
    wants_private = message.is_private and not message.in_reply_to.is_private  # type: ignore[union-attr]
    if wants_private:
        private_reply = getattr(adapter, "private_reply", None)
        if private_reply is None or not adapter.capabilities.private_messages:
            raise NotSupported("no private replies")
        result: PublishedPost = private_reply(remote_id, request)
        return result
    return adapter.reply(remote_id, request)


def _account_problem(account: Account) -> str:
    if account.status == AccountStatus.RETIRED:
        return _("The account %(handle)s is retired.") % {"handle": account.handle}
    if account.connection_state != ConnectionState.CONNECTED:
        return _("The account %(handle)s is not connected (%(state)s). Connect it, then send "
                 "again.") % {"handle": account.handle,
                              "state": account.get_connection_state_display()}
    return ""


def _failed(message: Message, reason: str) -> str:
    Message.objects.filter(pk=message.pk).update(
        send_state=SendState.FAILED, failure_reason=reason[:300], next_attempt_at=None
    )
    return SendState.FAILED


def _retry_later(message: Message, exc: AdapterError, now: dt.datetime) -> str:
    if message.attempts >= MAX_ATTEMPTS:
        return _failed(message, _("The network did not accept the answer after %(n)d "
                                  "attempts: %(error)s") % {"n": message.attempts, "error": exc})
    retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
    delay = backoff_delay(message.attempts, retry_after=retry_after, base=30.0)
    Message.objects.filter(pk=message.pk).update(
        send_state=SendState.RETRYING, next_attempt_at=now + dt.timedelta(seconds=delay),
        failure_reason=str(exc)[:300],
    )
    return SendState.RETRYING


def messages_due(*, now: dt.datetime | None = None) -> list[int]:
    """Answers whose retry is due, and answers stuck "sending" by a worker that died."""
    now = now or timezone.now()
    due = Message.objects.filter(send_state=SendState.RETRYING, next_attempt_at__lte=now)
    stale = Message.objects.filter(send_state=SendState.SENDING,
                                   next_attempt_at__lte=now - STALE_SENDING)
    return list(due.values_list("pk", flat=True)) + list(stale.values_list("pk", flat=True))


def _refresher(account: Account) -> Callable[[Credentials], Credentials] | None:
    if Network(account.network) not in OAUTH:
        return None

    def refresh(credentials: Credentials) -> Credentials:
        try:
            client = oauth_for(account)
        except (ValueError, AdapterError) as exc:
            raise AuthExpired("the OAuth settings of this account are incomplete") from exc
        return client.refresh(credentials)

    return refresh


def with_fresh_credentials(account: Account, call: Callable[[ChannelAdapter], T]) -> T:
    """Run ``call`` with the account's adapter, refreshing an expiring or refused OAuth
    token once (the same way channels' polling does)."""
    refresher = _refresher(account)
    version = credentials_version(account)
    credentials = credentials_load(account)
    if refresher is not None and credentials_need_refresh(credentials):
        credentials = credentials_refresh(account=account, refresh=refresher)
        version = credentials_version(account)
    adapter = adapter_for(account, credentials)
    try:
        result = call(adapter)
    except AuthExpired:
        if refresher is None or not credentials.refresh_token:
            raise
        credentials = credentials_refresh(account=account, refresh=refresher,
                                          force_version=version)
        adapter = adapter_for(account, credentials)
        result = call(adapter)
    credentials_save_rotated(account=account, before=credentials, after=adapter.credentials)
    return result
