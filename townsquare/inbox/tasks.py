"""Background work of the inbox: thin wrappers around services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from townsquare.channels.models import InboundItem
from townsquare.inbox.services.archiving import answer_archive, note_archive
from townsquare.inbox.services.ingest import inbound_items_ingest_new, message_ingest
from townsquare.inbox.services.learning import classifiers_retrain_all
from townsquare.inbox.services.replies import message_send, messages_due
from townsquare.inbox.services.sla import sla_check


@db_periodic_task(crontab(minute="*"))
@lock_task("inbox-ingest")
def ingest_inbound_items() -> None:
    """Every minute: new inbound items of every channel become inbox messages.

    The lock only saves work: concurrent runs are safe (one message per item)."""
    inbound_items_ingest_new()


@db_task()
def ingest_items(item_ids: list[int]) -> None:
    """Items the ingest pipeline just stored, taken in at once rather than within the minute."""
    for item in InboundItem.objects.filter(pk__in=item_ids).select_related("account"):
        message_ingest(inbound_item=item)


def route_from_ingest(item_ids: list[int]) -> None:
    """The ingest pipeline's routing hook (registered in InboxConfig.ready)."""
    ingest_items(item_ids)


@db_task()
def send_reply(message_id: int) -> None:
    message_send(message_id=message_id)


@db_periodic_task(crontab(minute="*"))
def retry_due_replies() -> None:
    for message_id in messages_due():
        send_reply(message_id)


@db_periodic_task(crontab(minute="*"))
@lock_task("inbox-sla-check")
def check_sla() -> None:
    """Every minute: SLA warnings before a target and escalations after it (each once)."""
    sla_check()


@db_task(retries=3, retry_delay=60)
def archive_answer(message_id: int) -> None:
    answer_archive(message_id=message_id)


@db_task(retries=3, retry_delay=60)
def archive_note(note_id: int) -> None:
    note_archive(note_id=note_id)


@db_periodic_task(crontab(minute="40", hour="1"))
@lock_task("inbox-retrain-classifiers")
def retrain_classifiers_nightly() -> None:
    """Every night: each government's router and topic classifier learn from the day's
    transfers and corrections (too few examples: the current ones stay)."""
    classifiers_retrain_all()
