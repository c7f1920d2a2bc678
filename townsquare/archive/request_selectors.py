"""Reads of records requests and export packages, scoped like the rest of the archive:
another agency's request or package is reported as missing (404)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404

from townsquare.archive.request_models import ExportPackage, RecordsRequest
from townsquare.archive.selectors import archive_organisations
from townsquare.organisations.models import Organisation, Role, User


def records_requests_visible_to(user: Any) -> QuerySet[RecordsRequest]:
    return (RecordsRequest.objects.filter(organisation__in=archive_organisations(user))
            .select_related("organisation", "officer")
            .annotate(record_count=Count("links", distinct=True)))


def records_request_get_for_user(user: Any, request_id: Any) -> RecordsRequest:
    try:
        return records_requests_visible_to(user).get(pk=int(request_id))
    except (RecordsRequest.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such records request") from exc


def export_packages_visible_to(user: Any) -> QuerySet[ExportPackage]:
    return (ExportPackage.objects.filter(organisation__in=archive_organisations(user))
            .select_related("organisation", "request", "created_by"))


def export_package_get_for_user(user: Any, package_id: Any) -> ExportPackage:
    try:
        return export_packages_visible_to(user).get(pk=int(package_id))
    except (ExportPackage.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such export package") from exc


def records_officers_for(organisations: QuerySet[Organisation]) -> QuerySet[User]:
    """Records officers of these organisations or of one above them."""
    paths = list(organisations.values_list("path", flat=True))
    ancestors = {path[:end + 1] for path in paths for end, char in enumerate(path) if char == "/"}
    return (User.objects.filter(memberships__role=Role.RECORDS_OFFICER, is_active=True,
                                memberships__organisation__path__in=ancestors | set(paths))
            .distinct().order_by("first_name", "username"))
