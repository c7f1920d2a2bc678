import json

import pytest


@pytest.fixture
def transport_account(government, alice):
    from townsquare.channels.services.accounts import account_create

    return account_create(
        actor=alice,
        organisation=government["transport"],
        network="mastodon",
        handle="@transport@sandbox.local",
        display_name="Transport Agency",
        responsible=alice,
        languages=["en", "ar"],
    )


@pytest.fixture
def message(transport_account):
    """A raw message (JSON bytes) for the transport account."""

    def make(remote_id, text="The 12 bus is late again", **extra):
        body = {"account_id": transport_account.pk, "remote_id": remote_id, "text": text}
        body.update(extra)
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    return make
