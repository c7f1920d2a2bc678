"""Request types for views behind login_required, so type checks know who is asking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from townsquare.organisations.models import User


class StaffRequest(HttpRequest):
    """A request from a signed-in staff member (views decorated with login_required)."""

    user: User
    htmx: HtmxDetails
