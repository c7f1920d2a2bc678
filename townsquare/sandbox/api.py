"""The Mastodon client API subset the Mastodon adapter uses, served by the sandbox.

Bearer-token authentication on every call (so CSRF does not apply to these views),
Mastodon's error shape ``{"error": "..."}``: 401 for a bad token, 403 for a missing
scope, 404 for unknown ids, 422 for invalid input.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from townsquare.sandbox import serializers, services
from townsquare.sandbox.models import (
    SandboxAccount,
    SandboxMedia,
    SandboxNotification,
    SandboxStatus,
    SandboxToken,
    Visibility,
)

MAX_UPLOAD_BYTES = 16 * 1024 * 1024
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
View = Callable[..., HttpResponse]


class NotFound(Exception):
    pass


def error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def sandbox_base(request: HttpRequest) -> str:
    """Absolute address of the sandbox root, ending in a slash."""
    return request.build_absolute_uri(reverse("sandbox:timeline"))


def api_view(*methods: str, auth: bool = True) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                return error("Method not allowed", 405)
            if auth:
                token = _token(request)
                if token is None:
                    return error("The access token is invalid", 401)
                needed = "write" if request.method in WRITE_METHODS else "read"
                if needed not in token.scopes.split():
                    return error("This action is outside the authorized scopes", 403)
                request.sandbox_account = token.account  # type: ignore[attr-defined]
            try:
                return view(request, *args, **kwargs)
            except NotFound:
                return error("Record not found", 404)
            except services.SandboxInvalid as exc:
                return error(str(exc), 422)

        return wrapper

    return decorate


def _token(request: HttpRequest) -> SandboxToken | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return (
        SandboxToken.objects.select_related("account")
        .filter(token_hash=services.token_hash(value.strip()), revoked_at__isnull=True)
        .first()
    )


def _me(request: HttpRequest) -> SandboxAccount:
    account: SandboxAccount = request.sandbox_account  # type: ignore[attr-defined]
    return account


def _params(request: HttpRequest) -> QueryDict:
    """Form, multipart or JSON bodies, as Mastodon accepts all three."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise services.SandboxInvalid("The request body is not valid JSON") from None
        params = QueryDict(mutable=True)
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(value, list):
                    params.setlist(f"{key}[]", [str(v) for v in value])
                elif value is not None:
                    params[key] = str(value) if not isinstance(value, bool) else str(value).lower()
        return params
    if request.method == "POST":
        return request.POST
    return QueryDict(request.body, encoding="utf-8")


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value) if value not in (None, "") else default
    except ValueError:
        raise services.SandboxInvalid("Validation failed: a number was expected") from None
    return max(low, min(high, number))


def _id(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise services.SandboxInvalid("Validation failed: ids are numbers")
    return int(value)


def _pk(value: str) -> int:
    """An id from the path: anything but a number is simply not found."""
    if not value.isdigit():
        raise NotFound
    return int(value)


def visible_statuses(viewer: SandboxAccount) -> QuerySet[SandboxStatus]:
    return SandboxStatus.objects.filter(deleted_at__isnull=True).filter(
        Q(visibility__in=(Visibility.PUBLIC, Visibility.UNLISTED))
        | Q(account=viewer)
        | Q(mentions=viewer)
    ).distinct()


def _status_for(viewer: SandboxAccount, status_id: str, *, own: bool = False) -> SandboxStatus:
    statuses = (
        SandboxStatus.objects.filter(deleted_at__isnull=True, account=viewer)
        if own
        else visible_statuses(viewer)
    )
    status = statuses.select_related("account", "in_reply_to").filter(pk=_pk(status_id)).first()
    if status is None:
        raise NotFound
    return status


# --- endpoints -------------------------------------------------------------------------


@api_view("GET", auth=False)
def instance_v1(request: HttpRequest) -> HttpResponse:
    return JsonResponse(serializers.instance_v1_json(sandbox_base(request), request.get_host()))


@api_view("GET", auth=False)
def instance_v2(request: HttpRequest) -> HttpResponse:
    return JsonResponse(serializers.instance_v2_json(sandbox_base(request), request.get_host()))


@api_view("GET")
def verify_credentials(request: HttpRequest) -> HttpResponse:
    return JsonResponse(serializers.account_json(_me(request), sandbox_base(request)))


@api_view("GET")
def account_detail(request: HttpRequest, account_id: str) -> HttpResponse:
    account = SandboxAccount.objects.filter(pk=_pk(account_id)).first()
    if account is None:
        raise NotFound
    return JsonResponse(serializers.account_json(account, sandbox_base(request)))


@api_view("GET")
def notifications(request: HttpRequest) -> HttpResponse:
    query = request.GET
    rows = SandboxNotification.objects.filter(
        account=_me(request), status__deleted_at__isnull=True
    ).select_related("from_account", "status__account", "status__in_reply_to")
    if types := query.getlist("types[]") or query.getlist("types"):
        rows = rows.filter(type__in=types)
    if excluded := query.getlist("exclude_types[]") or query.getlist("exclude_types"):
        rows = rows.exclude(type__in=excluded)
    limit = _int(query.get("limit"), 40, 1, 80)
    if (max_id := _id(query.get("max_id"))) is not None:
        rows = rows.filter(pk__lt=max_id)
    if (since_id := _id(query.get("since_id"))) is not None:
        rows = rows.filter(pk__gt=since_id)
    if (min_id := _id(query.get("min_id"))) is not None:
        page = list(rows.filter(pk__gt=min_id).order_by("id")[:limit])[::-1]
    else:
        page = list(rows.order_by("-id")[:limit])
    base = sandbox_base(request)
    response = JsonResponse([serializers.notification_json(n, base) for n in page], safe=False)
    if page:
        link = request.build_absolute_uri(request.path)
        keep = {k: v for k, v in query.lists() if k not in ("max_id", "min_id", "since_id")}
        older = urlencode({**keep, "max_id": page[-1].pk}, doseq=True)
        newer = urlencode({**keep, "min_id": page[0].pk}, doseq=True)
        response["Link"] = f'<{link}?{older}>; rel="next", <{link}?{newer}>; rel="prev"'
    return response


@api_view("POST")
def statuses(request: HttpRequest) -> HttpResponse:
    me, params = _me(request), _params(request)
    reply_to = None
    if reply_id := str(params.get("in_reply_to_id") or ""):
        reply_to = _status_for(me, reply_id)
    status, _ = services.status_create(
        account=me,
        text=str(params.get("status", "")),
        visibility=params.get("visibility") or Visibility.PUBLIC,
        in_reply_to=reply_to,
        media_ids=params.getlist("media_ids[]") or params.getlist("media_ids"),
        language=params.get("language", ""),
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    return JsonResponse(serializers.status_json(status, sandbox_base(request)))


@api_view("GET", "PUT", "DELETE")
def status_detail(request: HttpRequest, status_id: str) -> HttpResponse:
    me, base = _me(request), sandbox_base(request)
    if request.method == "GET":
        return JsonResponse(serializers.status_json(_status_for(me, status_id), base))
    status = _status_for(me, status_id, own=True)
    if request.method == "PUT":
        params = _params(request)
        if "status" not in params:
            raise services.SandboxInvalid("Validation failed: Text can't be blank")
        services.status_edit(status=status, text=str(params["status"]))
        return JsonResponse(serializers.status_json(status, base))
    body = serializers.status_json(status, base, with_source=True)
    services.status_delete(status=status)
    return JsonResponse(body)


@api_view("POST")
def media_upload(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        raise services.SandboxInvalid("Validation failed: File can't be blank")
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise services.SandboxInvalid("Validation failed: File file size must be less than 16 MB")
    media = services.media_create(
        account=_me(request),
        content=upload.read(),
        mime_type=upload.content_type or "",
        description=request.POST.get("description", ""),
        filename=(upload.name or "upload").rsplit(".", 1)[0],
    )
    return JsonResponse(serializers.media_json(media, sandbox_base(request)))


@api_view("GET")
def media_detail(request: HttpRequest, media_id: str) -> HttpResponse:
    media = SandboxMedia.objects.filter(account=_me(request), pk=_pk(media_id)).first()
    if media is None:
        raise NotFound
    return JsonResponse(serializers.media_json(media, sandbox_base(request)))


@api_view("GET")
def search(request: HttpRequest) -> HttpResponse:
    query, base = request.GET, sandbox_base(request)
    words = query.get("q", "").strip()
    kind = query.get("type", "")
    limit = _int(query.get("limit"), 20, 1, 40)
    offset = _int(query.get("offset"), 0, 0, 10_000)
    result: dict[str, list[Any]] = {"accounts": [], "statuses": [], "hashtags": []}
    if words and kind in ("", "statuses"):
        found = (
            SandboxStatus.objects.filter(
                deleted_at__isnull=True, visibility=Visibility.PUBLIC, text__icontains=words
            )
            .select_related("account", "in_reply_to")
            .order_by("-id")[offset : offset + limit]
        )
        result["statuses"] = [serializers.status_json(s, base) for s in found]
    if words and kind in ("", "accounts"):
        accounts = SandboxAccount.objects.filter(
            Q(username__icontains=words.lstrip("@")) | Q(display_name__icontains=words)
        )[offset : offset + limit]
        result["accounts"] = [serializers.account_json(a, base) for a in accounts]
    return JsonResponse(result)


@api_view("POST", auth=False)
def apps(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    redirect_uris = " ".join(
        params.getlist("redirect_uris[]") or params.get("redirect_uris", "").split()
    )
    for uri in redirect_uris.split():
        if uri != "urn:ietf:wg:oauth:2.0:oob" and urlsplit(uri).scheme not in ("http", "https"):
            raise services.SandboxInvalid(
                "Validation failed: Redirect URI must be an absolute URI."
            )
    if not redirect_uris:
        raise services.SandboxInvalid("Validation failed: Redirect URI can't be blank")
    registered = services.oauth_app_register(
        name=params.get("client_name", ""),
        redirect_uris=redirect_uris,
        scopes=params.get("scopes") or "read write",
    )
    app = registered.app
    return JsonResponse(
        {
            "id": str(app.pk),
            "name": app.name,
            "website": params.get("website") or None,
            "scopes": app.scopes.split(),
            "redirect_uri": app.redirect_uris,
            "redirect_uris": app.redirect_uris.split(),
            "client_id": app.client_id,
            "client_secret": registered.client_secret,
            "client_secret_expires_at": 0,
        }
    )
