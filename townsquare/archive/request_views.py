"""Console pages of records requests: the list with deadline badges and one request."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import ChoiceField
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from townsquare.archive.forms import SearchForm
from townsquare.archive.request_forms import (
    ExportForm,
    RecordsRequestForm,
    RequestNoteForm,
    RequestStatusForm,
    RequestUpdateForm,
)
from townsquare.archive.request_models import (
    OPEN_STATUSES,
    RecordsRequest,
    RequestRecord,
    RequestStatus,
)
from townsquare.archive.request_selectors import (
    records_officers_for,
    records_request_get_for_user,
    records_requests_visible_to,
)
from townsquare.archive.selectors import (
    archive_organisations,
    can_use_archive,
    is_records_officer,
)
from townsquare.archive.services.requests import (
    NEXT_STATUSES,
    deadline_state,
    records_request_add_search,
    records_request_create,
    records_request_note_add,
    records_request_remove_record,
    records_request_set_status,
    records_request_update,
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
def request_list(request: StaffRequest) -> HttpResponse:
    _check_archive_user(request)
    organisations = archive_organisations(request.user)
    form = RecordsRequestForm(request.POST or None, organisations=organisations,
                              officers=records_officers_for(organisations),
                              initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            created = records_request_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The records request is recorded."))
            return redirect("archive:request", created.pk)
    show = request.GET.get("show", "open")
    rows = records_requests_visible_to(request.user)
    if show != "all":
        rows = rows.filter(status__in=OPEN_STATUSES)
    page = Paginator(rows.order_by("deadline", "pk"), 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for item in page.object_list:
        item.deadline_state = deadline_state(item, today)  # type: ignore[attr-defined]
    return render(request, "archive/requests.html", {
        "form": form, "page": page, "show": show, "query_string": f"show={show}",
    }, status=400 if request.method == "POST" else 200)


def _detail_context(request: StaffRequest, records_request: RecordsRequest,
                    **forms: Any) -> dict[str, Any]:
    officers = records_officers_for(archive_organisations(request.user))
    links = Paginator(RequestRecord.objects.filter(request=records_request)
                      .select_related("record").order_by("record_id"), 50).get_page(
        request.GET.get("page"))
    next_statuses = NEXT_STATUSES.get(records_request.status, set())
    status_form = forms.get("status_form") or RequestStatusForm()
    field = status_form.fields["status"]
    if isinstance(field, ChoiceField):
        field.choices = [(value, label) for value, label in RequestStatus.choices
                         if value in next_statuses]
    return {
        "req": records_request,
        "deadline_state": deadline_state(records_request),
        "page": links,
        "status_form": status_form,
        "update_form": forms.get("update_form") or RequestUpdateForm(
            officers=officers, initial={"deadline": records_request.deadline,
                                        "officer": records_request.officer}),
        "note_form": forms.get("note_form") or RequestNoteForm(),
        "search_form": forms.get("search_form") or SearchForm(
            organisations=archive_organisations(request.user)),
        "export_form": ExportForm(),
        "notes": records_request.notes.all(),
        "packages": records_request.packages.order_by("-created_at", "-pk")[:10],
        "can_export": is_records_officer(request.user, records_request.organisation),
        "search_page": reverse("archive:search"),
    }


@login_required
def request_detail(request: StaffRequest, request_id: int) -> HttpResponse:
    records_request = records_request_get_for_user(request.user, request_id)
    return render(request, "archive/request.html", _detail_context(request, records_request))


def _bad(request: StaffRequest, records_request: RecordsRequest, **forms: Any) -> HttpResponse:
    return render(request, "archive/request.html",
                  _detail_context(request, records_request, **forms), status=400)


@login_required
@require_POST
def request_status(request: StaffRequest, request_id: int) -> HttpResponse:
    records_request = records_request_get_for_user(request.user, request_id)
    form = RequestStatusForm(request.POST)
    if form.is_valid():
        try:
            records_request_set_status(actor=request.user, request=records_request,
                                       **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The status is changed."))
            return redirect("archive:request", records_request.pk)
    return _bad(request, records_request, status_form=form)


@login_required
@require_POST
def request_update(request: StaffRequest, request_id: int) -> HttpResponse:
    records_request = records_request_get_for_user(request.user, request_id)
    form = RequestUpdateForm(request.POST,
                             officers=records_officers_for(archive_organisations(request.user)))
    if form.is_valid():
        try:
            records_request_update(actor=request.user, request=records_request,
                                   **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The request is updated."))
            return redirect("archive:request", records_request.pk)
    return _bad(request, records_request, update_form=form)


@login_required
@require_POST
def request_note(request: StaffRequest, request_id: int) -> HttpResponse:
    records_request = records_request_get_for_user(request.user, request_id)
    form = RequestNoteForm(request.POST)
    if form.is_valid():
        try:
            records_request_note_add(actor=request.user, request=records_request,
                                     text=form.cleaned_data["text"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The note is added."))
            return redirect("archive:request", records_request.pk)
    return _bad(request, records_request, note_form=form)


@login_required
@require_POST
def request_add_search(request: StaffRequest, request_id: int) -> HttpResponse:
    records_request = records_request_get_for_user(request.user, request_id)
    form = SearchForm(request.POST, organisations=archive_organisations(request.user))
    if form.is_valid():
        try:
            added = records_request_add_search(actor=request.user, request=records_request,
                                               query=form.cleaned_data["q"],
                                               filters=form.raw_filters())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, ngettext(
                "%(count)d record was added from the search.",
                "%(count)d records were added from the search.", added) % {"count": added})
            return redirect("archive:request", records_request.pk)
    return _bad(request, records_request, search_form=form)


@login_required
@require_POST
def request_remove_record(request: StaffRequest, request_id: int, record_id: int
                          ) -> HttpResponse:
    records_request = records_request_get_for_user(request.user, request_id)
    try:
        records_request_remove_record(actor=request.user, request=records_request,
                                      record_id=record_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The record is removed from the request."))
    return redirect("archive:request", records_request.pk)


def search_query_of(data: QueryDict) -> str:
    """The search page's query string, to come back to it."""
    copy = data.copy()
    for name in ("csrfmiddlewaretoken", "before", "include_warc", "request"):
        copy.pop(name, None)
    return copy.urlencode()
