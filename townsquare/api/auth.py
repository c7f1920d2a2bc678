"""Bearer authentication with personal access tokens, and per-endpoint scopes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from townsquare.api.errors import ApiError
from townsquare.api.models import ApiToken
from townsquare.api.services import api_token_find, api_token_touch


def _unauthenticated(message: str) -> ApiError:
    return ApiError(401, "invalid_token", message)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer tsq_…``; ``scope`` is what the endpoint needs."""

    def __init__(self, scope: str | None = None) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = api_token_find(token)
        if api_token is None:
            raise _unauthenticated(_("The API token is not valid."))
        if api_token.revoked_at is not None:
            raise _unauthenticated(_("The API token has been revoked."))
        if api_token.is_expired:
            raise _unauthenticated(_("The API token has expired."))
        user = api_token.user
        if not user.is_active:
            raise _unauthenticated(_("The account of this API token is deactivated."))
        if self.scope and self.scope not in (api_token.scopes or []):
            raise ApiError(
                403, "insufficient_scope",
                _("The API token lacks the scope %(scope)s.") % {"scope": self.scope},
            )
        api_token_touch(token=api_token)
        request.api_token = api_token  # type: ignore[attr-defined]
        request.user = user
        return user


def token_of(request: HttpRequest) -> ApiToken:
    return request.api_token  # type: ignore[attr-defined]
