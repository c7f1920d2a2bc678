"""Console pages for retention rules, disposition batches (the log) and legal holds."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.archive.forms import (
    DecisionForm,
    LegalHoldForm,
    ReleaseHoldForm,
    RetentionRuleForm,
    SearchForm,
)
from townsquare.archive.models import BatchState, HoldKind
from townsquare.archive.selectors import (
    archive_organisations,
    can_use_archive,
    disposition_batch_get_for_user,
    disposition_batches_visible_to,
    is_records_officer,
    legal_hold_get_for_user,
    legal_holds_visible_to,
    records_visible_to,
    retention_rules_visible_to,
)
from townsquare.archive.services.holds import legal_hold_place, legal_hold_release
from townsquare.archive.services.retention import (
    disposition_approve,
    disposition_reject,
    retention_rule_set,
)
from townsquare.core.http import StaffRequest


def _check_archive_user(request: StaffRequest) -> None:
    if not can_use_archive(request.user):
        raise PermissionDenied


def _add_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def retention(request: StaffRequest) -> HttpResponse:
    _check_archive_user(request)
    organisations = archive_organisations(request.user)
    form = RetentionRuleForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            retention_rule_set(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The retention rule is saved."))
            return redirect("archive:retention")
    batches = Paginator(disposition_batches_visible_to(request.user), 25).get_page(
        request.GET.get("page"))
    return render(request, "archive/retention.html", {
        "form": form,
        "rules": retention_rules_visible_to(request.user),
        "page": batches,
    }, status=400 if request.method == "POST" else 200)


def _batch_context(request: StaffRequest, batch: Any, form: DecisionForm | None = None
                   ) -> dict[str, Any]:
    items = Paginator(batch.items.select_related("record").order_by("pk"), 100).get_page(
        request.GET.get("page"))
    return {
        "batch": batch,
        "page": items,
        "can_decide": batch.state == BatchState.PROPOSED
        and is_records_officer(request.user, batch.organisation),
        "form": form or DecisionForm(),
    }


@login_required
def batch_detail(request: StaffRequest, batch_id: int) -> HttpResponse:
    batch = disposition_batch_get_for_user(request.user, batch_id)
    if request.method != "POST":
        return render(request, "archive/batch.html", _batch_context(request, batch))
    form = DecisionForm(request.POST)
    if form.is_valid():
        decide = (disposition_approve if form.cleaned_data["decision"] == "approve"
                  else disposition_reject)
        try:
            decide(actor=request.user, batch=batch, note=form.cleaned_data["note"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Your decision is recorded."))
            return redirect("archive:batch", batch.pk)
    return render(request, "archive/batch.html", _batch_context(request, batch, form),
                  status=400)


@login_required
def holds(request: StaffRequest) -> HttpResponse:
    _check_archive_user(request)
    organisations = archive_organisations(request.user)
    initial = {"kind": HoldKind.SEARCH, "query": request.GET.get("q", "")} if request.GET else {}
    form = LegalHoldForm(request.POST or None, organisations=organisations, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        records = list(records_visible_to(request.user).filter(pk__in=data["record_ids"]))
        missing = set(data["record_ids"]) - {r.pk for r in records}
        filters = _carried_filters(request.POST, organisations)
        if missing:
            form.add_error("record_ids", _("There is no record %(id)d in your archive.")
                           % {"id": min(missing)})
        else:
            try:
                legal_hold_place(
                    actor=request.user, organisation=data["organisation"], name=data["name"],
                    reason=data["reason"], kind=data["kind"], query=data["query"],
                    filters=filters, account_handle=data["account_handle"], records=records,
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The legal hold is in place."))
                return redirect("archive:holds")
    return render(request, "archive/holds.html", {
        "form": form,
        "carried": _carried_filters(request.POST or request.GET, organisations),
        "holds": legal_holds_visible_to(request.user).prefetch_related("records"),
        "release_form": ReleaseHoldForm(),
    }, status=400 if request.method == "POST" else 200)


def _carried_filters(data: Any, organisations: Any) -> dict[str, str]:
    """Search filters brought from the search page (the hold's own organisation wins)."""
    filters = SearchForm(data, organisations=organisations).raw_filters()
    filters.pop("organisation", None)
    return filters


@login_required
@require_POST
def hold_release(request: StaffRequest, hold_id: int) -> HttpResponse:
    hold = legal_hold_get_for_user(request.user, hold_id)
    form = ReleaseHoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the hold is released."))
        return redirect("archive:holds")
    try:
        legal_hold_release(actor=request.user, hold=hold,
                           reason=form.cleaned_data["release_reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The legal hold is released."))
    return redirect("archive:holds")
