"""Console pages of polls: create, publish, close and see the votes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.core.http import StaffRequest
from townsquare.engagement.forms import PollForm, merge_translations
from townsquare.engagement.rules import can_manage, managed_organisations
from townsquare.engagement.selectors import poll_counts, poll_get_for_user
from townsquare.engagement.services import polls
from townsquare.engagement.views import apply_errors


@login_required
def poll_new(request: StaffRequest) -> HttpResponse:
    organisations = managed_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied
    form = PollForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            poll = polls.poll_create(
                actor=request.user, organisation=data["organisation"],
                question=data["question"], choices=form.choice_specs("options"),
                translations=merge_translations(data, ("question",)),
                closes_at=data["closes_at"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Poll created as a draft."))
            return redirect("engagement:poll", poll.pk)
    return render(request, "engagement/console/poll_form.html", {"form": form})


@login_required
def poll_detail(request: StaffRequest, poll_id: int) -> HttpResponse:
    poll = poll_get_for_user(request.user, poll_id)
    counts = poll_counts(poll)
    total = sum(n for _c, n in counts)
    return render(request, "engagement/console/poll_detail.html", {
        "poll": poll, "counts": [(c, n, round(100 * n / total) if total else 0)
                                 for c, n in counts],
        "total": total, "can_manage": can_manage(request.user, poll.organisation),
        "voted_choice": None,
    })


@login_required
@require_POST
def poll_action(request: StaffRequest, poll_id: int, action: str) -> HttpResponse:
    poll = poll_get_for_user(request.user, poll_id)
    if not can_manage(request.user, poll.organisation):
        raise PermissionDenied
    try:
        if action == "publish":
            polls.poll_publish(actor=request.user, poll=poll)
            messages.success(request, _("The poll is published."))
        elif action == "close":
            polls.poll_close(actor=request.user, poll=poll)
            messages.success(request, _("The poll is closed."))
        else:
            raise Http404("No such action")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("engagement:poll", poll.pk)
