"""Console pages of the records archive: records, one record's history, the chain."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.archive import signing
from townsquare.archive.forms import RecordFilterForm, RedactForm, RestrictForm
from townsquare.archive.models import (
    ChainHead,
    Checkpoint,
    Record,
    RecordEvent,
    VerificationRun,
    VersionMedia,
)
from townsquare.archive.selectors import (
    DELETED_KINDS,
    archive_organisations,
    can_use_archive,
    is_records_officer,
    media_get_for_user,
    record_get_for_user,
    record_thread,
    records_visible_to,
)
from townsquare.archive.services import (
    record_redact,
    record_restrict,
    versions_in_order,
)
from townsquare.archive.services.media import media_path
from townsquare.archive.services.runs import verification_request
from townsquare.core.http import StaffRequest
from townsquare.core.services import audit_record


def _check_archive_user(request: StaffRequest) -> None:
    if not can_use_archive(request.user):
        raise PermissionDenied


@login_required
def record_list(request: StaffRequest) -> HttpResponse:
    _check_archive_user(request)
    form = RecordFilterForm(request.GET or None,
                            organisations=archive_organisations(request.user))
    records = records_visible_to(request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            query = data["q"]
            records = records.filter(
                Q(source_id__icontains=query) | Q(remote_id__icontains=query)
                | Q(author__icontains=query) | Q(url__icontains=query)
                | Q(account_handle__icontains=query)
            )
        if data["organisation"] is not None:
            records = records.filter(organisation__path__startswith=data["organisation"].path)
        if data["record_type"]:
            records = records.filter(record_type=data["record_type"])
        if data["network"]:
            records = records.filter(network=data["network"])
        if data["deleted"]:
            deleted = Q(pk__in=RecordEvent.objects.filter(kind__in=DELETED_KINDS)
                        .values("record_id"))
            records = records.filter(deleted) if data["deleted"] == "yes" else records.exclude(
                deleted)
    elif form.is_bound:
        records = records.none()  # a filter that cannot be read shows its error, not all
    page = Paginator(records.order_by("-first_captured_at", "-id"), 50).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "archive/list.html",
                  {"form": form, "page": page, "query_string": query.urlencode()})


def _detail_context(request: StaffRequest, record: Record, **forms: Any) -> dict[str, Any]:
    versions = versions_in_order(record)
    links = VersionMedia.objects.filter(version__record=record).select_related("blob")
    media: dict[int, list[Any]] = {}
    for link in links.order_by("position"):
        media.setdefault(link.version_id, []).append(link.blob)
    for version in versions:
        version.media_list = media.get(version.pk, [])  # type: ignore[attr-defined]
    events = (RecordEvent.objects.filter(record=record).select_related("chain_entry")
              .order_by("chain_entry__seq", "pk"))
    officer = is_records_officer(request.user, record.organisation)
    show_content = officer or not record.is_restricted  # type: ignore[attr-defined]
    return {
        "record": record,
        "versions": versions,
        "current": versions[-1] if versions else None,
        "events": events,
        "show_content": show_content,
        "redact_form": forms.get("redact_form") or RedactForm(
            initial={"content": versions[-1].content if versions and show_content else ""}),
        "restrict_form": forms.get("restrict_form") or RestrictForm(),
        "thread": record_thread(request.user, record),
    }


@login_required
def record_detail(request: StaffRequest, record_id: int) -> HttpResponse:
    record = record_get_for_user(request.user, record_id)
    return render(request, "archive/detail.html", _detail_context(request, record))


def _form_error(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@require_POST
def record_redact_view(request: StaffRequest, record_id: int) -> HttpResponse:
    record = record_get_for_user(request.user, record_id)
    form = RedactForm(request.POST)
    if form.is_valid():
        try:
            record_redact(actor=request.user, record=record, **form.cleaned_data)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The redacted version is saved. The original is kept."))
            return redirect("archive:detail", record.pk)
    return render(request, "archive/detail.html",
                  _detail_context(request, record, redact_form=form), status=400)


@login_required
@require_POST
def record_restrict_view(request: StaffRequest, record_id: int) -> HttpResponse:
    record = record_get_for_user(request.user, record_id)
    form = RestrictForm(request.POST)
    if form.is_valid():
        try:
            record_restrict(actor=request.user, record=record, **form.cleaned_data)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Access to this record is restricted."))
            return redirect("archive:detail", record.pk)
    return render(request, "archive/detail.html",
                  _detail_context(request, record, restrict_form=form), status=400)


@login_required
def media_download(request: StaffRequest, sha256: str) -> FileResponse:
    blob = media_get_for_user(request.user, sha256)
    path = media_path(blob.sha256)
    if not path.is_file():
        raise Http404("The media file is missing from the archive")
    audit_record(actor=request.user, action="archive.media_downloaded", target=blob)
    # Always a download, never rendered in the console: the bytes came from outside.
    return FileResponse(path.open("rb"), as_attachment=True, filename=blob.sha256,
                        content_type=blob.mime_type)


@login_required
def chain_status(request: StaffRequest) -> HttpResponse:
    _check_archive_user(request)
    if request.method == "POST":
        verification_request(actor=request.user)
        messages.success(request, _("Verification has started. The result appears here."))
        return redirect("archive:chain")
    head = ChainHead.objects.filter(pk=1).first()
    return render(request, "archive/chain.html", {
        **_run_context(request, VerificationRun.objects.order_by("-requested_at", "-id").first()),
        "head_seq": head.seq if head else 0,
        "checkpoint_count": Checkpoint.objects.count(),
        "last_checkpoint": Checkpoint.objects.order_by("-seq").first(),
        "public_key": signing.public_key_base64(),
        "key_id": signing.key_id(),
    })


def _run_context(request: StaffRequest, run: VerificationRun | None) -> dict[str, Any]:
    ids = {p.get("record_id") for p in (run.problems if run else []) if p.get("record_id")}
    return {
        "run": run,
        "first": run.problems[0] if run and run.problems else None,
        "visible_ids": set(records_visible_to(request.user).filter(pk__in=ids)
                           .values_list("pk", flat=True)),
    }


@login_required
def verification_status(request: StaffRequest, run_id: int) -> HttpResponse:
    """The result area of the chain page, polled by htmx while a run is in progress."""
    _check_archive_user(request)
    run = VerificationRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404("No such verification")
    return render(request, "archive/verification_result.html", _run_context(request, run))
