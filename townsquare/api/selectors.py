"""Reads of API tokens: a user only ever sees their own."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from townsquare.api.models import ApiToken


def api_tokens_of(user: Any) -> QuerySet[ApiToken]:
    if not getattr(user, "is_authenticated", False):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user)


def api_token_get_for_user(user: Any, token_id: Any) -> ApiToken:
    try:
        return api_tokens_of(user).get(pk=int(token_id))
    except (ApiToken.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such token") from exc


def api_tokens_expiring(
    *, now: dt.datetime | None = None, within_days: int = 7
) -> QuerySet[ApiToken]:
    """Usable tokens that expire within ``within_days`` and whose owner was not told yet."""
    now = now or timezone.now()
    return ApiToken.objects.filter(
        revoked_at__isnull=True,
        expiry_notified_at__isnull=True,
        expires_at__gt=now,
        expires_at__lte=now + dt.timedelta(days=within_days),
        user__is_active=True,
    ).select_related("user")
