"""Console full-text search of the archive, with filters and saved searches."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.archive.forms import SaveSearchForm, SearchForm
from townsquare.archive.selectors import (
    SearchPage,
    archive_organisations,
    can_use_archive,
    records_search,
    saved_searches_of,
)
from townsquare.archive.services.holds import saved_search_create, saved_search_delete
from townsquare.core.http import StaffRequest


def _check_archive_user(request: StaffRequest) -> None:
    if not can_use_archive(request.user):
        raise PermissionDenied


def _before(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
def search(request: StaffRequest) -> HttpResponse:
    _check_archive_user(request)
    organisations = archive_organisations(request.user)
    bound = "q" in request.GET
    form = SearchForm(request.GET if bound else None, organisations=organisations)
    results: SearchPage | None = None
    status = 200
    if bound and form.is_valid():
        data = form.cleaned_data
        try:
            results = records_search(request.user, data["q"], data,
                                     before=_before(request.GET.get("before")))
        except ValidationError as exc:
            form.add_error("q", exc.messages)
            status = 400
    elif bound:
        status = 400
    next_query = ""
    if results is not None and results.next_before is not None:
        params = request.GET.copy()
        params["before"] = str(results.next_before)
        next_query = params.urlencode()
    return render(request, "archive/search.html", {
        "form": form,
        "results": results,
        "next_query": next_query,
        "save_form": SaveSearchForm(),
        "saved": [(s, saved_search_url(s.query, s.filters))
                  for s in saved_searches_of(request.user)],
        "current_query": _query_without_paging(request.GET),
    }, status=status)


def _query_without_paging(params: QueryDict) -> str:
    copy = params.copy()
    copy.pop("before", None)
    return copy.urlencode()


@login_required
@require_POST
def search_save(request: StaffRequest) -> HttpResponse:
    _check_archive_user(request)
    save_form = SaveSearchForm(request.POST)
    search_form = SearchForm(QueryDict(request.POST.get("search", "")),
                             organisations=archive_organisations(request.user))
    if save_form.is_valid() and search_form.is_valid():
        try:
            saved_search_create(user=request.user, name=save_form.cleaned_data["name"],
                                query=search_form.cleaned_data["q"],
                                filters=search_form.raw_filters())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The search is saved."))
    elif not search_form.is_valid():
        messages.error(request, _("Run a valid search before saving it."))
    else:
        messages.error(request, _("Give the saved search a name."))
    return redirect(reverse("archive:search") + "?" + request.POST.get("search", ""))


@login_required
@require_POST
def search_delete(request: StaffRequest, saved_id: int) -> HttpResponse:
    saved = saved_searches_of(request.user).filter(pk=saved_id).first()
    if saved is None:
        raise Http404("No such saved search")
    saved_search_delete(user=request.user, saved=saved)
    messages.success(request, _("The saved search is deleted."))
    return redirect("archive:search")


def saved_search_url(query: str, filters: dict[str, str]) -> str:
    params = QueryDict(mutable=True)
    params["q"] = query
    for name, value in filters.items():
        params[name] = value
    return reverse("archive:search") + "?" + params.urlencode()
