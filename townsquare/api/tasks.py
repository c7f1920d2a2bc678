"""Periodic work for API tokens."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from townsquare.api.services import api_tokens_notify_expiring


@db_periodic_task(crontab(minute="15", hour="*/6"))
def notify_expiring_api_tokens() -> int:
    return api_tokens_notify_expiring()
