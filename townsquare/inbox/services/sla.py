"""SLA clocks of conversations, agencies' SLA policies, and the warnings/escalations.

The clock counts business time (inbox/sla.py) while a conversation is new or open, pauses
while it waits on the citizen and stops when it is resolved or closed. Time counted so far
is banked in ``sla_used_seconds``, so a transfer keeps the clock: the new agency's policy
and hours apply to the time that is left. ``sla_*_warn_at`` is the next alert moment of
each target (the warning, then the breach), so the periodic check reads only due rows.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.core.services import audit_record, notification_send
from townsquare.inbox.models import Conversation, SlaAlert, SlaPolicy, Status
from townsquare.inbox.rules import check_can_manage_inbox_settings
from townsquare.inbox.selectors import responders_of, team_members
from townsquare.inbox.sla import Calendar, add_business_seconds, business_seconds_between
from townsquare.organisations.models import Organisation, Role, User

RUNNING = (Status.NEW, Status.OPEN)
PRIORITY_NAMES = {0: "normal", 1: "high", 2: "urgent"}


def policy_of(organisation: Organisation) -> SlaPolicy | None:
    return SlaPolicy.objects.filter(organisation=organisation).first()


def calendar_of(organisation: Organisation, policy: SlaPolicy | None = None) -> Calendar:
    if policy is None:
        return Calendar(time_zone=organisation.time_zone)
    hours = tuple(
        (dt.time.fromisoformat(h[0]), dt.time.fromisoformat(h[1])) if h else None
        for h in (policy.hours or [None] * 7)
    )
    holidays = frozenset(dt.date.fromisoformat(h["date"]) for h in policy.holidays or [])
    return Calendar(time_zone=organisation.time_zone, hours=hours, holidays=holidays)


def targets_of(policy: SlaPolicy, priority: int) -> tuple[int, int]:
    """(first answer, resolution) targets in business seconds for a priority."""
    name = PRIORITY_NAMES.get(priority, "normal")
    return (getattr(policy, f"first_response_{name}") * 60,
            getattr(policy, f"resolution_{name}") * 60)


def sla_bank(conversation: Conversation, *, now: dt.datetime) -> list[str]:
    """Stop the running stretch, adding its business time (the current agency's hours)."""
    if conversation.sla_running_since is None:
        return []
    calendar = calendar_of(conversation.organisation, policy_of(conversation.organisation))
    conversation.sla_used_seconds += business_seconds_between(
        conversation.sla_running_since, now, calendar
    )
    conversation.sla_running_since = None
    return ["sla_used_seconds", "sla_running_since"]


def sla_first_response(conversation: Conversation, *, now: dt.datetime) -> list[str]:
    """Record the first answer: business time it took and whether it met the target."""
    changed = sla_bank(conversation, now=now)
    if conversation.sla_first_response_seconds is not None:
        return changed
    # The stretch goes on until the status change that follows the answer.
    conversation.sla_running_since = now
    conversation.sla_first_response_seconds = conversation.sla_used_seconds
    policy = policy_of(conversation.organisation)
    if policy is not None:
        target = targets_of(policy, conversation.priority)[0]
        conversation.sla_first_response_met = conversation.sla_used_seconds <= target
    return [*changed, "sla_running_since", "sla_first_response_seconds",
            "sla_first_response_met"]


def sla_refresh(conversation: Conversation, *, now: dt.datetime) -> list[str]:
    """Bank the clock, then run, pause or stop it for the conversation's status and
    recompute due and alert times. Returns the changed fields (the caller saves)."""
    changed = {"sla_used_seconds", "sla_running_since", "sla_first_response_due",
               "sla_first_response_warn_at", "sla_resolution_due", "sla_resolution_warn_at",
               "sla_resolution_met"}
    sla_bank(conversation, now=now)
    policy = policy_of(conversation.organisation)
    conversation.sla_first_response_due = conversation.sla_first_response_warn_at = None
    conversation.sla_resolution_due = conversation.sla_resolution_warn_at = None
    if conversation.status in RUNNING:
        conversation.sla_running_since = now
        conversation.sla_resolution_met = None
    if policy is None:
        return sorted(changed)
    first_target, resolution_target = targets_of(policy, conversation.priority)
    used = conversation.sla_used_seconds
    if conversation.status in (Status.RESOLVED, Status.CLOSED):
        if conversation.sla_resolution_met is None:
            conversation.sla_resolution_met = used <= resolution_target
        return sorted(changed)
    if conversation.status not in RUNNING:
        return sorted(changed)  # waiting on the citizen: paused, nothing is due
    calendar = calendar_of(conversation.organisation, policy)

    def at(target: int) -> dt.datetime:
        return add_business_seconds(now, max(target - used, 0), calendar)

    def warn(target: int) -> int:
        return target * policy.warn_percent // 100

    if conversation.sla_first_response_seconds is None:
        conversation.sla_first_response_due = at(first_target)
        conversation.sla_first_response_warn_at = at(warn(first_target))
    conversation.sla_resolution_due = at(resolution_target)
    conversation.sla_resolution_warn_at = at(warn(resolution_target))
    return sorted(changed)


# -- the periodic check -------------------------------------------------------------


def _administrators(organisation: Organisation) -> list[User]:
    return list(User.objects.filter(
        is_active=True, memberships__organisation=organisation,
        memberships__role=Role.ADMINISTRATOR,
    ).distinct())


def _responsible(conversation: Conversation) -> list[User]:
    if conversation.assignee is not None:
        return [conversation.assignee]
    if conversation.team_id is not None:
        members = team_members(conversation.team_id)
        if members:
            return members
    return list(responders_of(conversation.organisation))


def _alert(conversation: Conversation, kind: str, now: dt.datetime) -> bool:
    """Record the alert; False when it was already sent (by this or a concurrent run)."""
    try:
        with transaction.atomic():
            SlaAlert.objects.create(conversation=conversation, kind=kind,
                                    organisation=conversation.organisation, created_at=now)
    except IntegrityError:
        return False
    breach = kind in (SlaAlert.Kind.FIRST_BREACH, SlaAlert.Kind.RESOLUTION_BREACH)
    people = _administrators(conversation.organisation) if breach else _responsible(conversation)
    key = "inbox.sla_breach" if breach else "inbox.sla_warning"
    due = (conversation.sla_first_response_due if kind.startswith("first")
           else conversation.sla_resolution_due)
    params: dict[str, Any] = {"tracking_number": conversation.tracking_number,
                              "target": "first" if kind.startswith("first") else "resolution",
                              "due": due.isoformat() if due else ""}
    for person in people:
        transaction.on_commit(partial(notification_send, recipient=person, message_key=key,
                                      params=params, url=f"/console/inbox/{conversation.pk}/"))
    return True


def _check_one(conversation: Conversation, now: dt.datetime) -> int:
    sent = 0
    fields: list[str] = []
    for target, warning, breach in (
        ("first_response", SlaAlert.Kind.FIRST_WARNING, SlaAlert.Kind.FIRST_BREACH),
        ("resolution", SlaAlert.Kind.RESOLUTION_WARNING, SlaAlert.Kind.RESOLUTION_BREACH),
    ):
        next_at = getattr(conversation, f"sla_{target}_warn_at")
        due = getattr(conversation, f"sla_{target}_due")
        if next_at is None or next_at > now or due is None:
            continue
        if due <= now:
            sent += _alert(conversation, breach, now)
            setattr(conversation, f"sla_{target}_warn_at", None)  # nothing more to say
            if not conversation.sla_escalated:
                conversation.sla_escalated = True
                fields.append("sla_escalated")
                audit_record(actor=None, action="conversation.sla_escalate",
                             organisation=conversation.organisation, target=conversation,
                             details={"target": target, "due": due.isoformat()})
        else:
            sent += _alert(conversation, warning, now)
            setattr(conversation, f"sla_{target}_warn_at", due)  # next: the breach
        fields.append(f"sla_{target}_warn_at")
    if fields:
        conversation.save(update_fields=[*fields, "updated_at"])
    return sent


def sla_check(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Send due warnings and escalations; returns how many alerts were sent.

    Each alert is sent at most once per conversation (unique SlaAlert), however often or
    concurrently this runs."""
    now = now or timezone.now()
    due = Q(sla_first_response_warn_at__lte=now) | Q(sla_resolution_warn_at__lte=now)
    ids = list(Conversation.objects.filter(due, status__in=RUNNING)
               .order_by("pk").values_list("pk", flat=True)[:batch_size])
    sent = 0
    for pk in ids:
        with transaction.atomic():
            conversation = (Conversation.objects.select_for_update(of=("self",))
                            .select_related("organisation", "assignee").filter(pk=pk).first())
            if conversation is not None and conversation.status in RUNNING:
                sent += _check_one(conversation, now)
    return sent


# -- policy settings ------------------------------------------------------------------


def _recompute_open(organisation: Organisation, now: dt.datetime) -> int:
    """Apply a changed policy to the agency's running conversations."""
    count = 0
    for conversation in Conversation.objects.filter(
        organisation=organisation, status__in=RUNNING
    ).select_related("organisation").select_for_update(of=("self",)).iterator():
        fields = sla_refresh(conversation, now=now)
        conversation.save(update_fields=[*fields, "updated_at"])
        count += 1
    return count


@transaction.atomic
def sla_policy_save(
    *, actor: User, organisation: Organisation, targets: dict[str, int], warn_percent: int,
    hours: list[list[str] | None], holidays: list[dict[str, str]],
) -> SlaPolicy:
    """Create or replace the agency's SLA policy (validated) and reapply it to open
    conversations."""
    check_can_manage_inbox_settings(actor, organisation)
    errors: dict[str, list[str]] = {}
    for name, minutes in targets.items():
        if not isinstance(minutes, int) or minutes < 1 or minutes > 60 * 24 * 365:
            errors.setdefault(name, []).append(
                _("Give a number of minutes between 1 and 525600."))
    if not 1 <= warn_percent <= 99:
        errors["warn_percent"] = [_("Give a percentage between 1 and 99.")]
    if len(hours) != 7:
        errors["hours"] = [_("Give the hours of all seven days.")]
    if errors:
        raise ValidationError(errors)
    policy, _created = SlaPolicy.objects.select_for_update().get_or_create(
        organisation=organisation
    )
    for name, minutes in targets.items():
        setattr(policy, name, minutes)
    policy.warn_percent = warn_percent
    policy.hours = hours
    policy.holidays = sorted(holidays, key=lambda h: h["date"])
    policy.save()
    audit_record(actor=actor, action="inbox.sla_policy_save", organisation=organisation,
                 target=policy, details={"targets": targets, "warn_percent": warn_percent,
                                         "hours": hours, "holidays": policy.holidays})
    _recompute_open(organisation, timezone.now())
    return policy
