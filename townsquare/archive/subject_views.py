"""Console pages of data-subject requests: the list, opening one, its result."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.archive.selectors import (
    archive_organisations,
    can_use_archive,
    subject_request_get_for_user,
    subject_requests_visible_to,
)
from townsquare.archive.services.subjects import (
    subject_access_retry,
    subject_erase,
    subject_export_downloaded,
    subject_export_path,
    subject_find,
    subject_request_open,
)
from townsquare.archive.subject_forms import SubjectRequestForm
from townsquare.archive.subject_models import SubjectRequestKind, SubjectRequestStatus
from townsquare.core.http import StaffRequest


def _check_archive_user(request: StaffRequest) -> None:
    if not can_use_archive(request.user):
        raise PermissionDenied


@login_required
def subject_list(request: StaffRequest) -> HttpResponse:
    _check_archive_user(request)
    page = Paginator(subject_requests_visible_to(request.user), 25).get_page(
        request.GET.get("page"))
    return render(request, "archive/subjects.html", {"page": page, "now": timezone.now()})


@login_required
def subject_new(request: StaffRequest) -> HttpResponse:
    _check_archive_user(request)
    form = SubjectRequestForm(request.POST or None,
                              organisations=archive_organisations(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            subject = subject_request_open(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(request, _("The request is recorded."))
            return redirect("archive:subject", subject.pk)
    return render(request, "archive/subject_new.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
def subject_detail(request: StaffRequest, subject_id: int) -> HttpResponse:
    subject = subject_request_get_for_user(request.user, subject_id)
    # Before an erasure is carried out, show what it would touch.
    preview = (subject_find(subject) if subject.kind == SubjectRequestKind.ERASURE
               and subject.status != SubjectRequestStatus.COMPLETED else None)
    return render(request, "archive/subject_detail.html", {
        "subject": subject, "preview": preview, "now": timezone.now(),
        "counts": preview.counts() if preview else subject.summary.get("counts", {}),
    })


@login_required
def subject_status(request: StaffRequest, subject_id: int) -> HttpResponse:
    """The status area, polled by htmx while an export is being built."""
    subject = subject_request_get_for_user(request.user, subject_id)
    return render(request, "archive/subject_status.html", {"subject": subject})


@login_required
@require_POST
def subject_erase_view(request: StaffRequest, subject_id: int) -> HttpResponse:
    subject = subject_request_get_for_user(request.user, subject_id)
    try:
        subject_erase(actor=request.user, request=subject)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The person is erased from the live application. Their "
                                    "archive records are kept with access restricted."))
    return redirect("archive:subject", subject.pk)


@login_required
@require_POST
def subject_retry(request: StaffRequest, subject_id: int) -> HttpResponse:
    subject = subject_request_get_for_user(request.user, subject_id)
    try:
        subject_access_retry(actor=request.user, request=subject)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The export is being built again."))
    return redirect("archive:subject", subject.pk)


@login_required
def subject_download(request: StaffRequest, subject_id: int) -> FileResponse:
    subject = subject_request_get_for_user(request.user, subject_id)
    if subject.status != SubjectRequestStatus.COMPLETED or not subject.export_name:
        raise Http404("The export is not ready")
    path = subject_export_path(subject)
    if not path.is_file():
        raise Http404("The export file is missing")
    subject_export_downloaded(actor=request.user, request=subject)
    return FileResponse(path.open("rb"), as_attachment=True, filename=subject.export_name,
                        content_type="application/zip")
