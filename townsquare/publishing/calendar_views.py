"""The publishing calendar (month, week, list) and the composer's live plain-language hints."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.core.http import StaffRequest
from townsquare.organisations.selectors import organisations_visible_to
from townsquare.publishing.models import LANGUAGE_CHOICES, Post, PostState
from townsquare.publishing.plain import highlighted, report_for
from townsquare.publishing.selectors import posts_in_period

VIEWS = ("month", "week", "list")
LIST_DAYS = 31
# Live hints are for a post being written, not for whole documents.
MAX_HINT_TEXT = 20_000


def _start_date(raw: str | None, today: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(raw or "")
    except ValueError:
        return today


def _period(view: str, anchor: dt.date) -> tuple[dt.date, dt.date]:
    if view == "month":
        first = anchor.replace(day=1)
        start = first - dt.timedelta(days=first.weekday())
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        end = last + dt.timedelta(days=7 - last.weekday())
        return start, end
    if view == "week":
        start = anchor - dt.timedelta(days=anchor.weekday())
        return start, start + dt.timedelta(days=7)
    return anchor, anchor + dt.timedelta(days=LIST_DAYS)


@login_required
def post_calendar(request: StaffRequest) -> HttpResponse:
    view = request.GET.get("view", "month")
    if view not in VIEWS:
        view = "month"
    today = timezone.localdate()
    anchor = _start_date(request.GET.get("start"), today)
    start, end = _period(view, anchor)
    # Posts are placed on the day their author chose, in their organisation's time zone;
    # a day either side covers every zone's offset from UTC.
    window_start = dt.datetime.combine(start - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    window_end = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    posts = posts_in_period(request.user, window_start, window_end)
    organisations = organisations_visible_to(request.user)
    organisation_id = request.GET.get("organisation", "")
    if organisation_id.isdigit():
        chosen = organisations.filter(pk=int(organisation_id)).first()
        if chosen is not None:
            posts = posts.filter(organisation__path__startswith=chosen.path)
    state = request.GET.get("state", "")
    if state in PostState.values:
        posts = posts.filter(state=state)
    by_day: dict[dt.date, list[Post]] = {}
    for post in posts:
        if post.scheduled_date and start <= post.scheduled_date < end:
            by_day.setdefault(post.scheduled_date, []).append(post)
    days = [start + dt.timedelta(days=n) for n in range((end - start).days)]
    cells = [{"date": day, "posts": by_day.get(day, []), "today": day == today,
              "in_month": day.month == anchor.month} for day in days]
    step = {"month": 31, "week": 7, "list": LIST_DAYS}[view]
    previous = (anchor.replace(day=1) - dt.timedelta(days=1)).replace(day=1) \
        if view == "month" else anchor - dt.timedelta(days=step)
    following = (anchor.replace(day=1) + dt.timedelta(days=32)).replace(day=1) \
        if view == "month" else anchor + dt.timedelta(days=step)
    context: dict[str, Any] = {
        "view": view, "anchor": anchor, "start": start, "end": end,
        "weeks": [cells[i:i + 7] for i in range(0, len(cells), 7)],
        "list_days": [c for c in cells if c["posts"]],
        "previous": previous, "following": following,
        "organisations": organisations, "organisation_id": organisation_id,
        "states": PostState.choices, "state": state,
        "weekdays": [cells[i]["date"] for i in range(7)],
    }
    return render(request, "publishing/calendar.html", context)


@login_required
@require_POST
def plain_language_hints(request: StaffRequest) -> HttpResponse:
    """htmx: the checker's score and highlighted hints for one language version."""
    language = request.POST.get("language", "")
    if language not in dict(LANGUAGE_CHOICES):
        return HttpResponseBadRequest(_("Unknown language."))
    text = request.POST.get(f"text_{language}", request.POST.get("text", ""))
    if len(text) > MAX_HINT_TEXT:
        return render(request, "publishing/_hints.html",
                      {"error": _("The text is too long to check as you type.")})
    if not text.strip():
        return render(request, "publishing/_hints.html", {"empty": True})
    report = report_for(text, language)
    return render(request, "publishing/_hints.html", {
        "report": report, "segments": highlighted(text, report), "language": language,
    })
