"""Trend alerts: emerging terms, a sustained rise and a negative sentiment shift, raised
through the same alert rules, events and deliveries as spikes (services/alerts.py).

One alert per rule, kind and period (unique constraint): the clock hour for emerging
terms (their window is the last hour), the organisation's local day for a sustained
rise and a sentiment shift (their figures move slowly; hourly alerts would repeat the
same news all day). Telling people happens after commit, as for spikes.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from townsquare.core.services import audit_record, notification_send
from townsquare.listening.models import AlertEvent, AlertKind, AlertRule
from townsquare.listening.services import alerts
from townsquare.listening.trend_report import TrendReport, trend_report

logger = logging.getLogger(__name__)

TREND_KINDS = frozenset({AlertKind.EMERGING.value, AlertKind.RISE.value,
                         AlertKind.SENTIMENT.value})
TERMS_IN_ALERT = 5


def _found(report: TrendReport, kind: str) -> tuple[int, float, dict[str, Any]] | None:
    """count, expected and detail of what the report found for ``kind``, or None."""
    if kind == AlertKind.EMERGING and report.terms:
        top = report.terms[0]
        return top.count, top.expected, {"terms": [
            {"kind": t.kind, "value": t.value, "count": t.count,
             "expected": round(t.expected, 2)} for t in report.terms[:TERMS_IN_ALERT]
        ], "baseline": report.baseline}
    if kind == AlertKind.RISE and report.rise.rising:
        rise = report.rise
        return rise.last_week, float(rise.first_week), {
            "first_week": rise.first_week, "last_week": rise.last_week, "days": rise.days,
            "slope": round(rise.slope, 2), "tau": round(rise.tau, 2),
            "first_day": report.rise_first_day.isoformat() if report.rise_first_day else "",
            "last_day": report.rise_last_day.isoformat() if report.rise_last_day else "",
        }
    if kind == AlertKind.SENTIMENT and report.shift.shifted:
        shift = report.shift
        return shift.negative, round(shift.baseline_share * shift.total, 2), {
            "negative": shift.negative, "total": shift.total,
            "baseline_negative": shift.baseline_negative,
            "baseline_total": shift.baseline_total,
            "share": round(shift.share, 4), "baseline_share": round(shift.baseline_share, 4),
        }
    return None


def _period(kind: str, now: dt.datetime, time_zone: str) -> dt.datetime:
    if kind == AlertKind.EMERGING:
        return now.replace(minute=0, second=0, microsecond=0)
    local = now.astimezone(ZoneInfo(time_zone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def trend_alerts_check(*, now: dt.datetime | None = None) -> list[AlertEvent]:
    """Check every active rule that watches a trend kind; returns the new alerts."""
    now = now or timezone.now()
    raised = []
    rules = AlertRule.objects.filter(active=True, query__active=True).select_related(
        "query__organisation"
    )
    for rule in rules:
        kinds = TREND_KINDS & set(rule.kinds or [])
        if not kinds:
            continue
        report = trend_report(rule.query, now=now, parts=frozenset(kinds))
        for kind in sorted(kinds):
            found = _found(report, kind)
            if found is None:
                continue
            count, expected, detail = found
            event = _raise(rule=rule, kind=kind, count=count, expected=expected,
                           detail=detail,
                           period=_period(kind, now, rule.query.organisation.time_zone))
            if event is not None:
                raised.append(event)
    return raised


def _raise(*, rule: AlertRule, kind: str, count: int, expected: float,
           detail: dict[str, Any], period: dt.datetime) -> AlertEvent | None:
    try:
        with transaction.atomic():
            event = AlertEvent.objects.create(
                rule=rule, kind=kind, window_start=period, count=count,
                expected=round(expected, 2), detail=detail,
                webhook_state="pending" if rule.webhook_url else "",
            )
            audit_record(actor=None, action=f"listening.{kind}",
                         organisation=rule.query.organisation, target=event,
                         details={"count": count, "expected": round(expected, 2)})
            transaction.on_commit(functools.partial(alerts.enqueue_delivery, event.pk))
    except IntegrityError:
        return None  # this period's alert of this kind was already raised
    return event


# --- words -----------------------------------------------------------------------------


def _term_label(term: dict[str, Any]) -> str:
    prefix = {"hashtag": "#", "account": "@"}.get(str(term.get("kind")), "")
    return f"{prefix}{term.get('value', '')}"


def trend_text(kind: str, query_name: str, detail: dict[str, Any]) -> str:
    """One sentence on a trend alert, in the active language."""
    if kind == AlertKind.EMERGING:
        terms = [
            _("%(term)s: %(count)s, about %(expected)s expected") % {
                "term": _term_label(t), "count": number_format(t.get("count", 0)),
                "expected": number_format(t.get("expected", 0), 1)}
            for t in detail.get("terms", [])
        ]
        return _("Emerging in “%(query)s” in the last hour: %(terms)s.") % {
            "query": query_name, "terms": "; ".join(terms)}
    if kind == AlertKind.RISE:
        last = int(detail.get("last_week", 0))
        return ngettext(
            "Sustained rise in “%(query)s”: %(count)s post in the last 7 days against "
            "%(before)s in the first 7 of the last %(days)s days.",
            "Sustained rise in “%(query)s”: %(count)s posts in the last 7 days against "
            "%(before)s in the first 7 of the last %(days)s days.", last,
        ) % {"query": query_name, "count": number_format(last),
             "before": number_format(detail.get("first_week", 0)),
             "days": number_format(detail.get("days", 0))}
    if kind == AlertKind.SENTIMENT:
        return _("Negative sentiment shift in “%(query)s”: %(share)s%% of the last 24 "
                 "hours' posts are negative against %(before)s%% in the week before.") % {
            "query": query_name,
            "share": number_format(100 * float(detail.get("share", 0)), 0),
            "before": number_format(100 * float(detail.get("baseline_share", 0)), 0)}
    return ""


def trend_alert_deliver(*, event: AlertEvent) -> None:
    """Console notifications and email for a trend alert (the webhook is shared)."""
    rule = event.rule
    query = rule.query
    params = {"query": query.name, "kind": event.kind, "detail": event.detail,
              "query_id": query.pk}
    if rule.notify_console:
        for user in alerts.staff_of([query.organisation_id]):
            notification_send(recipient=user, message_key="listening.trend", params=params,
                              url=alerts.alert_url(event))
    recipients = rule.email_list()
    if recipients:
        with override(query.organisation.default_language or settings.LANGUAGE_CODE):
            subject = _("Trend alert on “%(query)s”: %(kind)s") % {
                "query": query.name, "kind": AlertKind(event.kind).label}
            body = trend_text(event.kind, query.name, event.detail)
        try:
            link = settings.SITE_URL.rstrip("/") + alerts.alert_url(event)
            send_mail(str(subject), f"{body}\n\n{link}", None, recipients)
        except Exception:  # mail trouble must not stop the console notice or the webhook
            logger.exception("alert %s: email could not be sent", event.pk)
