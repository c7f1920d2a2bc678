"""The publishing calendar (month, week, list) and the composer's live plain-language hints."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.core.http import StaffRequest
from townsquare.organisations.selectors import organisations_visible_to
from townsquare.publishing.models import EDITABLE_STATES, LANGUAGE_CHOICES, Post, PostState
from townsquare.publishing.plain import agency_words, highlighted, report_for
from townsquare.publishing.rules import composing_organisations
from townsquare.publishing.schedule import ScheduleError
from townsquare.publishing.selectors import post_get_for_user, posts_in_period
from townsquare.publishing.services.workflow import post_schedule

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
    composing = set(composing_organisations(request.user).values_list("pk", flat=True))
    for post in posts:
        # Marks what the drag-to-reschedule script may pick up (the server checks again).
        post.movable = bool(post.scheduled_time and post.state in EDITABLE_STATES  # type: ignore[attr-defined]
                            and post.organisation_id in composing)
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
def post_move(request: StaffRequest, post_id: int) -> JsonResponse:
    """Drag to reschedule: the post keeps its time of day, local to its organisation.

    Answers JSON for the calendar script; the review page's schedule form does the same
    without script (the keyboard alternative).
    """
    post = post_get_for_user(request.user, post_id)
    try:
        day = dt.date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        return JsonResponse({"error": _("Choose a valid day.")}, status=400)
    if post.scheduled_time is None:
        return JsonResponse({"error": _("This post has no time yet: schedule it from its "
                                        "page.")}, status=400)
    try:
        resolved = post_schedule(actor=request.user, post=post, date=day,
                                 time=post.scheduled_time, fold=None)
    except PermissionDenied:
        return JsonResponse({"error": _("You may not schedule this post.")}, status=403)
    except ScheduleError as exc:
        return JsonResponse({"error": str(exc), "code": exc.code}, status=400)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse({"message": _("Moved to %(time)s (%(zone)s).") % {
        "time": f"{resolved.local:%Y-%m-%d %H:%M}", "zone": post.organisation.time_zone}})


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
    # The composer's organisation select (or, when it is locked on edit, a hidden field);
    # an organisation the user does not write for contributes no words.
    chosen = request.POST.get("organisation") or request.POST.get("post_organisation") or ""
    organisation = (composing_organisations(request.user).filter(pk=int(chosen)).first()
                    if chosen.isdigit() else None)
    report = report_for(text, language, extra_avoid=agency_words(organisation))
    return render(request, "publishing/_hints.html", {
        "report": report, "segments": highlighted(text, report), "language": language,
    })
