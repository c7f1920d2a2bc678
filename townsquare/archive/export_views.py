"""Console pages of export packages: start one, follow its progress, download it."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.archive.forms import SearchForm
from townsquare.archive.request_forms import ExportForm
from townsquare.archive.request_models import OPEN_STATUSES, ExportPackage, PackageState
from townsquare.archive.request_selectors import (
    export_package_get_for_user,
    export_packages_visible_to,
    records_request_get_for_user,
    records_requests_visible_to,
)
from townsquare.archive.request_views import search_query_of
from townsquare.archive.search import parse_query
from townsquare.archive.selectors import (
    archive_organisations,
    can_use_archive,
    is_records_officer,
)
from townsquare.archive.services.exports import export_package_download, export_package_start
from townsquare.core.http import StaffRequest


def _check_archive_user(request: StaffRequest) -> None:
    if not can_use_archive(request.user):
        raise PermissionDenied


@login_required
def package_list(request: StaffRequest) -> HttpResponse:
    _check_archive_user(request)
    page = Paginator(export_packages_visible_to(request.user), 25).get_page(
        request.GET.get("page"))
    return render(request, "archive/packages.html", {"page": page})


@login_required
def search_use(request: StaffRequest) -> HttpResponse:
    """From the search page: export the results, or add them to an open request."""
    _check_archive_user(request)
    organisations = archive_organisations(request.user)
    data = request.POST if request.method == "POST" else request.GET
    search_form = SearchForm(data, organisations=organisations)
    export_form = ExportForm(request.POST or None)
    status = 200
    if search_form.is_valid():
        try:
            parse_query(search_form.cleaned_data["q"])
        except ValidationError as exc:
            search_form.add_error("q", exc.messages)
    if not search_form.is_valid():
        status = 400
    elif request.method == "POST" and export_form.is_valid():
        organisation = search_form.cleaned_data["organisation"]
        if organisation is None and organisations.count() == 1:
            organisation = organisations.get()
        if organisation is None:
            search_form.add_error("organisation", _("Choose the organisation whose records "
                                                    "are exported."))
            status = 400
        else:
            try:
                package = export_package_start(
                    actor=request.user, organisation=organisation,
                    query=search_form.cleaned_data["q"], filters=search_form.raw_filters(),
                    include_warc=export_form.cleaned_data["include_warc"])
            except ValidationError as exc:
                search_form.add_error(None, exc.messages)
                status = 400
            except PermissionDenied:
                search_form.add_error(None, _("Only a records officer of the organisation "
                                              "can export its records."))
                status = 403
            else:
                # No flash message: the package page shows the build's progress itself,
                # and a "being built" notice would stay on it after the package is ready.
                return redirect("archive:package", package.pk)
    return render(request, "archive/search_use.html", {
        "search_form": search_form, "export_form": export_form,
        "query_string": search_query_of(data),
        "open_requests": records_requests_visible_to(request.user).filter(
            status__in=OPEN_STATUSES),
    }, status=status)


@login_required
@require_POST
def request_export(request: StaffRequest, request_id: int) -> HttpResponse:
    records_request = records_request_get_for_user(request.user, request_id)
    form = ExportForm(request.POST)
    form.is_valid()
    try:
        package = export_package_start(actor=request.user, request=records_request,
                                       include_warc=form.cleaned_data.get("include_warc", False))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("archive:request", records_request.pk)
    return redirect("archive:package", package.pk)


@login_required
def package_detail(request: StaffRequest, package_id: int) -> HttpResponse:
    package = export_package_get_for_user(request.user, package_id)
    return render(request, "archive/package.html", _package_context(request, package))


@login_required
def package_status(request: StaffRequest, package_id: int) -> HttpResponse:
    """The progress area of the package page, polled by htmx until the package is done."""
    package = export_package_get_for_user(request.user, package_id)
    return render(request, "archive/package_status.html", _package_context(request, package))


def _package_context(request: StaffRequest, package: ExportPackage) -> dict[str, Any]:
    return {"package": package,
            "can_download": is_records_officer(request.user, package.organisation)}


@login_required
def package_download(request: StaffRequest, package_id: int) -> FileResponse:
    package = export_package_get_for_user(request.user, package_id)
    if package.state != PackageState.COMPLETE:
        raise Http404("This package is not ready")
    try:
        path = export_package_download(actor=request.user, package=package)
    except ValidationError as exc:
        raise Http404("The package file is missing") from exc
    # Only safe characters of the reference reach the file name (no controls, no bidi).
    reference = re.sub(r"[^A-Za-z0-9._-]+", "-", package.request.reference if package.request
                       else "export").strip("-.") or "export"
    name = f"records-{reference[:60]}-{package.pk}.zip"
    return FileResponse(path.open("rb"), as_attachment=True, filename=name,
                        content_type="application/zip")
