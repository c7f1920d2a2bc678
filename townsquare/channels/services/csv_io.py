"""The account registry as CSV: import with a per-row report, and export.

Agencies hand over their account lists as spreadsheets. An import is checked as a whole
first (a dry run that writes nothing and reports every row), and applied all-or-nothing:
if any row has a problem, nothing is saved. Export is RFC 4180, formula-injection safe,
and carries no credential of any kind; its rows import back unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.translation import gettext as _

from townsquare.channels.adapters.base import Network
from townsquare.channels.models import NETWORK_LABELS, Account, AccountStatus
from townsquare.channels.services.accounts import (
    LANGUAGES,
    account_create,
    account_update,
    handle_key,
)
from townsquare.channels.services.csv_file import (
    EXPORT_COLUMNS,
    check_header,
    read_rows,
)
from townsquare.core.csv_safety import csv_text, csv_unescape_cell
from townsquare.core.services import audit_record
from townsquare.core.text import (
    BIDI_CONTROLS,
    INVISIBLE,
    normalise_name,
    validate_clean_text,
    validate_name,
)
from townsquare.organisations.models import Organisation, Role, User
from townsquare.organisations.selectors import (
    organisations_visible_to,
    roles_of,
    users_visible_to,
)

# Characters that make two handles look alike or reorder what is shown around them.
# Handles are ASCII-like identifiers on every network: joiners have no place in them.
HIDDEN_IN_HANDLES = BIDI_CONTROLS | INVISIBLE | frozenset("\u200c\u200d")
YES = {"yes", "y", "true", "1", "نعم", "是"}
NO = {"no", "n", "false", "0", "لا", "否"}
LANGUAGE_ALIASES = {"zh": "zh-hans", "zh_hans": "zh-hans", "zh-cn": "zh-hans"}
_SPLIT_LANGUAGES = re.compile(r"[;,\s/|]+")
_URL = URLValidator(schemes=["http", "https"])


@dataclass
class RowResult:
    line: int
    network: str = ""
    handle: str = ""
    organisation: str = ""
    action: str = ""  # "create", "update", "unchanged" or "" when the row has errors
    errors: list[str] = field(default_factory=list)
    account: Account | None = None
    values: dict[str, Any] = field(default_factory=dict)
    target_organisation: Organisation | None = None


@dataclass
class ImportReport:
    file_errors: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)
    applied: bool = False

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or any(row.errors for row in self.rows)

    @property
    def error_rows(self) -> int:
        return sum(1 for row in self.rows if row.errors)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if not row.errors and row.action == action)

    @property
    def created(self) -> int:
        return self.count("create")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")


# --- Checking each row -----------------------------------------------------------------


class _Context:
    """What every row is checked against, loaded once for the whole file."""

    def __init__(self, actor: User, rows: list[dict[str, str]]) -> None:
        self.actor = actor
        visible = list(organisations_visible_to(actor))
        self.visible_ids = {org.pk for org in visible}
        self.organisations: dict[str, list[Organisation]] = {}
        for org in visible:
            names = {org.slug, org.name, org.short_name}
            names |= {t.get("name", "") for t in (org.translations or {}).values()}
            for name in names:
                if name:
                    self.organisations.setdefault(name.casefold(), []).append(org)
        self.manageable = {
            org.pk for org in visible if roles_of(actor, org) & {Role.ADMINISTRATOR, Role.EDITOR}
        }
        keys = {row.get("responsible", "").strip() for row in rows} - {""}
        self.users: dict[str, User] = {}
        if keys:
            lowered = {key.lower() for key in keys}
            found = (
                users_visible_to(actor)
                .annotate(email_lower=Lower("email"))
                .filter(Q(username__in=keys) | Q(email_lower__in=lowered))
            )
            for user in found:
                self.users[user.username] = user
                if user.email:
                    self.users.setdefault(user.email.lower(), user)
        self.networks: dict[str, str] = {}
        with translation.override("en"):
            for network, label in NETWORK_LABELS.items():
                self.networks[network.value] = network.value
                self.networks[str(label).casefold()] = network.value
        self.networks["twitter"] = Network.X.value
        self.statuses: dict[str, str] = {}
        with translation.override("en"):
            for value, label in AccountStatus.choices:
                self.statuses[value] = value
                self.statuses[str(label).casefold()] = value
        self.statuses["under-review"] = AccountStatus.UNDER_REVIEW
        self.existing: dict[tuple[str, str], Account] = {}

    def load_existing(self, pairs: set[tuple[str, str]]) -> None:
        keys = sorted({key for _network, key in pairs})
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            for account in Account.objects.filter(handle_key__in=chunk).select_related(
                "organisation", "responsible"
            ):
                self.existing[(account.network, account.handle_key)] = account


def _hidden_characters(value: str) -> list[str]:
    return sorted({f"U+{ord(ch):04X}" for ch in value if ch in HIDDEN_IN_HANDLES})


def _check_handle(raw: str, result: RowResult) -> str:
    if not raw.strip():
        result.errors.append(_("The handle is missing."))
        return ""
    hidden = _hidden_characters(raw)
    if hidden:
        result.errors.append(
            _("The handle contains invisible or text-direction characters (%(codes)s).")
            % {"codes": ", ".join(hidden)}
        )
        return ""
    handle = normalise_name(raw)
    try:
        validate_name(handle)
    except ValidationError as exc:
        result.errors.extend(_("Handle: %(problem)s") % {"problem": m} for m in exc.messages)
        return ""
    if len(handle) > 200:
        result.errors.append(_("The handle is longer than 200 characters."))
        return ""
    if not handle_key(handle):
        result.errors.append(_("The handle is missing."))
        return ""
    return handle


def _check_text(raw: str, label: str, limit: int, result: RowResult, *, one_line: bool) -> str:
    value = normalise_name(raw) if one_line else raw.strip()
    try:
        if one_line:
            validate_name(value)
        else:
            validate_clean_text(value)
    except ValidationError as exc:
        result.errors.extend(f"{label}: {m}" for m in exc.messages)
    if len(value) > limit:
        result.errors.append(
            _("%(field)s is longer than %(limit)s characters.") % {"field": label, "limit": limit}
        )
    return value


def _check_languages(raw: str, result: RowResult) -> list[str]:
    codes = [c.lower() for c in _SPLIT_LANGUAGES.split(raw.strip()) if c]
    codes = [LANGUAGE_ALIASES.get(c, c) for c in codes]
    unknown = sorted(set(codes) - LANGUAGES)
    if unknown:
        result.errors.append(
            _("Unknown language: %(codes)s (use en, ar, zh-hans, separated by “;”).")
            % {"codes": ", ".join(unknown)}
        )
    return list(dict.fromkeys(codes))


def _check_network(cells: dict[str, str], ctx: _Context, result: RowResult) -> None:
    raw_network = cells.get("network", "").strip()
    network = ctx.networks.get(raw_network.casefold(), "")
    if not raw_network:
        result.errors.append(_("The network is missing."))
    elif not network:
        result.errors.append(
            _("Unknown network “%(network)s” (use one of: %(known)s).")
            % {"network": raw_network[:40], "known": ", ".join(n.value for n in Network)}
        )
    result.network = network or raw_network[:40]


def _check_organisation(cells: dict[str, str], ctx: _Context, result: RowResult) -> None:
    raw_org = normalise_name(cells.get("organisation", ""))
    result.organisation = raw_org[:200]
    matches = ctx.organisations.get(raw_org.casefold(), []) if raw_org else []
    distinct = {org.pk: org for org in matches}
    if not raw_org:
        result.errors.append(_("The organisation is missing."))
    elif not distinct:
        result.errors.append(
            _("Unknown organisation “%(name)s” (use its address name, e.g. “transport”).")
            % {"name": raw_org[:80]}
        )
    elif len(distinct) > 1:
        result.errors.append(
            _("“%(name)s” names more than one organisation: use the address name.")
            % {"name": raw_org[:80]}
        )
    else:
        organisation = next(iter(distinct.values()))
        if organisation.pk in ctx.manageable:
            result.target_organisation = organisation
        else:
            result.errors.append(
                _("You cannot manage the accounts of %(organisation)s.")
                % {"organisation": organisation}
            )


def _check_url(raw: str, result: RowResult) -> str:
    url = raw.strip()
    if url:
        try:
            _URL(url)
        except ValidationError:
            result.errors.append(_("The address is not a valid http(s) web address."))
        if len(url) > 500:
            result.errors.append(_("The address is longer than 500 characters."))
    return url


def _check_responsible(raw: str, ctx: _Context, result: RowResult) -> User | None:
    key = raw.strip()
    if not key:
        return None
    person = ctx.users.get(key) or ctx.users.get(key.lower())
    if person is None:
        result.errors.append(
            _("Unknown responsible staff member “%(name)s” (use a username or email).")
            % {"name": key[:80]}
        )
    return person


def _check_status_and_listing(
    cells: dict[str, str], ctx: _Context, result: RowResult, values: dict[str, Any]
) -> None:
    raw_status = cells.get("status", "").strip()
    if raw_status:
        folded = raw_status.casefold()
        status = ctx.statuses.get(folded.replace("_", " ")) or ctx.statuses.get(folded)
        if status is None:
            result.errors.append(
                _("Unknown status “%(status)s” (use active, dormant, under review or retired).")
                % {"status": raw_status[:40]}
            )
        else:
            values["status"] = status
    raw_listed = cells.get("listed", "").strip().casefold()
    if raw_listed in YES:
        values["listed_publicly"] = True
    elif raw_listed in NO:
        values["listed_publicly"] = False
    elif raw_listed:
        result.errors.append(_("“listed” must be yes or no."))


def _check_row(cells: dict[str, str], ctx: _Context, result: RowResult) -> None:
    _check_network(cells, ctx, result)
    handle = _check_handle(cells.get("handle", ""), result)
    result.handle = handle or cells.get("handle", "")[:200]
    _check_organisation(cells, ctx, result)
    values: dict[str, Any] = {}
    if "display_name" in cells:
        values["display_name"] = _check_text(
            cells["display_name"], _("Display name"), 200, result, one_line=True
        )
    if "url" in cells:
        values["url"] = _check_url(cells["url"], result)
    if "responsible" in cells:
        values["responsible"] = _check_responsible(cells["responsible"], ctx, result)
    if "purpose" in cells:
        values["purpose"] = _check_text(
            cells["purpose"], _("Purpose"), 1000, result, one_line=False
        )
    if "languages" in cells:
        values["languages"] = _check_languages(cells["languages"], result)
    _check_status_and_listing(cells, ctx, result, values)
    if handle:
        values["handle"] = handle
    result.values = values


def _decide_action(result: RowResult, ctx: _Context) -> None:
    key = (result.network, handle_key(result.handle))
    existing = ctx.existing.get(key)
    if existing is None:
        result.action = "create"
        return
    if result.target_organisation is not None and existing.organisation_id != (
        result.target_organisation.pk
    ):
        if existing.organisation_id in ctx.visible_ids:
            result.errors.append(
                _("This account is already registered to %(organisation)s.")
                % {"organisation": existing.organisation}
            )
        else:
            result.errors.append(_("This account is already registered to another organisation."))
        return
    result.account = existing
    changed = False
    for name, value in result.values.items():
        current = existing.responsible if name == "responsible" else getattr(existing, name)
        if current != value:
            changed = True
    result.action = "update" if changed else "unchanged"


def accounts_import_check(*, actor: User, text: str) -> ImportReport:
    """Read and check every row without saving anything (the dry run)."""
    report = ImportReport()
    header, raw_rows, report.file_errors = read_rows(text)
    if report.file_errors:
        return report
    report.file_errors, report.ignored_columns = check_header(header)
    if report.file_errors:
        return report
    width = len(header)
    parsed: list[tuple[int, dict[str, str], bool]] = []
    for line, cells in raw_rows:
        too_many = len(cells) > width and any(c.strip() for c in cells[width:])
        values = {
            name: csv_unescape_cell(cells[i]) if i < len(cells) else ""
            for i, name in enumerate(header)
            if name
        }
        parsed.append((line, values, too_many))
    if not parsed:
        report.file_errors.append(_("The file has a header but no rows."))
        return report
    ctx = _Context(actor, [values for _line, values, _extra in parsed])
    seen: dict[tuple[str, str], int] = {}
    for line, values, too_many in parsed:
        result = RowResult(line=line)
        if too_many:
            result.errors.append(
                _("This line has more cells than the header has columns (%(count)s).")
                % {"count": width}
            )
        _check_row(values, ctx, result)
        report.rows.append(result)
    pairs = {(r.network, handle_key(r.handle)) for r in report.rows if r.handle}
    ctx.load_existing(pairs)
    for result in report.rows:
        if not result.handle or not result.network:
            continue
        key = (result.network, handle_key(result.handle))
        if key in seen:
            result.errors.append(
                _("The same account is already on line %(line)s of this file.")
                % {"line": seen[key]}
            )
            continue
        seen[key] = result.line
        if not result.errors:
            _decide_action(result, ctx)
    return report


def accounts_import_apply(*, actor: User, text: str) -> ImportReport:
    """Check the file again and, only if every row is fine, save all of it at once."""
    report = accounts_import_check(actor=actor, text=text)
    if report.has_errors:
        return report
    with transaction.atomic():
        for result in report.rows:
            try:
                _apply_row(actor, result)
            except ValidationError as exc:
                result.errors.extend(exc.messages)
        if report.has_errors:
            transaction.set_rollback(True)
            return report
        audit_record(
            actor=actor,
            action="account.import",
            details={
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            },
        )
    report.applied = True
    return report


def _apply_row(actor: User, result: RowResult) -> None:
    values = dict(result.values)
    if result.action == "create":
        assert result.target_organisation is not None  # noqa: S101 (checked above)
        result.account = account_create(
            actor=actor,
            organisation=result.target_organisation,
            network=result.network,
            **values,
        )
    elif result.action == "update" and result.account is not None:
        account_update(actor=actor, account=result.account, **values)


# --- Export ----------------------------------------------------------------------------


def _export_row(account: Account) -> list[Any]:
    return [
        account.network,
        account.handle,
        account.display_name,
        account.url,
        account.organisation.slug,
        account.responsible.username if account.responsible else "",
        account.purpose,
        ";".join(account.languages or []),
        account.status,
        "yes" if account.listed_publicly else "no",
        account.connection_state,
        account.review_due_at.date().isoformat() if account.review_due_at else "",
    ]


def accounts_export_csv(accounts: Iterable[Account]) -> str:
    """The registry rows as CSV: only registry fields, never a credential."""
    return csv_text(EXPORT_COLUMNS, (_export_row(a) for a in accounts))


def accounts_export(*, actor: User, accounts: Iterable[Account]) -> str:
    """The export a staff member downloads (``accounts`` already scoped to them), audited."""
    rows = list(accounts)
    audit_record(actor=actor, action="account.export", details={"rows": len(rows)})
    return accounts_export_csv(rows)
