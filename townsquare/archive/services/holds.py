"""Legal holds (which block disposition) and saved searches.

A hold covers records of its organisation (and those below) that match a search, belong
to an account, or are listed one by one (a case). Search holds are evaluated when
disposition is attempted, so a record captured after the hold was placed is covered too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.archive.models import HoldKind, LegalHold, Record, SavedSearch
from townsquare.archive.search import parse_query
from townsquare.archive.services.records import _clean_text, check_can_manage_archive
from townsquare.core.services import audit_record
from townsquare.organisations.models import Organisation

if TYPE_CHECKING:
    from townsquare.organisations.models import User

MAX_CASE_RECORDS = 10_000


def clean_filters(organisation: Organisation, filters: dict[str, Any]) -> dict[str, Any]:
    """Saved filters (strings, as the search form takes them) cleaned by the search form."""
    from townsquare.archive.forms import SearchForm

    subtree = Organisation.objects.filter(path__startswith=organisation.path)
    form = SearchForm({"q": "x", **{k: v for k, v in filters.items() if k != "q"}},
                      organisations=subtree)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(str(e) for e in errors)}"
                             for name, errors in form.errors.items())
        raise ValidationError({"filters": _("The search filters are not valid: %(problems)s")
                               % {"problems": problems}})
    return {k: v for k, v in form.cleaned_data.items() if k != "q"}


def legal_hold_place(
    *, actor: User, organisation: Organisation, name: str, reason: str, kind: str,
    query: str = "", filters: dict[str, Any] | None = None, account_handle: str = "",
    records: Iterable[Record] = (),
) -> LegalHold:
    check_can_manage_archive(actor, organisation)
    name = _clean_text(name, field="name", max_length=200, required=True)
    reason = _clean_text(reason, field="reason", max_length=2000, required=True)
    filters = {k: str(v) for k, v in (filters or {}).items() if v not in (None, "")}
    records = list(records)
    if kind == HoldKind.SEARCH:
        query = _clean_text(query, field="query", max_length=500, required=True)
        parse_query(query)  # a hold on a search that cannot run would hold nothing
        clean_filters(organisation, filters)
    elif kind == HoldKind.ACCOUNT:
        account_handle = _clean_text(account_handle, field="account_handle", max_length=200,
                                     required=True).strip()
    elif kind == HoldKind.CASE:
        if not records:
            raise ValidationError({"records": _("List at least one record for the case.")})
        if len(records) > MAX_CASE_RECORDS:
            raise ValidationError({"records": _("A case can list at most %(max)d records.")
                                   % {"max": MAX_CASE_RECORDS}})
        outside = [r.pk for r in records if not r.organisation.path.startswith(organisation.path)]
        if outside:
            raise ValidationError({"records": _("Record %(id)d does not belong to this "
                                                "organisation.") % {"id": outside[0]}})
    else:
        raise ValidationError({"kind": _("Choose what the hold covers.")})
    with transaction.atomic():
        hold = LegalHold.objects.create(
            organisation=organisation, name=name, reason=reason, kind=kind,
            query=query if kind == HoldKind.SEARCH else "",
            filters=filters if kind == HoldKind.SEARCH else {},
            account_handle=account_handle if kind == HoldKind.ACCOUNT else "",
            created_by=actor,
        )
        if kind == HoldKind.CASE:
            hold.records.set(records)
        audit_record(actor=actor, action="archive.legal_hold_placed", organisation=organisation,
                     target=hold, details={"name": name, "kind": kind, "reason": reason,
                                           "query": hold.query, "filters": hold.filters,
                                           "account": hold.account_handle,
                                           "records": len(records)})
    return hold


def legal_hold_release(*, actor: User, hold: LegalHold, reason: str) -> LegalHold:
    check_can_manage_archive(actor, hold.organisation)
    reason = _clean_text(reason, field="release_reason", max_length=2000, required=True)
    with transaction.atomic():
        hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if hold.released_at is not None:
            raise ValidationError(_("This hold was already released."))
        hold.released_by, hold.released_at, hold.release_reason = actor, timezone.now(), reason
        hold.save(update_fields=["released_by", "released_at", "release_reason"])
        audit_record(actor=actor, action="archive.legal_hold_released",
                     organisation=hold.organisation, target=hold, details={"reason": reason})
    return hold


def holds_covering(record_ids: Iterable[int]) -> dict[int, list[LegalHold]]:
    """Active holds covering each of ``record_ids`` (records with none are left out)."""
    from townsquare.archive.selectors import search_versions

    ids = list(record_ids)
    covered: dict[int, list[LegalHold]] = {}
    if not ids:
        return covered
    records = {r.pk: r for r in Record.objects.filter(pk__in=ids).select_related("organisation")}
    for hold in LegalHold.objects.filter(released_at__isnull=True).select_related("organisation"):
        inside = [pk for pk, r in records.items()
                  if r.organisation.path.startswith(hold.organisation.path)]
        if not inside:
            continue
        if hold.kind == HoldKind.CASE:
            held = set(hold.records.filter(pk__in=inside).values_list("pk", flat=True))
        elif hold.kind == HoldKind.ACCOUNT:
            held = set(Record.objects.filter(pk__in=inside).filter(
                Q(account_handle__iexact=hold.account_handle)).values_list("pk", flat=True))
        else:
            subtree = Organisation.objects.filter(path__startswith=hold.organisation.path)
            versions = search_versions(
                organisation_ids=subtree.values_list("pk", flat=True),
                parsed=parse_query(hold.query),
                filters=clean_filters(hold.organisation, hold.filters),
            )
            held = set(versions.filter(record_id__in=inside).values_list("record_id", flat=True))
        for pk in held:
            covered.setdefault(pk, []).append(hold)
    return covered


# --- saved searches ------------------------------------------------------------------


def saved_search_create(*, user: Any, name: str, query: str,
                        filters: dict[str, Any]) -> SavedSearch:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied
    name = _clean_text(name, field="name", max_length=100, required=True).strip()
    query = _clean_text(query, field="q", max_length=500, required=True)
    parse_query(query)
    try:
        with transaction.atomic():
            return SavedSearch.objects.create(
                user=user, name=name, query=query,
                filters={k: str(v) for k, v in filters.items() if v not in (None, "")})
    except IntegrityError as exc:
        raise ValidationError({"name": _("You already have a saved search with this name.")}
                              ) from exc


def saved_search_delete(*, user: Any, saved: SavedSearch) -> None:
    if saved.user_id != user.pk:
        raise PermissionDenied
    saved.delete()
