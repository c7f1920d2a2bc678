"""Writes owned by core: the audit log and staff notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone

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
    label = actor_label or (actor.get_username() if actor is not None else "system")
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=label[:200],
        action=action,
        organisation=organisation,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:300] if target is not None else "",
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
