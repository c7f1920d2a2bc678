"""Background work of engagement: thin wrappers around services."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from townsquare.engagement.services.consultations import consultation_notify_participants
from townsquare.engagement.sms import sms_code_deliver


@db_task(retries=3, retry_delay=60)
def notify_consultation_response(consultation_id: int) -> None:
    """Emails the participants who asked to be told that the response is published."""
    consultation_notify_participants(consultation_id=consultation_id)


@db_task()
def send_sms_code(delivery: str) -> None:
    """Texts a one-time code to a survey respondent. No retries: a code late by minutes is
    worse than the respondent asking for a new one, which the page tells them to do."""
    sms_code_deliver(delivery=delivery)
