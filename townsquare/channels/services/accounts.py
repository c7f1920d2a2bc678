"""The account registry: every account an organisation holds on any network."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from townsquare.channels.adapters.base import Network
from townsquare.channels.models import Account, AccountStatus
from townsquare.channels.search_text import build_search_text, organisation_names
from townsquare.core.services import audit_record, notification_send
from townsquare.core.text import normalise_name, validate_clean_text, validate_name
from townsquare.organisations.models import Organisation, Role, User
from townsquare.organisations.selectors import roles_of

LANGUAGES = {"en", "ar", "zh-hans"}
EDITABLE_FIELDS = {
    "handle",
    "url",
    "display_name",
    "responsible",
    "purpose",
    "languages",
    "status",
    "config",
    "listed_publicly",
}


def handle_key(handle: str) -> str:
    return normalise_name(handle).lstrip("@").casefold()


def account_search_text(account: Account) -> str:
    organisation = account.organisation
    return build_search_text(
        handle=account.handle,
        display_name=account.display_name,
        url=account.url,
        organisation=organisation_names(
            name=organisation.name,
            short_name=organisation.short_name,
            slug=organisation.slug,
            translations=organisation.translations,
        ),
    )


def check_can_manage_accounts(actor: User | None, organisation: Organisation) -> None:
    if actor is None:
        return
    if not roles_of(actor, organisation) & {Role.ADMINISTRATOR, Role.EDITOR}:
        raise PermissionDenied


def _review_due(from_time: dt.datetime) -> dt.datetime:
    return from_time + dt.timedelta(days=30 * settings.ACCOUNT_REVIEW_MONTHS)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned = dict(values)
    if "handle" in cleaned:
        handle = normalise_name(str(cleaned["handle"]))
        try:
            validate_name(handle)
        except ValidationError as exc:
            errors["handle"] = exc.messages
        if not handle:
            errors["handle"] = ["A handle is required."]
        elif len(handle) > 200:
            errors["handle"] = ["At most 200 characters."]
        cleaned["handle"] = handle
    if "display_name" in cleaned:
        name = normalise_name(str(cleaned["display_name"]))
        try:
            validate_name(name)
        except ValidationError as exc:
            errors["display_name"] = exc.messages
        cleaned["display_name"] = name[:200]
    if "purpose" in cleaned:
        try:
            validate_clean_text(str(cleaned["purpose"]))
        except ValidationError as exc:
            errors["purpose"] = exc.messages
    if "languages" in cleaned:
        languages = [
            str(code).strip().lower() for code in cleaned["languages"] if str(code).strip()
        ]
        languages = [
            "zh-hans" if code in ("zh", "zh_hans", "zh-cn") else code for code in languages
        ]
        unknown = sorted(set(languages) - LANGUAGES)
        if unknown:
            errors["languages"] = [f"Unknown language: {', '.join(unknown)} (use en, ar, zh-hans)."]
        cleaned["languages"] = list(dict.fromkeys(languages))
    if "status" in cleaned and cleaned["status"] not in AccountStatus.values:
        errors["status"] = ["Unknown status."]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def account_create(
    *,
    actor: User | None,
    organisation: Organisation,
    network: str,
    handle: str,
    url: str = "",
    display_name: str = "",
    responsible: User | None = None,
    purpose: str = "",
    languages: list[str] | None = None,
    status: str = AccountStatus.ACTIVE,
    config: dict[str, Any] | None = None,
    listed_publicly: bool = True,
) -> Account:
    check_can_manage_accounts(actor, organisation)
    if network not in Network._value2member_map_:
        raise ValidationError({"network": ["Unknown network."]})
    values = _clean(
        {
            "handle": handle,
            "display_name": display_name,
            "purpose": purpose,
            "languages": languages or [],
            "status": status,
        }
    )
    now = timezone.now()
    account = Account(
        organisation=organisation,
        network=network,
        handle=values["handle"],
        handle_key=handle_key(values["handle"]),
        url=url,
        display_name=values["display_name"],
        responsible=responsible,
        purpose=values["purpose"],
        languages=values["languages"],
        status=values["status"],
        config=config or {},
        listed_publicly=listed_publicly,
        last_confirmed_at=now,
        review_due_at=_review_due(now),
    )
    account.full_clean(exclude=["handle_key", "organisation", "responsible"])
    account.search_text = account_search_text(account)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as exc:
        raise ValidationError({"handle": ["This account is already in the registry."]}) from exc
    audit_record(actor=actor, action="account.create", organisation=organisation, target=account)
    return account


@transaction.atomic
def account_update(*, actor: User | None, account: Account, **changes: Any) -> Account:
    check_can_manage_accounts(actor, account.organisation)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"Cannot change {', '.join(sorted(unknown))}")
    changes = _clean(changes)
    before = {field: getattr(account, field) for field in changes}
    for field, value in changes.items():
        setattr(account, field, value)
    if "handle" in changes:
        account.handle_key = handle_key(account.handle)
    account.full_clean(exclude=["handle_key", "organisation", "responsible"])
    account.search_text = account_search_text(account)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as exc:
        raise ValidationError({"handle": ["This account is already in the registry."]}) from exc
    changed = {f: [str(before[f]), str(changes[f])] for f in changes if before[f] != changes[f]}
    audit_record(
        actor=actor,
        action="account.update",
        organisation=account.organisation,
        target=account,
        details={"changed": changed},
    )
    return account


@transaction.atomic
def account_confirm_ownership(*, actor: User, account: Account) -> Account:
    """The owner confirms the account is still theirs and still needed."""
    check_can_manage_accounts(actor, account.organisation)
    now = timezone.now()
    account.last_confirmed_at = now
    account.review_due_at = _review_due(now)
    if account.status == AccountStatus.UNDER_REVIEW:
        account.status = AccountStatus.ACTIVE
    account.save(update_fields=["last_confirmed_at", "review_due_at", "status", "updated_at"])
    audit_record(
        actor=actor, action="account.confirm", organisation=account.organisation, target=account
    )
    return account


def _communications_staff() -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organisation__sees_all_organisations=True,
            memberships__role__in=[Role.ADMINISTRATOR, Role.EDITOR],
        ).distinct()
    )


@transaction.atomic
def accounts_flag_overdue_reviews(*, now: dt.datetime | None = None) -> int:
    """Accounts whose owner did not re-confirm them in time go under review."""
    now = now or timezone.now()
    overdue = list(
        Account.objects.select_for_update(of=("self",))
        .filter(review_due_at__lt=now, status__in=[AccountStatus.ACTIVE, AccountStatus.DORMANT])
        .select_related("organisation", "responsible")
    )
    if not overdue:
        return 0
    office = _communications_staff()
    for account in overdue:
        account.status = AccountStatus.UNDER_REVIEW
        account.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=None,
            action="account.review_overdue",
            organisation=account.organisation,
            target=account,
        )
        recipients = {user.pk: user for user in office}
        if account.responsible is not None and account.responsible.is_active:
            recipients[account.responsible.pk] = account.responsible
        for user in recipients.values():
            notification_send(
                recipient=user,
                message_key="account.review_overdue",
                params={"handle": account.handle, "network": account.network},
                url=f"/console/channels/{account.pk}/",
            )
    return len(overdue)


def accounts_search_text_refresh(*, organisation: Organisation | None = None) -> int:
    """Rewrite stale ``search_text`` (e.g. after an organisation was renamed); returns how
    many accounts changed. Idempotent, so any worker may run it at any time; an account
    edited while it runs may get a text computed a moment earlier, which the next run
    corrects (the text is derived data, never the only copy of anything)."""
    accounts = Account.objects.select_related("organisation").only(
        "pk", "handle", "display_name", "url", "search_text", "organisation__name",
        "organisation__short_name", "organisation__slug", "organisation__translations",
    ).order_by("pk")
    if organisation is not None:
        accounts = accounts.filter(organisation=organisation)
    stale: list[Account] = []
    for account in accounts.iterator(chunk_size=2000):
        text = account_search_text(account)
        if text != account.search_text:
            account.search_text = text
            stale.append(account)
    for start in range(0, len(stale), 500):
        with transaction.atomic():
            Account.objects.bulk_update(stale[start:start + 500], ["search_text"])
    return len(stale)
