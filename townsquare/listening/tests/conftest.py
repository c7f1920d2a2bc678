from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def transport_account(government, alice):
    from townsquare.channels.services.accounts import account_create

    return account_create(
        actor=alice, organisation=government["transport"], network="mastodon",
        handle="@transport@sandbox.local", display_name="Transport Agency", responsible=alice,
        languages=["en", "ar"],
    )


@pytest.fixture
def health_account(government, carol):
    from townsquare.channels.services.accounts import account_create

    return account_create(
        actor=carol, organisation=government["health"], network="mastodon",
        handle="@health@sandbox.local", display_name="Health Agency", responsible=carol,
    )


@pytest.fixture
def inbound():
    """``inbound(account, remote_id, text, **fields)``: one item as channels stores it."""
    from townsquare.channels.models import InboundItem

    def make(account, remote_id, text, **fields):
        fields.setdefault("kind", "mention")
        fields.setdefault("author_handle", "citizen")
        return InboundItem.objects.create(
            account=account, network=account.network, remote_id=remote_id, text=text,
            first_seen_via="poll", **fields,
        )

    return make


@pytest.fixture
def later():
    """A moment after everything created in the test has settled."""
    return timezone.now() + dt.timedelta(minutes=1)


@pytest.fixture
def bus_query(government, alice):
    from townsquare.listening.services.queries import saved_query_create

    return saved_query_create(
        actor=alice, organisation=government["transport"], name="Late buses",
        query='(bus OR الحافلة OR 公交) AND (late OR متأخرة OR 晚点)',
    )
