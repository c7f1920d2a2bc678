"""Console-wide middleware: security headers, user preferences, MFA enforcement."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation

from townsquare.core.request_context import RequestOrigin, reset_origin, set_origin

Handler = Callable[[HttpRequest], HttpResponse]

# No inline script or style anywhere: every script and stylesheet is a file we serve.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        forwarded = (
            request.META.get("HTTP_X_FORWARDED_FOR", "") if settings.USE_X_FORWARDED_HOST else ""
        )
        ip = forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR") or None
        token = set_origin(RequestOrigin(ip, request.META.get("HTTP_USER_AGENT", "")))
        try:
            response = self.get_response(request)
        finally:
            reset_origin(token)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


class UserPreferencesMiddleware:
    """Signed-in staff see the console in their own language and time zone."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        previous_language = translation.get_language()
        if user.is_authenticated:
            language = getattr(user, "language", "") or settings.LANGUAGE_CODE
            translation.activate(language)
            request.LANGUAGE_CODE = language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        response = self.get_response(request)
        if user.is_authenticated:
            response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        timezone.deactivate()
        # The thread goes on to serve others: leave no user's language behind.
        translation.activate(previous_language or settings.LANGUAGE_CODE)
        return response


class RequireMfaMiddleware:
    """Administrators and approvers must set up a second factor before anything else."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/")

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(self.ALLOWED_PREFIXES):
            from townsquare.organisations.selectors import user_needs_mfa_setup

            setup_page = reverse("console:mfa_required")
            # The set-up page itself must stay reachable, or the redirect never ends.
            if request.path != setup_page and user_needs_mfa_setup(user):
                return redirect(setup_page)
        return self.get_response(request)
