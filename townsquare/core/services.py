"""Writes owned by core: the audit log and staff notifications."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections, models, router
from django.utils import timezone
from django.utils.translation import override

from townsquare.core.models import AuditEvent, Notification
from townsquare.core.request_context import current_origin

if TYPE_CHECKING:
    from townsquare.organisations.models import Organisation, User


def audit_record(
    *,
    actor: User | None,
    action: str,
    organisation: Organisation | None = None,
    target: models.Model | None = None,
    details: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event to the audit log (the only way an event is ever written)."""
    origin = current_origin()
    with override(settings.LANGUAGE_CODE):
        # Labels are recorded once, in the installation's language, whoever is asking.
        target_label = str(target)[:300] if target is not None else ""
    label = actor_label or (actor.get_username() if actor is not None else "system")
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=label[:200],
        action=action,
        organisation=organisation,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=target_label,
        ip_address=origin.ip_address if origin else None,
        user_agent=origin.user_agent[:300] if origin else "",
        details=details or {},
    )


def notification_send(
    *, recipient: User, message_key: str, params: dict[str, Any] | None = None, url: str = ""
) -> Notification:
    return Notification.objects.create(
        recipient=recipient, message_key=message_key, params=params or {}, url=url
    )


def notification_mark_read(*, recipient: User, notification_id: int | None = None) -> int:
    """Mark one notification (or all, when no id is given) of ``recipient`` as read."""
    unread = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


READ_NOTIFICATION_RETENTION = timedelta(days=90)


def notification_prune(
    *, older_than: timedelta = READ_NOTIFICATION_RETENTION, now: datetime | None = None
) -> int:
    """Delete notifications read more than ``older_than`` ago; unread ones are kept."""
    cutoff = (now or timezone.now()) - older_than
    deleted, _ = Notification.objects.filter(read_at__lt=cutoff).delete()
    if deleted:
        audit_record(
            actor=None,
            action="notification.pruned",
            details={"deleted": deleted, "read_before": cutoff.isoformat()},
        )
    return deleted


def cache_expired_delete(*, now: datetime | None = None) -> int:
    """Delete expired rows of every database-backed cache.

    Django's database cache removes expired rows only once the table is full, so a quiet
    installation would keep them (and any data in them) for ever.
    """
    from django.core.cache import caches
    from django.core.cache.backends.db import DatabaseCache

    moment = (now or timezone.now()).replace(microsecond=0)
    if not settings.USE_TZ:
        moment = timezone.make_naive(moment)
    deleted = 0
    for alias in settings.CACHES:
        cache = caches[alias]
        if not isinstance(cache, DatabaseCache):
            continue
        connection = connections[router.db_for_write(cache.cache_model_class)]
        table = connection.ops.quote_name(cache.cache_model_class._meta.db_table)
        # Plain SQL that SQLite and PostgreSQL both understand; the table name comes from
        # settings and is quoted by the backend.
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE expires < %s",  # noqa: S608
                [connection.ops.adapt_datetimefield_value(moment)],
            )
            deleted += max(cursor.rowcount, 0)
    return deleted
