"""Console pages of the media library, and the view that serves its files to staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from townsquare.channels.adapters import registry
from townsquare.channels.adapters.base import Network
from townsquare.channels.models import NETWORK_LABELS
from townsquare.channels.selectors import accounts_visible_to
from townsquare.core.http import StaffRequest
from townsquare.media import storage
from townsquare.media.forms import AltTextForm, LibraryFilterForm, UploadForm
from townsquare.media.models import MediaAsset
from townsquare.media.public import sha256_from_token
from townsquare.media.selectors import (
    ALT_TEXT_LANGUAGES,
    asset_get_for_user,
    assets_missing_alt_text,
    assets_visible_to,
)
from townsquare.media.services import (
    LANGUAGE_NAMES,
    can_manage_media,
    inspect_upload_size,
    media_alt_text_update,
    media_archive,
    media_problems_for,
    media_restore,
    media_upload,
)
from townsquare.organisations.models import Organisation
from townsquare.organisations.selectors import organisations_visible_to

LANGUAGE_SHORT = {"en": "EN", "ar": "ع", "zh-hans": "中"}


@dataclass
class UploadOutcome:
    filename: str
    asset: MediaAsset | None = None
    errors: list[str] = field(default_factory=list)


def _manageable_organisations(user: Any) -> QuerySet[Organisation]:
    visible = organisations_visible_to(user).filter(is_active=True)
    ids = [o.pk for o in visible if can_manage_media(user, o)]
    return visible.filter(pk__in=ids).order_by("path")


def _filtered(request: StaffRequest) -> tuple[LibraryFilterForm, QuerySet[MediaAsset]]:
    form = LibraryFilterForm(
        request.GET or None, organisations=organisations_visible_to(request.user).order_by("path")
    )
    assets = assets_visible_to(request.user)
    show_archived = False
    if form.is_valid():
        data = form.cleaned_data
        if data["organisation"] is not None:
            assets = assets.filter(organisation__path__startswith=data["organisation"].path)
        if data["kind"]:
            assets = assets.filter(kind=data["kind"])
        if data["missing_alt_text"]:
            assets = assets_missing_alt_text(assets)
        show_archived = bool(data["archived"])
    if not show_archived:
        assets = assets.filter(is_archived=False)
    return form, assets


@login_required
@require_GET
def library(request: StaffRequest) -> HttpResponse:
    form, assets = _filtered(request)
    page = Paginator(assets, 48).get_page(request.GET.get("page"))
    params = {k: str(v) for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "media/library.html",
        {
            "form": form,
            "page": page,
            "query_string": urlencode(params),
            "can_upload": _manageable_organisations(request.user).exists(),
            # Short marks shown on each card; screen readers get the language's name.
            "languages": [
                (code, LANGUAGE_SHORT.get(code, code), LANGUAGE_NAMES.get(code, code))
                for code in ALT_TEXT_LANGUAGES
            ],
        },
    )


def _upload_one(request: StaffRequest, form: UploadForm, upload: Any) -> UploadOutcome:
    name = str(getattr(upload, "name", "") or "upload")
    outcome = UploadOutcome(filename=name)
    try:
        # The size check comes before reading: an oversized file is never loaded.
        inspect_upload_size(int(upload.size))
        content = upload.read()
        outcome.asset = media_upload(
            user=request.user,
            organisation=form.cleaned_data["organisation"],
            filename=name,
            content=content,
            alt_text=form.alt_text(),
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for code, errors in exc.message_dict.items():
                label = LANGUAGE_NAMES.get(code, code)
                outcome.errors.extend(
                    _("Alt text in %(language)s: %(error)s") % {"language": label, "error": e}
                    for e in errors
                )
        else:
            outcome.errors.extend(exc.messages)
    return outcome


@login_required
def upload(request: StaffRequest) -> HttpResponse:
    organisations = _manageable_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied
    outcomes: list[UploadOutcome] = []
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, organisations=organisations)
        if form.is_valid():
            outcomes = [_upload_one(request, form, f) for f in form.cleaned_data["uploads"]]
            stored = [o for o in outcomes if o.asset is not None]
            if len(outcomes) == 1 and stored:
                asset = stored[0].asset
                assert asset is not None  # noqa: S101
                if asset.already_in_library:
                    messages.info(request, _("This file was already in the library."))
                else:
                    messages.success(request, _("The file is added to the library."))
                return redirect("media:detail", asset.pk)
    else:
        form = UploadForm(organisations=organisations)
    return render(request, "media/upload.html", {"form": form, "outcomes": outcomes})


def _network_checks(user: Any, asset: MediaAsset) -> list[tuple[str, list[str]]]:
    """Problems of the asset on each network the agency holds accounts on."""
    networks = set(
        accounts_visible_to(user)
        .filter(organisation=asset.organisation)
        .values_list("network", flat=True)
    )
    checks = []
    for network in Network:
        if network.value not in networks:
            continue
        try:
            capabilities = registry.adapter_class(network).capabilities
        except (KeyError, ImportError):
            continue
        checks.append((str(NETWORK_LABELS.get(network, network)),
                       media_problems_for(asset, capabilities)))
    return sorted(checks)


def _detail_context(request: StaffRequest, asset: MediaAsset, form: AltTextForm | None) -> dict:
    can_manage = can_manage_media(request.user, asset.organisation)
    if form is None and can_manage:
        stored = asset.alt_text or {}
        form = AltTextForm(
            initial={"alt_en": stored.get("en", ""), "alt_ar": stored.get("ar", ""),
                     "alt_zh_hans": stored.get("zh-hans", "")}
        )
    return {
        "asset": asset,
        "can_manage": can_manage,
        "form": form,
        "alt_texts": [
            (code, LANGUAGE_NAMES[code], (asset.alt_text or {}).get(code, ""))
            for code in ALT_TEXT_LANGUAGES
        ],
        "network_checks": _network_checks(request.user, asset),
    }


@login_required
@require_GET
def detail(request: StaffRequest, asset_id: int) -> HttpResponse:
    asset = asset_get_for_user(request.user, asset_id)
    return render(request, "media/detail.html", _detail_context(request, asset, None))


@login_required
@require_POST
def alt_text(request: StaffRequest, asset_id: int) -> HttpResponse:
    asset = asset_get_for_user(request.user, asset_id)
    if not can_manage_media(request.user, asset.organisation):
        raise PermissionDenied
    form = AltTextForm(request.POST)
    if form.is_valid():
        try:
            media_alt_text_update(user=request.user, asset=asset, alt_text=form.alt_text())
        except ValidationError as exc:
            form.add_alt_text_errors(exc.message_dict if hasattr(exc, "error_dict") else {
                "": exc.messages})
        else:
            messages.success(request, _("The alt text is saved."))
            return redirect("media:detail", asset.pk)
    # What was typed stays in the form, with the errors next to it.
    return render(
        request, "media/detail.html", _detail_context(request, asset, form), status=400
    )


@login_required
@require_POST
def archive(request: StaffRequest, asset_id: int) -> HttpResponse:
    asset = asset_get_for_user(request.user, asset_id)
    if request.POST.get("restore"):
        media_restore(user=request.user, asset=asset)
        messages.success(request, _("The file is back in the library."))
    else:
        media_archive(user=request.user, asset=asset)
        messages.success(
            request,
            _("The file is archived: it is hidden from the library and cannot be added to new "
              "posts. Posts that already use it keep it."),
        )
    return redirect("media:detail", asset.pk)


@login_required
@require_GET
def file(request: StaffRequest, asset_id: int) -> FileResponse:
    """The stored bytes, only to staff who may see the asset, with headers that stop a
    browser from treating them as anything but the stored type."""
    asset = asset_get_for_user(request.user, asset_id)
    try:
        handle = storage.path_for(asset.sha256).open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage") from exc
    response = FileResponse(handle, content_type=asset.mime_type)
    response["Content-Length"] = str(asset.byte_size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=request.GET.get("download") == "1", filename=asset.original_filename
    ) or "inline"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, max-age=3600"
    response["ETag"] = f'"{asset.sha256}"'
    return response


@require_GET
def public_file(request: HttpRequest, token: str) -> FileResponse:
    """A file a network fetches from a signed, expiring link (see media/public.py)."""
    sha256 = sha256_from_token(token)
    asset = (
        MediaAsset.objects.filter(sha256=sha256, is_archived=False).first() if sha256 else None
    )
    if asset is None:
        raise Http404("This link is not valid or has expired")
    try:
        handle = storage.path_for(asset.sha256).open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage") from exc
    response = FileResponse(handle, content_type=asset.mime_type)
    response["Content-Length"] = str(asset.byte_size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=3600"
    return response
