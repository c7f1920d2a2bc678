"""Console pages of listening's news feeds: the list with each feed's state, add, change,
read now."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from townsquare.core.http import StaffRequest
from townsquare.listening.forms import FeedForm
from townsquare.listening.models import Feed
from townsquare.listening.selectors import feed_get_for_user, feeds_visible_to
from townsquare.listening.services.feeds import (
    feed_create,
    feed_error_text,
    feed_poll_now,
    feed_update,
)
from townsquare.listening.services.queries import can_manage_queries
from townsquare.listening.views import _apply_errors, _manageable


@login_required
@require_GET
def feed_list(request: StaffRequest) -> HttpResponse:
    feeds = list(feeds_visible_to(request.user))
    return render(request, "listening/feeds.html", {
        "rows": [(f, feed_error_text(f.error_code) if f.error_code else "",
                  can_manage_queries(request.user, f.organisation)) for f in feeds],
        "can_create": _manageable(request.user).exists(),
    })


def _feed_form_page(request: StaffRequest, feed: Feed | None) -> HttpResponse:
    organisations = _manageable(request.user)
    if feed is not None:
        if not can_manage_queries(request.user, feed.organisation):
            raise PermissionDenied
        organisations = organisations.filter(pk=feed.organisation_id)
    elif not organisations.exists():
        raise PermissionDenied
    initial = {}
    if feed is not None:
        initial = {"organisation": feed.organisation, "name": feed.name, "url": feed.url,
                   "language": feed.language, "poll_minutes": feed.poll_minutes,
                   "active": feed.active}
    form = FeedForm(request.POST or None, initial=initial, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {"name": data["name"], "url": data["url"], "language": data["language"],
                  "poll_minutes": data["poll_minutes"]}
        try:
            if feed is None:
                feed = feed_create(actor=request.user, organisation=data["organisation"],
                                   **fields)
                messages.success(request, _("The feed is added; it is read within a minute."))
            else:
                feed_update(actor=request.user, feed=feed, active=data["active"], **fields)
                messages.success(request, _("The feed is saved."))
            return redirect("listening:feeds")
        except ValidationError as exc:
            _apply_errors(form, exc)
    status = 400 if request.method == "POST" else 200
    return render(request, "listening/feed_form.html", {"form": form, "feed": feed},
                  status=status)


@login_required
def feed_new(request: StaffRequest) -> HttpResponse:
    return _feed_form_page(request, None)


@login_required
def feed_edit(request: StaffRequest, feed_id: int) -> HttpResponse:
    return _feed_form_page(request, feed_get_for_user(request.user, feed_id))


@login_required
@require_POST
def feed_read_now(request: StaffRequest, feed_id: int) -> HttpResponse:
    feed = feed_get_for_user(request.user, feed_id)
    stored = feed_poll_now(actor=request.user, feed=feed)
    if feed.error_code:
        messages.error(request, feed_error_text(feed.error_code))
    else:
        messages.success(request, _("The feed was read: %(count)s new entries.")
                         % {"count": stored})
    return redirect("listening:feeds")
