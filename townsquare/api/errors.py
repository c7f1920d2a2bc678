"""One error format for every API answer that is not a success.

``{"error": {"code": "...", "message": "...", "details": [...]}}``
"""

from __future__ import annotations

import logging
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger(__name__)


class ErrorDetail(Schema):
    loc: list[str | int] = []
    message: str
    type: str = ""


class ErrorBody(Schema):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorOut(Schema):
    error: ErrorBody


class ApiError(Exception):
    """Raised by endpoints for an answer in the error format."""

    def __init__(
        self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []


def error_payload(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or []}}


def error_response(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> JsonResponse:
    return JsonResponse(error_payload(code, message, details), status=status)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def _django_validation_details(exc: DjangoValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            {"loc": ["body", field], "message": str(message), "type": "invalid"}
            for field, errors in exc.message_dict.items()
            for message in errors
        ]
    return [{"loc": ["body"], "message": str(m), "type": "invalid"} for m in exc.messages]


def _ninja_validation_details(exc: NinjaValidationError) -> list[dict[str, Any]]:
    details = []
    for error in exc.errors:
        loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
        details.append({"loc": loc, "message": str(error.get("msg", "")),
                        "type": str(error.get("type", ""))})
    return details


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, code: str, message: str,
                details: list[dict[str, Any]] | None = None) -> HttpResponse:
        return api.create_response(request, error_payload(code, message, details), status=status)

    @api.exception_handler(ApiError)
    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return respond(request, exc.status, exc.code, exc.message, exc.details)

    @api.exception_handler(NinjaValidationError)
    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return respond(request, 422, "validation_error", _("The request is not valid."),
                       _ninja_validation_details(exc))

    @api.exception_handler(DjangoValidationError)
    def on_service_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return respond(request, 422, "validation_error", _("The request is not valid."),
                       _django_validation_details(exc))

    @api.exception_handler(AuthenticationError)
    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(request, 401, "unauthenticated",
                           _("A valid API token is required (Authorization: Bearer …)."))
        response["WWW-Authenticate"] = 'Bearer realm="townsquare"'
        return response

    @api.exception_handler(Throttled)
    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return respond(request, 429, "rate_limited", _("Too many requests. Try again later."))

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        return respond(request, exc.status_code, code, str(exc))

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, "not_found", _("Not found."))

    @api.exception_handler(PermissionDenied)
    def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, "forbidden", _("You may not do this."))

    @api.exception_handler(Exception)
    def on_server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error("API error on %s %s", request.method, request.path, exc_info=exc)
        return respond(request, 500, "server_error", _("Something went wrong on our side."))


def json_errors(view: Any) -> Any:
    """Wrap a URL view so Django's own plain answers (405) come in the error format."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return not_found_view(request)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            allowed = response.get("Allow", "")
            converted = error_response(405, "method_not_allowed",
                                       _("This method is not allowed here."))
            if allowed:
                converted["Allow"] = allowed
            return converted
        return response

    return wrapped


@csrf_exempt
def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return error_response(404, "not_found", _("There is no such API address."))
