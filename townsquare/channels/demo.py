"""The demo government's official accounts: sandbox accounts connected for real, plus the
accounts on other networks an agency would list in its registry (not connected, since
those networks cannot be reached from a demo)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from townsquare.channels.adapters.base import Credentials
from townsquare.channels.models import Account, AccountStatus
from townsquare.channels.services.accounts import (
    account_create,
    account_search_text,
    handle_key,
)
from townsquare.channels.services.credentials import credentials_store
from townsquare.organisations.models import Organisation, Role, User

# Accounts on real networks each demo body lists (handle, languages, purpose, status).
LISTED: dict[str, list[tuple[str, str, list[str], str, str]]] = {
    "communications-office": [
        ("x", "@HarbourGov", ["en", "ar", "zh-hans"], "Whole-of-government news", "active"),
        ("facebook", "harbourgov", ["en", "ar"], "Government announcements", "active"),
        ("telegram", "@harbourgov_news", ["ar", "en"], "Emergency alerts channel", "active"),
        ("weibo", "港湾区政府", ["zh-hans"], "Chinese-language updates", "active"),
    ],
    "transport": [
        ("x", "@HarbourTransport", ["en", "ar"], "Service updates and disruptions", "active"),
        ("whatsapp", "+971-4-555-0101", ["en", "ar"], "Lost property and questions", "active"),
        ("instagram", "harbour.transport.old", ["en"], "2019 campaign account", "dormant"),
    ],
    "health": [
        ("facebook", "harbourhealth", ["en", "ar"], "Public health advice", "active"),
        ("wechat", "harbour-health", ["zh-hans"], "Health notices for Chinese speakers", "active"),
    ],
    "police": [("x", "@HarbourPolice", ["en", "ar"], "Non-emergency updates", "active")],
    "water-and-electricity": [
        ("sms", "+971-4-555-0199", ["en", "ar", "zh-hans"], "Outage reports by SMS", "active"),
    ],
    "education": [
        ("bluesky", "education.harbour.example", ["en"], "School news", "active"),
        ("instagram", "harbour_schools_2020", ["en"], "Old campaign account", "dormant"),
    ],
}


@dataclass(frozen=True)
class ChannelsDemoSummary:
    connected: int
    listed: int

    def __str__(self) -> str:
        return (
            f"Demo channels: {self.connected} accounts connected to the sandbox network, "
            f"{self.listed} other official accounts listed."
        )


def _responsible(organisation: Organisation) -> User | None:
    membership = (
        organisation.memberships.filter(role__in=[Role.ADMINISTRATOR, Role.EDITOR])
        .select_related("user")
        .order_by("role", "user__username")
        .first()
    )
    return membership.user if membership else None


@transaction.atomic
def channels_demo_load() -> ChannelsDemoSummary:
    """Idempotent: creates what is missing and points sandbox accounts at this address."""
    from townsquare.sandbox.services import sandbox_agency_tokens, sandbox_api_base_url

    organisations = {o.slug: o for o in Organisation.objects.all()}
    connected = listed = 0
    base_url = sandbox_api_base_url()
    for slug, access in sandbox_agency_tokens().items():
        organisation = organisations.get(slug)
        if organisation is None:
            continue
        handle = f"@{access.username}@sandbox"
        account = Account.objects.filter(network="mastodon", handle_key=handle_key(handle)).first()
        if account is None:
            account = account_create(
                actor=None,
                organisation=organisation,
                network="mastodon",
                handle=handle,
                url=f"{base_url}/@{access.username}",
                display_name=str(organisation),
                responsible=_responsible(organisation),
                languages=["en", "ar", "zh-hans"],
                purpose="Citizen questions and official updates (sandbox network)",
                config={"api_base_url": base_url},
            )
            credentials_store(
                actor=None,
                account=account,
                credentials=Credentials(access_token=access.access_token),
            )
        elif account.config.get("api_base_url") != base_url:
            # `make run PORT=…` moved the site: follow it so polling keeps working.
            account.config = {**account.config, "api_base_url": base_url}
            account.url = f"{base_url}/@{access.username}"
            account.search_text = account_search_text(account)
            account.save(update_fields=["config", "url", "search_text", "updated_at"])
        connected += 1
    for slug, accounts in LISTED.items():
        organisation = organisations.get(slug)
        if organisation is None:
            continue
        for network, handle, languages, purpose, status in accounts:
            if Account.objects.filter(network=network, handle_key=handle_key(handle)).exists():
                continue
            account_create(
                actor=None,
                organisation=organisation,
                network=network,
                handle=handle,
                display_name=str(organisation),
                responsible=_responsible(organisation),
                languages=languages,
                purpose=purpose,
                status=AccountStatus(status),
            )
            listed += 1
    return ChannelsDemoSummary(connected=connected, listed=listed)
