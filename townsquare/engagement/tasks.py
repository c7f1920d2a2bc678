"""Background work of engagement: thin wrappers around services."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from townsquare.engagement.services.consultations import consultation_notify_participants


@db_task(retries=3, retry_delay=60)
def notify_consultation_response(consultation_id: int) -> None:
    """Emails the participants who asked to be told that the response is published."""
    consultation_notify_participants(consultation_id=consultation_id)
