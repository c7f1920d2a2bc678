"""Pages of the sandbox: its public timeline, media files and the OAuth consent screen."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from townsquare.sandbox import services
from townsquare.sandbox.models import (
    SandboxAccount,
    SandboxMedia,
    SandboxOAuthApp,
    SandboxStatus,
    Visibility,
)

INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication "
    "included, or unsupported authentication method."
)


@require_GET
def timeline(request: HttpRequest) -> HttpResponse:
    """Everything public on the sandbox, newest first: what agencies publish and what
    citizens say to them."""
    statuses = (
        SandboxStatus.objects.filter(
            deleted_at__isnull=True, visibility__in=(Visibility.PUBLIC, Visibility.UNLISTED)
        )
        .select_related("account", "in_reply_to__account")
        .prefetch_related("media")
        .order_by("-id")
    )
    show = request.GET.get("show", "")
    if show == "agencies":
        statuses = statuses.filter(account__is_agency=True)
    elif show == "citizens":
        statuses = statuses.filter(account__is_agency=False)
    page = Paginator(statuses, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "sandbox/timeline.html",
        {
            "page_obj": page,
            "show": show,
            "query_string": urlencode({"show": show}) if show else "",
            "agencies": SandboxAccount.objects.filter(is_agency=True).order_by("display_name"),
        },
    )


@require_GET
def media_file(request: HttpRequest, media_id: int) -> FileResponse:
    media = SandboxMedia.objects.filter(pk=media_id).first()
    if media is None or media.mime_type not in services.MEDIA_TYPES:
        raise Http404
    response = FileResponse(media.file.open("rb"), content_type=media.mime_type)
    response["Content-Disposition"] = "inline"
    return response


@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """The sandbox's consent screen: no sign-in, pick the agency account to connect."""
    source = request.POST if request.method == "POST" else request.GET
    app = SandboxOAuthApp.objects.filter(client_id=source.get("client_id", "")).first()
    redirect_uri = source.get("redirect_uri", "")
    if app is None or redirect_uri not in app.redirect_uris.split():
        return render(
            request,
            "sandbox/authorize.html",
            {"problem": _("Unknown application or redirect address.")},
            status=400,
        )
    fields = {
        key: source.get(key, "")
        for key in ("client_id", "redirect_uri", "scope", "state", "code_challenge",
                    "code_challenge_method")
    }
    agencies = SandboxAccount.objects.filter(is_agency=True).order_by("display_name")
    if request.method == "POST":
        account = agencies.filter(pk=source.get("account") or 0).first()
        if account is None:
            problem = _("Choose the account to connect.")
        else:
            try:
                code = services.oauth_code_issue(
                    app=app,
                    account=account,
                    redirect_uri=redirect_uri,
                    scopes=fields["scope"] or app.scopes,
                    code_challenge=fields["code_challenge"],
                    code_challenge_method=fields["code_challenge_method"],
                )
            except services.SandboxInvalid as exc:
                problem = str(exc)
            else:
                query = {"code": code} | ({"state": fields["state"]} if fields["state"] else {})
                separator = "&" if "?" in redirect_uri else "?"
                # redirect_uri is one the app registered, so this is no open redirect.
                return redirect(f"{redirect_uri}{separator}{urlencode(query)}")
    else:
        problem = ""
    return render(
        request,
        "sandbox/authorize.html",
        {"app": app, "fields": fields, "agencies": agencies, "problem": problem},
    )


@csrf_exempt  # called server to server by the OAuth client, authenticated by its secret
@require_POST
def token(request: HttpRequest) -> JsonResponse:
    params = request.POST
    if params.get("grant_type") != "authorization_code":
        return JsonResponse(
            {"error": "unsupported_grant_type",
             "error_description": "The authorization grant type is not supported."},
            status=400,
        )
    try:
        access_token, scopes = services.oauth_code_exchange(
            client_id=params.get("client_id", ""),
            client_secret=params.get("client_secret", ""),
            code=params.get("code", ""),
            redirect_uri=params.get("redirect_uri", ""),
            code_verifier=params.get("code_verifier", ""),
        )
    except PermissionError:
        return JsonResponse(
            {"error": "invalid_client", "error_description": INVALID_CLIENT}, status=401
        )
    except services.SandboxInvalid:
        return JsonResponse({"error": "invalid_grant", "error_description": INVALID_GRANT},
                            status=400)
    return JsonResponse(
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "scope": scopes,
            "created_at": int(timezone.now().timestamp()),
        }
    )
