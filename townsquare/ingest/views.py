"""Console pages of the ingest pipeline: the dead-letter list, one dead letter, retry and
discard."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from townsquare.core.http import StaffRequest
from townsquare.ingest.deadletters import (
    can_see_dead_letters,
    reason_label,
    rejection_counts,
    rejection_discard,
    rejection_get_for_user,
    rejection_retry,
    rejections_visible_to,
    shown_payload,
)
from townsquare.ingest.models import RejectionState

PAGE_SIZE = 50


@login_required
@require_GET
def rejection_list(request: StaffRequest) -> HttpResponse:
    if not can_see_dead_letters(request.user):
        raise PermissionDenied
    visible = rejections_visible_to(request.user)
    state = request.GET.get("state", RejectionState.OPEN)
    if state not in RejectionState.values:
        state = RejectionState.OPEN
    reason = request.GET.get("reason", "")
    shown = visible.filter(state=state).select_related("organisation")
    if reason:
        shown = shown.filter(reason=reason)
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = [(code, reason_label(code), n) for code, n in rejection_counts(visible)]
    return render(request, "ingest/rejections.html", {
        "page": page, "counts": counts, "state": state, "reason": reason,
        "reason_name": reason_label(reason) if reason else "",
        "states": RejectionState.choices,
        "query_string": urlencode({"state": state, **({"reason": reason} if reason else {})}),
        "rows": [(r, reason_label(r.reason)) for r in page.object_list],
    })


@login_required
@require_GET
def rejection_detail(request: StaffRequest, rejection_id: int) -> HttpResponse:
    rejection = rejection_get_for_user(request.user, rejection_id)
    payload, cut = shown_payload(bytes(rejection.raw))
    return render(request, "ingest/rejection.html", {
        "rejection": rejection, "payload": payload, "cut": cut,
        "size": len(bytes(rejection.raw)), "reason_name": reason_label(rejection.reason),
        "retry_reason_name": reason_label(rejection.last_retry_reason),
    })


@login_required
@require_POST
def rejection_retry_view(request: StaffRequest, rejection_id: int) -> HttpResponse:
    rejection = rejection_get_for_user(request.user, rejection_id)
    try:
        outcome = rejection_retry(actor=request.user, rejection=rejection)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if outcome.stored:
            messages.success(request, _("The message went through the pipeline and is stored."))
        else:
            messages.error(request, _("The message was rejected again: %(reason)s") % {
                "reason": reason_label(outcome.reason)})
    return redirect("ingest:rejection", rejection.pk)


@login_required
@require_POST
def rejection_discard_view(request: StaffRequest, rejection_id: int) -> HttpResponse:
    rejection = rejection_get_for_user(request.user, rejection_id)
    try:
        rejection_discard(actor=request.user, rejection=rejection)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The dead letter is marked as discarded; it is kept."))
    return redirect("ingest:rejection", rejection.pk)
