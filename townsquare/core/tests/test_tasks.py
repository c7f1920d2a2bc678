"""Periodic housekeeping tasks of core, and side effects that wait for the commit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import transaction
from django.utils import timezone

from townsquare.core import tasks
from townsquare.core.models import AuditEvent, Notification
from townsquare.core.services import cache_expired_delete, notification_prune, notification_send

pytestmark = pytest.mark.django_db


def _notification(user, *, read_days_ago: int | None) -> Notification:
    note = notification_send(recipient=user, message_key="mfa.required")
    if read_days_ago is not None:
        Notification.objects.filter(pk=note.pk).update(
            read_at=timezone.now() - dt.timedelta(days=read_days_ago)
        )
    return note


def _runs_per_day(task) -> list[dt.datetime]:
    start = dt.datetime(2025, 3, 4, tzinfo=dt.UTC)
    instance = task.task_class()
    minutes = (start + dt.timedelta(minutes=m) for m in range(24 * 60))
    return [moment for moment in minutes if instance.validate_datetime(moment)]


@pytest.mark.parametrize(
    ("task", "runs"),
    [
        (tasks.clear_expired_sessions, 1),
        (tasks.prune_read_notifications, 1),
        (tasks.delete_expired_cache_entries, 24),
    ],
)
def test_periodic_tasks_are_scheduled(task, runs):
    assert len(_runs_per_day(task)) == runs


def test_daily_jobs_do_not_start_at_the_same_minute():
    starts = {
        _runs_per_day(tasks.clear_expired_sessions)[0],
        _runs_per_day(tasks.prune_read_notifications)[0],
    }
    assert len(starts) == 2


def test_clear_expired_sessions_keeps_live_ones():
    live = SessionStore()
    live["x"] = 1
    live.create()
    expired = SessionStore()
    expired["x"] = 2
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - dt.timedelta(minutes=1)
    )

    tasks.clear_expired_sessions()

    assert set(Session.objects.values_list("session_key", flat=True)) == {live.session_key}


def test_prune_deletes_only_old_read_notifications(bob):
    old_read = _notification(bob, read_days_ago=91)
    recent_read = _notification(bob, read_days_ago=10)
    old_unread = _notification(bob, read_days_ago=None)
    Notification.objects.filter(pk=old_unread.pk).update(
        created_at=timezone.now() - dt.timedelta(days=400)
    )

    tasks.prune_read_notifications()  # periodic tasks keep no result in Huey

    remaining = set(Notification.objects.values_list("pk", flat=True))
    assert old_read.pk not in remaining
    assert {recent_read.pk, old_unread.pk} <= remaining
    event = AuditEvent.objects.get(action="notification.pruned")
    assert event.details["deleted"] == 1
    assert event.actor is None


def test_prune_with_nothing_to_do_writes_no_audit_event(bob):
    _notification(bob, read_days_ago=1)
    assert notification_prune() == 0
    assert not AuditEvent.objects.filter(action="notification.pruned").exists()


def test_prune_takes_the_retention_as_argument(bob):
    note = _notification(bob, read_days_ago=10)
    assert notification_prune(older_than=dt.timedelta(days=30)) == 0
    assert notification_prune(older_than=dt.timedelta(days=5)) == 1
    assert not Notification.objects.filter(pk=note.pk).exists()


@pytest.mark.skipif(
    "DatabaseCache" not in settings.CACHES["default"]["BACKEND"],
    reason="the cache is not database-backed in this configuration",
)
def test_expired_cache_rows_are_deleted_and_live_ones_kept():
    cache = caches["default"]
    assert isinstance(cache, DatabaseCache)
    cache.set("short-lived", "a", timeout=60)
    cache.set("long-lived", "b", timeout=6 * 3600)

    assert cache_expired_delete() == 0  # nothing has expired yet
    assert cache_expired_delete(now=timezone.now() + dt.timedelta(hours=1)) == 1

    assert cache.get("long-lived") == "b"
    assert cache.get("short-lived") is None
    tasks.delete_expired_cache_entries()
    assert cache.get("long-lived") == "b"


def test_task_queued_on_commit_runs_only_after_the_commit(bob, django_capture_on_commit_callbacks):
    note = _notification(bob, read_days_ago=100)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            transaction.on_commit(tasks.prune_read_notifications)
            # Still inside the transaction: the task must not have run.
            assert Notification.objects.filter(pk=note.pk).exists()
        assert Notification.objects.filter(pk=note.pk).exists()

    assert len(callbacks) == 1
    assert not Notification.objects.filter(pk=note.pk).exists()


def test_task_queued_in_a_rolled_back_transaction_never_runs(
    bob, django_capture_on_commit_callbacks
):
    note = _notification(bob, read_days_ago=100)

    def failing_request() -> None:
        with transaction.atomic():
            transaction.on_commit(tasks.prune_read_notifications)
            raise RuntimeError("the request failed")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError, match="request failed"),
    ):
        failing_request()

    assert callbacks == []
    assert Notification.objects.filter(pk=note.pk).exists()
