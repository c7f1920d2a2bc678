"""Reads of the registry, scoped to what the asking user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from townsquare.channels.models import Account, AccountStatus, InboundItem
from townsquare.channels.search_text import query_terms
from townsquare.organisations.selectors import organisations_visible_to


def accounts_visible_to(user: Any) -> QuerySet[Account]:
    return Account.objects.filter(organisation__in=organisations_visible_to(user)).select_related(
        "organisation", "responsible"
    )


def account_get_for_user(user: Any, account_id: Any) -> Account:
    try:
        return accounts_visible_to(user).get(pk=int(account_id))
    except (Account.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such account") from exc


def public_directory(query: str = "", network: str = "") -> QuerySet[Account]:
    """Official accounts citizens can check: listed, not retired, of active organisations."""
    accounts = (
        Account.objects.filter(listed_publicly=True, organisation__is_active=True)
        .exclude(status=AccountStatus.RETIRED)
        .select_related("organisation")
    )
    if network:
        accounts = accounts.filter(network=network)
    # search_text and the terms are normalised alike (search_text.py), so a
    # case-sensitive LIKE is enough and Arabic, Chinese and Latin behave the same.
    for term in query_terms(query):
        accounts = accounts.filter(search_text__contains=term)
    return accounts.order_by("organisation__path", "network", "handle_key")


def inbound_items_for_account(user: Any, account: Account) -> QuerySet[InboundItem]:
    account_get_for_user(user, account.pk)
    return InboundItem.objects.filter(account=account)
