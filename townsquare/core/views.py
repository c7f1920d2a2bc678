"""The console shell: home, notifications, search, preferences, audit log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.core.forms import AuditFilterForm, PreferencesForm, clean_query
from townsquare.core.http import StaffRequest
from townsquare.core.navigation import search_everything
from townsquare.core.notifications import render_notification
from townsquare.core.selectors import (
    audit_events_filter,
    audit_events_visible_to,
    notifications_for,
)
from townsquare.core.services import notification_mark_read
from townsquare.organisations.selectors import (
    memberships_visible_to,
    organisation_get_for_user,
    organisations_visible_to,
    users_visible_to,
)
from townsquare.organisations.services import user_preferences_update, user_switch_organisation


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


@login_required
def home(request: StaffRequest) -> HttpResponse:
    user = request.user
    visible = organisations_visible_to(user)
    my_memberships = user.memberships.select_related("organisation", "team").order_by(
        "organisation__path", "role"
    )
    context = {
        "memberships": my_memberships,
        "organisation_count": visible.count(),
        "people_count": users_visible_to(user).count(),
        "role_count": memberships_visible_to(user).count(),
        "recent_notifications": [(n, render_notification(n)) for n in notifications_for(user)[:5]],
    }
    return render(request, "console/home.html", context)


@login_required
def notifications(request: StaffRequest) -> HttpResponse:
    page = Paginator(notifications_for(request.user), 25).get_page(request.GET.get("page"))
    items = [(n, render_notification(n)) for n in page.object_list]
    return render(request, "console/notifications.html", {"page": page, "items": items})


@login_required
@require_POST
def notifications_mark_read(request: StaffRequest) -> HttpResponse:
    raw_id = request.POST.get("notification")
    notification_id = int(raw_id) if raw_id and raw_id.isdigit() else None
    notification_mark_read(recipient=request.user, notification_id=notification_id)
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    return redirect("console:notifications")


@login_required
def search(request: StaffRequest) -> HttpResponse:
    query = clean_query(request.GET.get("q", ""), max_length=200)
    results = search_everything(request.user, query) if len(query) >= 2 else []
    return render(
        request,
        "console/search.html",
        {"search_query": query, "results": results, "too_short": 0 < len(query) < 2},
    )


@login_required
def preferences(request: StaffRequest) -> HttpResponse:
    user = request.user
    form = PreferencesForm(
        request.POST or None, initial={"language": user.language, "time_zone": user.time_zone}
    )
    if request.method == "POST" and form.is_valid():
        user_preferences_update(
            user=user,
            language=form.cleaned_data["language"],
            time_zone=form.cleaned_data["time_zone"],
        )
        response = redirect("console:preferences")
        messages.success(request, _("Your preferences are saved."))
        return response
    return render(request, "console/preferences.html", {"form": form})


@login_required
@require_POST
def switch_organisation(request: StaffRequest) -> HttpResponse:
    raw = request.POST.get("organisation", "")
    organisation = organisation_get_for_user(request.user, raw) if raw else None
    user_switch_organisation(user=request.user, organisation=organisation)
    return redirect(_safe_next(request, "console:home"))


@login_required
def mfa_required(request: StaffRequest) -> HttpResponse:
    return render(request, "console/mfa_required.html")


@login_required
def audit_log(request: StaffRequest) -> HttpResponse:
    if not request.user.has_perm("core.view_audit_log"):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    events = audit_events_visible_to(request.user).select_related("organisation")
    if form.is_valid():
        data = form.cleaned_data
        events = audit_events_filter(
            events,
            text=data["q"],
            action=data["action"],
            actor=data["actor"],
            organisation_id=data["organisation"],
            since=data["since"],
            until=data["until"],
        )
    elif form.is_bound:
        # A filter that cannot be read shows its error and no events, never all of them.
        events = events.none()
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "console/audit_log.html",
        {"form": form, "page": page, "query_string": query.urlencode()},
    )
