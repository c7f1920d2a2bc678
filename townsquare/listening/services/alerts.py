"""Alert rules on a query's volume: checking for spikes, telling people, and turning an
alert into a note to the communications office.

Checking is idempotent (one AlertEvent per rule and hour, under a unique constraint);
telling people happens after commit in background tasks, and a webhook that fails is
retried by its task without holding anything else up.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import logging
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from townsquare.core.services import audit_record, notification_send
from townsquare.listening.models import AlertEvent, AlertKind, AlertRule, Match, SavedQuery
from townsquare.listening.services.queries import check_can_manage_queries
from townsquare.listening.spikes import Verdict, judge
from townsquare.organisations.models import Membership, User

logger = logging.getLogger(__name__)

WINDOW = dt.timedelta(hours=1)
WEEK = dt.timedelta(days=7)
WEBHOOK_TIMEOUT = 5.0
SIGNATURE_HEADER = "X-Townsquare-Signature"


class WebhookFailed(Exception):
    """Raised inside the webhook task so Huey retries it."""


# --- rules -----------------------------------------------------------------------------


def _clean_rule(
    *, min_count: int, threshold: float, baseline_weeks: int, email_to: str,
    webhook_url: str, webhook_secret: str,
) -> None:
    errors: dict[str, list[str]] = {}
    if not 1 <= min_count <= 1_000_000:
        errors["min_count"] = [_("Enter a whole number from 1 to 1,000,000.")]
    if not 1.0 <= threshold <= 50.0:
        errors["threshold"] = [_("Enter a number from 1 to 50.")]
    if not 1 <= baseline_weeks <= 12:
        errors["baseline_weeks"] = [_("Enter a number of weeks from 1 to 12.")]
    addresses = [a.strip() for a in email_to.replace(";", ",").split(",") if a.strip()]
    bad = []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        errors["email_to"] = [_("Not an email address: %(addresses)s.") % {
            "addresses": ", ".join(bad)}]
    if len(addresses) > 20:
        errors["email_to"] = [_("At most 20 email addresses.")]
    if webhook_url:
        try:
            URLValidator(schemes=["https", "http"])(webhook_url)
        except ValidationError:
            errors["webhook_url"] = [_("Enter a web address starting with https://.")]
        if not webhook_secret or len(webhook_secret) < 16:
            errors["webhook_secret"] = [
                _("A webhook needs a signing secret of at least 16 characters.")
            ]
    if errors:
        raise ValidationError(errors)


def alert_rule_save(
    *, actor: User, saved_query: SavedQuery, rule: AlertRule | None = None,
    min_count: int = 10, threshold: float = 4.0, baseline_weeks: int = 4,
    notify_console: bool = True, email_to: str = "", webhook_url: str = "",
    webhook_secret: str = "", active: bool = True, kinds: list[str] | None = None,
) -> AlertRule:
    """Create a rule (``rule`` None) or change one; a blank secret keeps the old one;
    ``kinds`` None keeps the rule's kinds (a new rule: spikes only)."""
    check_can_manage_queries(actor, saved_query.organisation)
    if rule is not None and not webhook_secret:
        webhook_secret = rule.webhook_secret
    if kinds is None:
        kinds = list(rule.kinds) if rule is not None else [AlertKind.SPIKE.value]
    _clean_rule(min_count=min_count, threshold=threshold, baseline_weeks=baseline_weeks,
                email_to=email_to, webhook_url=webhook_url, webhook_secret=webhook_secret)
    if not kinds or not set(kinds) <= set(AlertKind.values):
        raise ValidationError({"kinds": [_("Choose at least one of the kinds of alert.")]})
    rule = rule or AlertRule(query=saved_query)
    rule.kinds = [kind for kind in AlertKind.values if kind in kinds]
    rule.min_count, rule.threshold, rule.baseline_weeks = min_count, threshold, baseline_weeks
    rule.notify_console, rule.email_to, rule.active = notify_console, email_to.strip(), active
    rule.webhook_url, rule.webhook_secret = webhook_url, webhook_secret if webhook_url else ""
    created = rule.pk is None
    rule.save()
    audit_record(
        actor=actor, action="listening.alert_rule_created" if created
        else "listening.alert_rule_updated",
        organisation=saved_query.organisation, target=rule,
        details={"min_count": min_count, "threshold": threshold, "webhook": bool(webhook_url),
                 "emails": len(rule.email_list()), "kinds": rule.kinds},
    )
    return rule


# --- checking --------------------------------------------------------------------------


def _count(query: SavedQuery, start: dt.datetime, end: dt.datetime) -> int:
    return Match.objects.filter(query=query, matched_at__gte=start, matched_at__lt=end).count()


MIN_WEEKS = 2
RECENT_HOURS = 24


def rule_verdict(*, rule: AlertRule, now: dt.datetime) -> Verdict:
    """The last hour against the same hour of the week in each previous week the query
    already existed (weeks before it was saved would be zeros, not a baseline).

    A query younger than two weeks has no seasonal history yet: it is compared with its
    previous hours (up to a day) instead, and with none of those, only the minimum
    volume applies.
    """
    created = rule.query.created_at
    current = _count(rule.query, now - WINDOW, now)
    history = []
    for weeks_back in range(1, rule.baseline_weeks + 1):
        end = now - weeks_back * WEEK
        if end - WINDOW < created:
            break
        history.append(_count(rule.query, end - WINDOW, end))
    if len(history) < min(MIN_WEEKS, rule.baseline_weeks):
        history = []
        for hours_back in range(1, RECENT_HOURS + 1):
            end = now - hours_back * WINDOW
            if end - WINDOW < created:
                break
            history.append(_count(rule.query, end - WINDOW, end))
    return judge(current, history, min_count=rule.min_count, threshold=rule.threshold)


def alert_rules_check(*, now: dt.datetime | None = None) -> list[AlertEvent]:
    """Raise at most one alert per rule and clock hour; returns the new ones."""
    now = now or timezone.now()
    raised = []
    rules = AlertRule.objects.filter(active=True, query__active=True).select_related(
        "query__organisation"
    )
    for rule in rules:
        if AlertKind.SPIKE not in (rule.kinds or []):
            continue
        verdict = rule_verdict(rule=rule, now=now)
        if not verdict.spike:
            continue
        window_start = now.replace(minute=0, second=0, microsecond=0)
        try:
            with transaction.atomic():
                event = AlertEvent.objects.create(
                    rule=rule, window_start=window_start, count=verdict.count,
                    expected=round(verdict.expected, 2),
                    webhook_state="pending" if rule.webhook_url else "",
                )
                audit_record(
                    actor=None, action="listening.spike", organisation=rule.query.organisation,
                    target=event,
                    details={"count": verdict.count, "expected": verdict.expected,
                             "score": round(verdict.score, 2)},
                )
                transaction.on_commit(functools.partial(enqueue_delivery, event.pk))
        except IntegrityError:
            continue  # this hour's alert was already raised
        raised.append(event)
    return raised


def enqueue_delivery(event_id: int) -> None:
    from townsquare.listening.tasks import deliver_alert, deliver_alert_webhook

    deliver_alert(event_id)
    event = AlertEvent.objects.filter(pk=event_id).select_related("rule").first()
    if event is not None and event.rule.webhook_url:
        deliver_alert_webhook(event_id)


# --- telling people --------------------------------------------------------------------


def alert_url(event: AlertEvent) -> str:
    return reverse("listening:detail", args=[event.rule.query_id]) + f"#alert-{event.pk}"


def staff_of(organisation_ids: list[int]) -> list[User]:
    ids = (
        Membership.objects.filter(organisation_id__in=organisation_ids, user__is_active=True)
        .values_list("user_id", flat=True).distinct()
    )
    return list(User.objects.filter(pk__in=list(ids)).order_by("pk"))


def alert_event_deliver(*, event: AlertEvent) -> None:
    """Console notifications and email (the webhook has its own retried task)."""
    if event.kind != AlertKind.SPIKE:
        from townsquare.listening.services.trends import trend_alert_deliver

        trend_alert_deliver(event=event)
        return
    rule = event.rule
    query = rule.query
    params = {"query": query.name, "count": event.count, "expected": event.expected,
              "query_id": query.pk}
    if rule.notify_console:
        for user in staff_of([query.organisation_id]):
            notification_send(recipient=user, message_key="listening.spike", params=params,
                              url=alert_url(event))
    recipients = rule.email_list()
    if recipients:
        with override(query.organisation.default_language or settings.LANGUAGE_CODE):
            subject = ngettext("Spike in “%(query)s”: %(count)s post in an hour",
                               "Spike in “%(query)s”: %(count)s posts in an hour",
                               event.count) % params
            body = ngettext(
                "The listening query “%(query)s” matched %(count)s post in the last hour; "
                "about %(expected)s were expected for this hour of the week.",
                "The listening query “%(query)s” matched %(count)s posts in the last hour; "
                "about %(expected)s were expected for this hour of the week.", event.count,
            ) % params
        try:
            link = settings.SITE_URL.rstrip("/") + alert_url(event)
            send_mail(subject, f"{body}\n\n{link}", None, recipients)
        except Exception:  # mail trouble must not stop the console notice or the webhook
            logger.exception("alert %s: email could not be sent", event.pk)


def webhook_body(event: AlertEvent) -> bytes:
    query = event.rule.query
    return json.dumps(
        {
            "type": f"listening.{event.kind}",  # spike, emerging, rise or sentiment
            "alert_id": event.pk,
            "detail": event.detail,
            "query": {"id": query.pk, "name": query.name, "text": query.query},
            "organisation": query.organisation.slug,
            "window_start": event.window_start.isoformat(),
            "count": event.count,
            "expected": event.expected,
        },
        ensure_ascii=False, sort_keys=True,
    ).encode()


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def alert_webhook_send(*, event: AlertEvent, final_attempt: bool = False) -> bool:
    """POST the alert; raises WebhookFailed (for the task to retry) unless it was the
    last attempt, in which case the failure is recorded and False returned."""
    rule = event.rule
    if not rule.webhook_url or event.webhook_state == "sent":
        return True
    body = webhook_body(event)
    headers = {"Content-Type": "application/json",
               SIGNATURE_HEADER: webhook_signature(rule.webhook_secret, body)}
    event.webhook_attempts += 1
    error = ""
    try:
        response = httpx.post(rule.webhook_url, content=body, headers=headers,
                              timeout=WEBHOOK_TIMEOUT, follow_redirects=False)
        if response.status_code >= 300:
            error = f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        error = type(exc).__name__
    event.webhook_error = error[:300]
    event.webhook_state = "sent" if not error else ("failed" if final_attempt else "pending")
    event.save(update_fields=["webhook_attempts", "webhook_error", "webhook_state"])
    if error and not final_attempt:
        raise WebhookFailed(error)
    return not error


def alert_event_note(*, actor: User, event: AlertEvent, note: str) -> AlertEvent:
    """Send the alert, with the staff member's words, to the communications office."""
    check_can_manage_queries(actor, event.rule.query.organisation)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Write a few words for the communications office.")]})
    if len(note) > 2000:
        raise ValidationError({"note": [_("A note may be at most 2,000 characters long.")]})
    event.note, event.noted_by, event.noted_at = note, actor, timezone.now()
    event.save(update_fields=["note", "noted_by", "noted_at"])
    query = event.rule.query
    from townsquare.organisations.models import Organisation

    office_ids = list(
        Organisation.objects.filter(sees_all_organisations=True, is_active=True)
        .values_list("pk", flat=True)
    )
    params: dict[str, Any] = {"query": query.name, "organisation_id": query.organisation_id,
                              "count": event.count, "query_id": query.pk}
    recipients = [u for u in staff_of(office_ids) if u.pk != actor.pk]

    def tell() -> None:
        for user in recipients:
            notification_send(recipient=user, message_key="listening.alert_note",
                              params=params, url=alert_url(event))

    transaction.on_commit(tell)
    audit_record(actor=actor, action="listening.alert_noted", organisation=query.organisation,
                 target=event, details={"recipients": len(recipients)})
    return event
