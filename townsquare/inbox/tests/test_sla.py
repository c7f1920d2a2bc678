"""SLA clocks on conversations, the periodic check, and policy validation."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from townsquare.core.models import AuditEvent, Notification
from townsquare.inbox.models import SlaAlert, Status
from townsquare.inbox.services.replies import conversation_reply
from townsquare.inbox.services.sla import sla_check, sla_policy_save
from townsquare.inbox.services.work import conversation_set_status, conversation_transfer

# T0 is Sunday 1 November 2026, 12:00 UTC (16:00 in Dubai, the agencies' time zone).
DUBAI_WEEK = [["08:00", "16:00"]] * 5 + [None, None]  # Monday–Friday
TARGETS = {"first_response_normal": 60, "first_response_high": 30, "first_response_urgent": 10,
           "resolution_normal": 480, "resolution_high": 240, "resolution_urgent": 60}


def policy(actor, organisation, **overrides):
    values = {"targets": TARGETS, "warn_percent": 80, "hours": DUBAI_WEEK, "holidays": []}
    values.update(overrides)
    return sla_policy_save(actor=actor, organisation=organisation, **values)


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def transport_policy(alice, government):
    return policy(alice, government["transport"])


@pytest.fixture
def fresh(transport_policy, transport_account, deliver):
    """A conversation arriving on Monday 2 November, 06:00 UTC (10:00 in Dubai)."""
    from townsquare.inbox.services.ingest import message_ingest

    with time_machine.travel(utc(2026, 11, 2, 6), tick=False):
        item = deliver(transport_account, "The 42 bus never came", remote_id="5000",
                       minutes=18 * 60)
        return message_ingest(inbound_item=item).conversation


def test_due_times_follow_business_hours(fresh):
    assert fresh.sla_first_response_due == utc(2026, 11, 2, 7)
    assert fresh.sla_first_response_warn_at == utc(2026, 11, 2, 6, 48)
    # 8 business hours from 10:00 Monday: 10:00 Tuesday (Dubai), 06:00 UTC.
    assert fresh.sla_resolution_due == utc(2026, 11, 3, 6)


def test_message_on_a_weekend_starts_the_clock_on_monday(transport_policy, conversation):
    # Delivered at T0, a Sunday: due one business hour after Monday 08:00 Dubai.
    assert conversation.sla_first_response_due == utc(2026, 11, 2, 5)


def test_answer_records_the_target_and_waiting_pauses(fresh, bob, recorder):
    with time_machine.travel(utc(2026, 11, 2, 6, 30), tick=False):
        conversation_reply(actor=bob, conversation=fresh, text="We are looking into it.")
    fresh.refresh_from_db()
    assert fresh.status == Status.WAITING
    assert fresh.sla_first_response_seconds == 30 * 60
    assert fresh.sla_first_response_met is True
    assert fresh.sla_running_since is None and fresh.sla_resolution_due is None
    # Three days waiting on the citizen do not count.
    with time_machine.travel(utc(2026, 11, 5, 6), tick=False):
        conversation_set_status(actor=bob, conversation=fresh, status=Status.OPEN)
    fresh.refresh_from_db()
    assert fresh.sla_used_seconds == 30 * 60
    # 7.5 hours left from Thursday 10:00 Dubai: 6 on Thursday, 1.5 on Friday morning.
    assert fresh.sla_resolution_due == utc(2026, 11, 6, 5, 30)


def test_resolution_met_or_missed(fresh, bob):
    with time_machine.travel(utc(2026, 11, 4, 6), tick=False):
        conversation_set_status(actor=bob, conversation=fresh, status=Status.RESOLVED)
    fresh.refresh_from_db()
    assert fresh.sla_used_seconds == 16 * 3600
    assert fresh.sla_resolution_met is False
    assert fresh.sla_resolution_due is None


def test_transfer_keeps_the_clock(fresh, alice, carol, government):
    policy(carol, government["health"], hours=[["08:00", "12:00"]] * 7)
    with time_machine.travel(utc(2026, 11, 2, 6, 20), tick=False):
        conversation_transfer(actor=alice, conversation=fresh,
                              to_organisation=government["health"], reason="Health matter")
    fresh.refresh_from_db()
    assert fresh.sla_used_seconds == 20 * 60
    # 40 minutes left, counted on Health's hours (08:00–12:00 Dubai).
    assert fresh.sla_first_response_due == utc(2026, 11, 2, 7)
    # 460 minutes left: 1h40 on Monday, 4h on Tuesday, 2h on Wednesday.
    assert fresh.sla_resolution_due == utc(2026, 11, 4, 6)


def test_warning_then_escalation_each_once(fresh, bob, alice,
                                           django_capture_on_commit_callbacks):
    assert sla_check(now=utc(2026, 11, 2, 6, 40)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_check(now=utc(2026, 11, 2, 6, 50)) == 1
        assert sla_check(now=utc(2026, 11, 2, 6, 55)) == 0
    warned = Notification.objects.filter(message_key="inbox.sla_warning")
    # Unassigned and no team: everyone working on Transport's conversations is warned.
    assert {n.recipient for n in warned} == {alice, bob}
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_check(now=utc(2026, 11, 2, 7, 1)) == 1
        assert sla_check(now=utc(2026, 11, 2, 7, 2)) == 0
    breach = Notification.objects.get(message_key="inbox.sla_breach")
    assert breach.recipient == alice
    fresh.refresh_from_db()
    assert fresh.sla_escalated
    assert set(SlaAlert.objects.values_list("kind", flat=True)) == {"first_warning",
                                                                     "first_breach"}
    assert AuditEvent.objects.filter(action="conversation.sla_escalate").count() == 1


def test_late_check_sends_the_breach_without_a_stale_warning(fresh):
    assert sla_check(now=utc(2026, 11, 2, 9)) == 1
    assert list(SlaAlert.objects.values_list("kind", flat=True)) == ["first_breach"]


def test_paused_conversation_gets_no_alerts(fresh, bob, recorder):
    with time_machine.travel(utc(2026, 11, 2, 6, 10), tick=False):
        conversation_reply(actor=bob, conversation=fresh, text="Tell us the stop, please.")
    assert sla_check(now=utc(2026, 11, 9, 6)) == 0


def test_no_policy_counts_time_but_sets_no_due_times(conversation):
    assert conversation.sla_first_response_due is None
    assert conversation.sla_running_since is not None


def test_policy_needs_an_administrator(bob, government):
    with pytest.raises(PermissionDenied):
        policy(bob, government["transport"])


def test_bad_policy_values_are_refused(alice, government):
    with pytest.raises(ValidationError) as caught:
        policy(alice, government["transport"], targets={**TARGETS, "resolution_high": 0},
               warn_percent=100, hours=DUBAI_WEEK[:3])
    assert set(caught.value.message_dict) == {"resolution_high", "warn_percent", "hours"}


def test_changing_the_policy_recomputes_open_conversations(fresh, alice, government):
    with time_machine.travel(utc(2026, 11, 2, 6), tick=False):
        policy(alice, government["transport"], targets={**TARGETS, "first_response_normal": 120})
    fresh.refresh_from_db()
    assert fresh.sla_first_response_due == utc(2026, 11, 2, 8)
