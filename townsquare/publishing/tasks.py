"""Background work of publishing: thin wrappers around the engine's services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from townsquare.publishing.services.archiving import variant_archive
from townsquare.publishing.services.engine import posts_dispatch_due, variant_publish, variants_due
from townsquare.publishing.services.remote import (
    remote_changes_due,
    variant_apply_remote_change,
)


@db_task()
def publish_variant(variant_id: int) -> None:
    variant_publish(variant_id=variant_id)


@db_task()
def apply_remote_change(variant_id: int) -> None:
    variant_apply_remote_change(variant_id=variant_id)


@db_task(retries=3, retry_delay=60)
def archive_variant(variant_id: int) -> None:
    variant_archive(variant_id=variant_id)


@db_periodic_task(crontab(minute="*"))
def publish_due_posts() -> None:
    """Every minute: start due posts, and retry variants and edits whose wait is over."""
    posts_dispatch_due()
    for variant_id in variants_due():
        publish_variant(variant_id)
    for variant_id in remote_changes_due():
        apply_remote_change(variant_id)
