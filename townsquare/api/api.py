"""The REST API: django-ninja, thin over services and selectors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI
from ninja.openapi.docs import DocsBase
from ninja.throttling import AuthRateThrottle

from townsquare.api.endpoints import directory, health, organisations, people
from townsquare.api.endpoints import publishing as publishing_endpoints
from townsquare.api.endpoints import surveys as survey_endpoints
from townsquare.api.errors import install_error_handlers, json_errors, not_found_view
from townsquare.archive import api as archive_api

RATE_LIMIT = "1000/m"


class LocalSwagger(DocsBase):
    """Swagger UI from ninja's bundled files, started by a static script (no inline code)."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        return render(request, "api/docs.html",
                      {"api": api, "openapi_url": self.get_openapi_url(api, kwargs)})


class TownsquareApi(NinjaAPI):
    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = json_errors(pattern.callback)
        # Unknown addresses under /api/v1/ answer in the error format too.
        urls.append(re_path(r"^.*$", not_found_view, name="not-found"))
        return urls


api = TownsquareApi(
    title="Townsquare API",
    version="1",
    description=(
        "Personal access tokens (console → Preferences → API tokens) go in "
        "`Authorization: Bearer tsq_…`. Lists use cursor pagination: pass `next_cursor` "
        "as `cursor`. Errors: `{\"error\": {\"code\", \"message\", \"details\"}}`."
    ),
    urls_namespace="api",
    docs=LocalSwagger(),
    throttle=[AuthRateThrottle(RATE_LIMIT)],
)
install_error_handlers(api)
api.add_router("", people.router)
api.add_router("", organisations.router)
api.add_router("", directory.router)
api.add_router("", health.router)
api.add_router("", publishing_endpoints.router)
api.add_router("", survey_endpoints.router)
api.add_router("", archive_api.router)
