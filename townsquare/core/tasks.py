"""Periodic housekeeping of core: thin wrappers that call services.

Huey reads the crontabs in UTC. The daily jobs are staggered so that they do not run
at the same moment on a small installation.
"""

from __future__ import annotations

import logging
from importlib import import_module

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from townsquare.core import services

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="10", hour="3"))
def clear_expired_sessions() -> None:
    """What ``manage.py clearsessions`` does, once a day."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()


@db_periodic_task(crontab(minute="20", hour="3"))
def prune_read_notifications() -> int:
    deleted = services.notification_prune()
    logger.info("Pruned %d read notifications", deleted)
    return deleted


@db_periodic_task(crontab(minute="40"))
def delete_expired_cache_entries() -> int:
    return services.cache_expired_delete()
