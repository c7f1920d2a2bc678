"""Hands staff answers and internal notes to the records archive.

Runs in a background task after the change is committed (a slow archive never holds up
answering); capturing is idempotent, so a retried task adds nothing. An answer sent
through a network is captured once it is sent (with its id and address there); an
answer recorded for a phone or walk-in case at once. Internal notes are records too,
but restricted: only records officers read their content in the archive.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from townsquare.archive.models import RecordType
from townsquare.archive.services import record_capture, record_restrict_by_system
from townsquare.inbox.models import Direction, InternalNote, Message, SendState

ANSWER_SOURCE = "inbox.answer"
NOTE_SOURCE = "inbox.note"
NOTE_RESTRICTION = "Internal note of the inbox: staff only, not for publication."


def answer_archive(*, message_id: int) -> str:
    """Capture one of our answers; returns what was done."""
    message = (
        Message.objects.select_related("conversation__organisation", "conversation__account",
                                       "author_user", "in_reply_to")
        .filter(pk=message_id, direction=Direction.OUTBOUND).first()
    )
    if message is None or message.send_state not in (SendState.SENT, SendState.NONE):
        return "skipped"  # not (yet) given to the citizen: captured when it is sent
    conversation = message.conversation
    account = conversation.account
    metadata: dict[str, Any] = {
        "tracking_number": conversation.tracking_number,
        "conversation_id": conversation.pk,
        "channel": conversation.channel,
        "private": message.is_private,
        "language": message.language,
        "in_reply_to": message.in_reply_to.remote_id if message.in_reply_to else "",
        "sent_through_network": message.send_state == SendState.SENT,
    }
    author = message.author_user.get_username() if message.author_user else ""
    result = record_capture(
        source=ANSWER_SOURCE, source_id=str(message.pk), organisation=conversation.organisation,
        record_type=RecordType.REPLY, content=message.text, metadata=metadata,
        network_time=message.sent_at or message.created_at,
        network=account.network if account else conversation.channel,
        account_handle=account.handle if account else "", author=author,
        remote_id=message.remote_id, url=message.remote_url, remote_created_at=message.sent_at,
    )
    return "captured" if result.version is not None else "unchanged"


def note_archive(*, note_id: int) -> str:
    """Capture an internal note as a restricted record; returns what was done."""
    note = (InternalNote.objects.select_related("conversation__organisation", "author")
            .filter(pk=note_id).first())
    if note is None:
        return "skipped"
    conversation = note.conversation
    metadata = {
        "tracking_number": conversation.tracking_number,
        "conversation_id": conversation.pk,
        "mentions": sorted(note.mentions.values_list("username", flat=True)),
    }
    with transaction.atomic():
        # The record and its restriction commit together: no moment when the note's
        # content is readable by everyone who may search the archive.
        result = record_capture(
            source=NOTE_SOURCE, source_id=str(note.pk), organisation=conversation.organisation,
            record_type=RecordType.NOTE, content=note.text, metadata=metadata,
            network_time=note.created_at, network=conversation.channel,
            author=note.author.get_username() if note.author else "",
        )
        record_restrict_by_system(record=result.record, reason=NOTE_RESTRICTION)
    return "captured" if result.version is not None else "unchanged"


def answer_archive_after_commit(message_id: int) -> None:
    from townsquare.inbox.tasks import archive_answer

    transaction.on_commit(lambda: archive_answer(message_id))


def note_archive_after_commit(note_id: int) -> None:
    from townsquare.inbox.tasks import archive_note

    transaction.on_commit(lambda: archive_note(note_id))
