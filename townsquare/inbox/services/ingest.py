"""Channels' inbound items → inbox messages, exactly once, in the right conversation.

Threading, in order:
1. a reply to a message we hold (the citizen's or our answer) joins that conversation;
2. the same citizen in the same network thread (conversation_id) joins it;
3. a follow-up of the same citizen on the same account joins their open conversation;
4. otherwise a new conversation, routed (routing.py).
Our own posts echoed back (``is_own``) are never citizen messages. A reply in the thread
of a resolved conversation reopens it; a closed one is final (a new one starts), and a
citizen's unthreaded message after resolution is a new question.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from townsquare.channels.adapters.base import ItemKind
from townsquare.channels.models import InboundItem, ItemState
from townsquare.inbox.models import (
    OPEN_STATUSES,
    Contact,
    Conversation,
    Direction,
    IngestCursor,
    Message,
    Status,
)
from townsquare.inbox.routing import route
from townsquare.inbox.search import message_search_text
from townsquare.inbox.services.conversations import (
    MAX_MESSAGE_LENGTH,
    apply_flags,
    contact_for_identity,
    conversation_open,
    flags_of,
    language_of,
)
from townsquare.inbox.services.learning import learned_topic
from townsquare.inbox.services.satisfaction import awaiting_rating, rating_parse, rating_record
from townsquare.inbox.services.sla import sla_refresh
from townsquare.ingest.models import ItemEnrichment
from townsquare.nlp.enrichment import enrich
from townsquare.organisations.models import Organisation

# Public posts found by search or read from feeds are listening's, not the inbox's.
CITIZEN_KINDS = {ItemKind.MENTION, ItemKind.COMMENT, ItemKind.REPLY, ItemKind.DIRECT_MESSAGE}
CURSOR_NAME = "channels.inbound"
# Rows of a transaction that committed after a later id was read are picked up by a
# sweep of this recent window (ids are handed out before commit, in no commit order).
LATE_COMMIT_WINDOW = dt.timedelta(minutes=10)


def _is_citizen_message(item: InboundItem) -> bool:
    return (
        not item.is_own
        and item.has_content
        and item.state != ItemState.DELETED
        and item.kind in CITIZEN_KINDS
    )


def _thread_target(item: InboundItem, contact: Contact) -> tuple[Conversation | None,
                                                                   Message | None]:
    network_messages = Message.objects.filter(conversation__account__network=item.network)
    if item.in_reply_to:
        parent = (
            network_messages.filter(remote_id=item.in_reply_to)
            .select_related("conversation")
            .first()
        )
        if parent is not None and parent.conversation.status != Status.CLOSED:
            return parent.conversation, parent
    candidates = Conversation.objects.filter(contact=contact, account_id=item.account_id)
    if item.conversation_id:
        same_thread = candidates.filter(thread_key=item.conversation_id).exclude(
            status=Status.CLOSED
        ).first()
        if same_thread is not None:
            return same_thread, None
    return candidates.filter(status__in=OPEN_STATUSES).order_by("-last_message_at").first(), None


def reading_of(item: InboundItem, text: str, organisation: Organisation) -> dict[str, str]:
    """Sentiment and topic of a new message: the ingest pipeline's enrichment when it
    read the item, else the language models now; the learned topic classifier replaces
    the keyword topic when it is confident enough."""
    enrichment = ItemEnrichment.objects.filter(item=item).only("sentiment", "topic").first()
    if enrichment is not None:
        sentiment, topic = enrichment.sentiment, enrichment.topic
    else:
        found = enrich(text)
        sentiment = found.sentiment.label if found.sentiment else ""
        topic = found.topic or ""
    return {"sentiment": sentiment,
            "topic": learned_topic(organisation=organisation, text=text, keyword_topic=topic)}


def message_ingest(*, inbound_item: InboundItem) -> Message | None:
    """The message for ``inbound_item`` (created once), or None when it is not a citizen's."""
    if not _is_citizen_message(inbound_item):
        return None
    existing = Message.objects.filter(source_item=inbound_item).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _ingest(inbound_item)
    except IntegrityError:
        # Another worker ingested the same item a moment ago; its message stands.
        return Message.objects.get(source_item=inbound_item)


def _ingest(item: InboundItem) -> Message:
    account = item.account
    author_id = item.author_id or item.author_handle or f"unknown:{item.remote_id}"
    text = item.text
    if len(text) > MAX_MESSAGE_LENGTH:
        text = text[:MAX_MESSAGE_LENGTH] + " […]"
    language = language_of(text, item.language)
    contact = contact_for_identity(
        channel=item.network, remote_author_id=author_id, handle=item.author_handle,
        display_name=item.author_name or item.author_handle, language=language,
    )
    when = item.remote_created_at or item.first_seen_at or timezone.now()
    flags = flags_of(text)
    reading = reading_of(item, text, account.organisation)
    conversation, parent = _thread_target(item, contact)
    if conversation is None:
        decision = route(receiving=account.organisation, channel=item.network, text=text,
                         language=language)
        conversation = conversation_open(
            contact=contact, channel=item.network, decision=decision, flags=flags,
            language=language, account_id=account.pk,
            thread_key=item.conversation_id or item.remote_id, when=when,
        )
    else:
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        rating = None
        if awaiting_rating(conversation, now=timezone.now()):
            answers_question = bool(
                parent is not None and parent.direction == Direction.OUTBOUND
                and conversation.rating_requested_at is not None
                and parent.created_at >= conversation.rating_requested_at
            )
            rating = rating_parse(text, lenient=answers_question)
        if rating is not None:
            # The answer to our "how did we do?": a rating, not a reason to reopen.
            try:
                with transaction.atomic():
                    message = Message.objects.create(
                        conversation=conversation, direction=Direction.INBOUND, text=text,
                        search_text=message_search_text(text),
                        source_item=item, remote_id=item.remote_id, remote_url=item.url,
                        is_private=item.kind == ItemKind.DIRECT_MESSAGE,
                        author_contact=contact, in_reply_to=parent, language=language,
                        **reading,
                    )
                    rating_record(conversation=conversation, score=rating[0],
                                  comment=rating[1], message=message)
                    return message
            except ValidationError:
                pass  # a comment we cannot store: kept as an ordinary message instead
        changed = apply_flags(conversation, flags)
        if conversation.status in (Status.WAITING, Status.RESOLVED):
            conversation.status = Status.OPEN
            changed.append("status")
        if "status" in changed or "priority" in changed:
            # The citizen answered (the clock runs again) or the priority rose.
            changed += sla_refresh(conversation, now=timezone.now())
        conversation.last_message_at = max(conversation.last_message_at, when)
        conversation.save(update_fields=[*changed, "last_message_at", "updated_at"])
    return Message.objects.create(
        conversation=conversation,
        direction=Direction.INBOUND,
        text=text,
        search_text=message_search_text(text),
        source_item=item,
        remote_id=item.remote_id,
        remote_url=item.url,
        is_private=item.kind == ItemKind.DIRECT_MESSAGE,
        author_contact=contact,
        in_reply_to=parent,
        language=language,
        **reading,
    )


def inbound_items_ingest_new(*, batch_size: int = 500, now: dt.datetime | None = None) -> int:
    """Ingest inbound items stored since the last run; returns how many were looked at.

    At least once (a crash before the cursor moves re-reads the batch), exactly-once in
    effect (one message per item, under a unique constraint), safe to run concurrently.
    """
    now = now or timezone.now()
    cursor, _ = IngestCursor.objects.get_or_create(name=CURSOR_NAME)
    seen = 0
    last_id = cursor.last_item_id
    while True:
        items = list(
            InboundItem.objects.filter(pk__gt=last_id)
            .select_related("account__organisation")
            .order_by("pk")[:batch_size]
        )
        if not items:
            break
        for item in items:
            message_ingest(inbound_item=item)
        seen += len(items)
        last_id = items[-1].pk
        # Only ever forward: a slower concurrent run cannot move the cursor back.
        IngestCursor.objects.filter(name=CURSOR_NAME, last_item_id__lt=last_id).update(
            last_item_id=last_id, updated_at=now
        )
    late = InboundItem.objects.filter(
        first_seen_at__gte=now - LATE_COMMIT_WINDOW, pk__lte=last_id, inbox_message__isnull=True,
        is_own=False, has_content=True,
    ).select_related("account__organisation")
    for item in late:
        message_ingest(inbound_item=item)
    return seen


def ingest_backlog() -> int:
    """How many inbound items wait to be read (for the console and health checks)."""
    cursor = IngestCursor.objects.filter(name=CURSOR_NAME).first()
    newest = InboundItem.objects.aggregate(newest=Max("pk"))["newest"] or 0
    return max(newest - (cursor.last_item_id if cursor else 0), 0)
