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
