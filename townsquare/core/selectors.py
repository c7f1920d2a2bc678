"""Reads owned by core: audit events and notifications, scoped to the asking user."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from townsquare.core.models import AuditEvent, Notification


def audit_events_visible_to(user: Any) -> QuerySet[AuditEvent]:
    """Administrators see the events of the organisations they administer.

    Administrators of the whole-of-government office see every event. Events without an
    organisation (sign-ins, preference changes) are shown for the people the
    administrator can see.
    """
    from townsquare.organisations.models import Role
    from townsquare.organisations.selectors import (
        organisations_where,
        sees_everything,
        users_visible_to,
    )

    administered = organisations_where(user, Role.ADMINISTRATOR)
    if not administered.exists():
        return AuditEvent.objects.none()
    if sees_everything(user) and (
        user.is_superuser or administered.filter(sees_all_organisations=True).exists()
    ):
        return AuditEvent.objects.all()
    people = users_visible_to(user).values("pk")
    return AuditEvent.objects.filter(
        Q(organisation__in=administered) | Q(organisation__isnull=True, actor__in=people)
    )


def audit_events_filter(
    events: QuerySet[AuditEvent],
    *,
    text: str = "",
    action: str = "",
    actor: str = "",
    organisation_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    if text:
        events = events.filter(
            Q(target_label__icontains=text)
            | Q(action__icontains=text)
            | Q(actor_label__icontains=text)
        )
    if action:
        events = events.filter(action__startswith=action)
    if actor:
        events = events.filter(actor_label__iexact=actor)
    if organisation_id:
        events = events.filter(organisation_id=organisation_id)
    tz = timezone.get_current_timezone()
    if since:
        events = events.filter(created_at__gte=dt.datetime.combine(since, dt.time.min, tz))
    if until:
        events = events.filter(
            created_at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tz)
        )
    return events


def notifications_for(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)
