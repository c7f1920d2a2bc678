"""Console pages of social listening."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from townsquare.core.http import StaffRequest
from townsquare.inbox.rules import can_work_in
from townsquare.listening import charts
from townsquare.listening.forms import AlertNoteForm, AlertRuleForm, PeriodForm, SavedQueryForm
from townsquare.listening.models import AlertKind, AlertRule, SavedQuery
from townsquare.listening.selectors import (
    alert_event_get,
    alert_events_of,
    alert_rule_get,
    alert_rules_of,
    newest_matches,
    queries_visible_to,
    query_get_for_user,
)
from townsquare.listening.services.alerts import alert_event_note, alert_rule_save
from townsquare.listening.services.handoff import alert_event_to_conversation
from townsquare.listening.services.queries import (
    can_manage_queries,
    saved_query_create,
    saved_query_update,
)
from townsquare.listening.services.streams import query_streams
from townsquare.listening.share import query_shares, topic_shares
from townsquare.listening.stats import PeriodStats, compare, period_stats
from townsquare.listening.trend_report import trend_report
from townsquare.listening.trends import SHIFT_MIN_POSTS
from townsquare.organisations.models import Organisation
from townsquare.organisations.selectors import organisations_visible_to

STREAM_SIZE = 30


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _manageable(user: Any) -> QuerySet[Organisation]:
    visible = organisations_visible_to(user).filter(is_active=True)
    return visible.filter(pk__in=[o.pk for o in visible if can_manage_queries(user, o)])


@login_required
@require_GET
def query_list(request: StaffRequest) -> HttpResponse:
    queries = queries_visible_to(request.user).order_by("organisation__path", "name")
    return render(request, "listening/list.html", {
        "queries": queries, "can_create": _manageable(request.user).exists(),
    })


def _query_form_page(
    request: StaffRequest, saved: SavedQuery | None
) -> HttpResponse:
    organisations = _manageable(request.user)
    if saved is not None and not can_manage_queries(request.user, saved.organisation):
        raise PermissionDenied
    if saved is not None:
        organisations = organisations.filter(pk=saved.organisation_id)
    initial = {}
    if saved is not None:
        initial = {"organisation": saved.organisation, "name": saved.name, "query": saved.query,
                   "languages": saved.languages, "networks": saved.networks,
                   "search_networks": saved.search_networks, "active": saved.active}
    form = SavedQueryForm(request.POST or None, initial=initial, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {"name": data["name"], "query": data["query"], "languages": data["languages"],
                  "networks": data["networks"], "search_networks": data["search_networks"],
                  "active": data["active"]}
        try:
            if saved is None:
                saved = saved_query_create(actor=request.user,
                                           organisation=data["organisation"], **fields)
                messages.success(request, _("The query is saved and listening."))
            else:
                saved_query_update(actor=request.user, saved_query=saved, **fields)
                messages.success(request, _("The query is saved."))
            return redirect("listening:detail", saved.pk)
        except ValidationError as exc:
            _apply_errors(form, exc)
    status = 400 if request.method == "POST" else 200
    return render(request, "listening/form.html", {"form": form, "saved": saved},
                  status=status)


@login_required
def query_new(request: StaffRequest) -> HttpResponse:
    if not _manageable(request.user).exists():
        raise PermissionDenied
    return _query_form_page(request, None)


@login_required
def query_edit(request: StaffRequest, query_id: int) -> HttpResponse:
    return _query_form_page(request, query_get_for_user(request.user, query_id))


def _day_bounds(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def _periods(form: PeriodForm, tz: ZoneInfo) -> tuple[tuple[dt.datetime, dt.datetime],
                                                      tuple[dt.datetime, dt.datetime]]:
    today = timezone.now().astimezone(tz).date()
    start, end = today - dt.timedelta(days=6), today
    compare_end = start - dt.timedelta(days=1)
    compare_start = compare_end - (end - start)
    if form.is_valid():
        data = form.cleaned_data
        if data.get("start") and data.get("end"):
            start, end = data["start"], data["end"]
            compare_end = start - dt.timedelta(days=1)
            compare_start = compare_end - (end - start)
        if data.get("compare_start") and data.get("compare_end"):
            compare_start, compare_end = data["compare_start"], data["compare_end"]
    one = dt.timedelta(days=1)
    return ((_day_bounds(start, tz), _day_bounds(end + one, tz)),
            (_day_bounds(compare_start, tz), _day_bounds(compare_end + one, tz)))


def _change_label(key: str) -> str:
    if key == "total":
        return _("All matching posts")
    kind, _sep, value = key.partition(":")
    if kind == "sentiment":
        return _("Sentiment: %(label)s") % {"label": charts.sentiment_label(value)}
    return _("Topic: %(label)s") % {"label": value}


@login_required
@require_GET
def query_detail(request: StaffRequest, query_id: int) -> HttpResponse:
    saved = query_get_for_user(request.user, query_id)
    tz = ZoneInfo(saved.organisation.time_zone)
    period_form = PeriodForm(request.GET or None)
    (start, end), (c_start, c_end) = _periods(period_form, tz)
    stats: PeriodStats = period_stats(saved, start=start, end=end, time_zone=str(tz))
    earlier = period_stats(saved, start=c_start, end=c_end, time_zone=str(tz))
    changes = [(_change_label(c.label), c) for c in compare(earlier, stats)]
    topic_share = topic_shares(stats)
    query_share = query_shares(
        saved, queries_visible_to(request.user).filter(organisation=saved.organisation)
        .exclude(pk=saved.pk), start=start, end=end,
    )
    can_manage = can_manage_queries(request.user, saved.organisation)
    return render(request, "listening/detail.html", {
        "saved": saved, "stream": newest_matches(saved, limit=STREAM_SIZE),
        "stats": stats, "earlier": earlier, "changes": changes, "period_form": period_form,
        "period_end": end - dt.timedelta(days=1), "earlier_end": c_end - dt.timedelta(days=1),
        "volume_chart": charts.volume_chart(stats),
        "sentiment_chart": charts.sentiment_chart(stats),
        "topic_chart": charts.topic_chart(stats),
        "topic_share": topic_share, "query_share": query_share,
        "topic_share_chart": charts.share_chart(
            topic_share, chart_id="chart-topic-share", title=_("Share of voice between topics"),
            heading=_("Topic")),
        "query_share_chart": charts.share_chart(
            query_share, chart_id="chart-query-share",
            title=_("Share of voice between queries"), heading=_("Query")),
        "sentiments": [(charts.sentiment_label(k), v) for k, v in stats.sentiment.items()],
        "rules": alert_rules_of(saved), "events": alert_events_of(saved),
        "can_manage": can_manage, "note_form": AlertNoteForm(),
        "can_hand_off": can_manage and can_work_in(request.user, saved.organisation),
        "trends": trend_report(saved, now=timezone.now()), "min_shift_posts": SHIFT_MIN_POSTS,
        "alert_kinds": AlertKind.choices, "stream_states": query_streams(saved),
    })


@login_required
@require_GET
def query_stream(request: StaffRequest, query_id: int) -> HttpResponse:
    """The newest matches (htmx polls this every few seconds)."""
    saved = query_get_for_user(request.user, query_id)
    return render(request, "listening/stream.html", {
        "saved": saved, "stream": newest_matches(saved, limit=STREAM_SIZE),
    })


def _rule_page(request: StaffRequest, saved: SavedQuery, rule: AlertRule | None) -> HttpResponse:
    if not can_manage_queries(request.user, saved.organisation):
        raise PermissionDenied
    initial = {}
    if rule is not None:
        initial = {f: getattr(rule, f) for f in ("min_count", "threshold", "baseline_weeks",
                                                 "notify_console", "email_to", "webhook_url",
                                                 "active", "kinds")}
    form = AlertRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            alert_rule_save(actor=request.user, saved_query=saved, rule=rule,
                            **form.cleaned_data)
            messages.success(request, _("The alert rule is saved."))
            return redirect("listening:detail", saved.pk)
        except ValidationError as exc:
            _apply_errors(form, exc)
    status = 400 if request.method == "POST" else 200
    return render(request, "listening/rule_form.html",
                  {"form": form, "saved": saved, "rule": rule}, status=status)


@login_required
def rule_new(request: StaffRequest, query_id: int) -> HttpResponse:
    return _rule_page(request, query_get_for_user(request.user, query_id), None)


@login_required
def rule_edit(request: StaffRequest, query_id: int, rule_id: int) -> HttpResponse:
    saved = query_get_for_user(request.user, query_id)
    return _rule_page(request, saved, alert_rule_get(saved, rule_id))


@login_required
@require_POST
def alert_note(request: StaffRequest, query_id: int, event_id: int) -> HttpResponse:
    saved = query_get_for_user(request.user, query_id)
    event = alert_event_get(saved, event_id)
    form = AlertNoteForm(request.POST)
    if form.is_valid():
        try:
            alert_event_note(actor=request.user, event=event, note=form.cleaned_data["note"])
            messages.success(request, _("The communications office has been told."))
            return redirect("listening:detail", saved.pk)
        except ValidationError as exc:
            _apply_errors(form, exc)
    messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("listening:detail", saved.pk)


@login_required
@require_POST
def alert_conversation(request: StaffRequest, query_id: int, event_id: int) -> HttpResponse:
    """Hand the alert to the agency's inbox as a conversation (the same one every time)."""
    saved = query_get_for_user(request.user, query_id)
    event = alert_event_get(saved, event_id)
    conversation = alert_event_to_conversation(actor=request.user, event=event)
    messages.success(request, _("The alert is in the inbox as conversation %(number)s.")
                     % {"number": conversation.tracking_number})
    return redirect("inbox:conversation", conversation.pk)
