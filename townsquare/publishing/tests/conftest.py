import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _user(username, org, role):
    from townsquare.organisations.services import membership_grant, staff_user_create

    user = staff_user_create(
        actor=None,
        username=username,
        email=f"{username}@example.org",
        first_name=username.capitalize(),
        password="x-long-pass-phrase-1",
    )
    membership_grant(actor=None, user=user, organisation=org, role=role)
    return user


@pytest.fixture
def ahmed(government):
    """An approver in the Transport Agency (approvers must have a second factor)."""
    from allauth.mfa.totp.internal.auth import TOTP

    user = _user("ahmed", government["transport"], "approver")
    TOTP.activate(user, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
    return user


@pytest.fixture
def erin(government):
    """An editor in the Transport Agency."""
    return _user("erin", government["transport"], "editor")


@pytest.fixture
def accounts(government, alice):
    """Connected Transport accounts: Mastodon (edits), Bluesky (no edits)."""
    from townsquare.channels.adapters.base import Credentials
    from townsquare.channels.services.accounts import account_create
    from townsquare.channels.services.credentials import credentials_store

    made = {}
    for network, handle in (
        ("mastodon", "@transport@sandbox.local"),
        ("bluesky", "transport.bsky.social"),
    ):
        account = account_create(
            actor=alice,
            organisation=government["transport"],
            network=network,
            handle=handle,
            display_name="Transport Agency",
            languages=["en", "ar"],
        )
        credentials_store(
            actor=alice, account=account, credentials=Credentials(access_token=f"token-{network}")
        )
        account.refresh_from_db()
        made[network] = account
    return made


@pytest.fixture
def health_account(government, carol):
    from townsquare.channels.services.accounts import account_create

    return account_create(
        actor=carol,
        organisation=government["health"],
        network="mastodon",
        handle="@health@sandbox.local",
        display_name="Health Agency",
    )


@pytest.fixture
def fake_network(monkeypatch):
    from townsquare.publishing.services import engine
    from townsquare.publishing.tests.fakes import FakeNetwork

    network = FakeNetwork()
    monkeypatch.setattr(engine, "adapter_for", network.adapter_for)
    return network


@pytest.fixture
def make_post(government, erin, accounts):
    from townsquare.publishing.services.compose import VersionInput, post_create

    def make(
        text="Route 12 runs every 10 minutes from Monday.",
        *,
        author=None,
        account_list=None,
        languages=None,
        **kwargs,
    ):
        versions = languages or {
            "en": VersionInput(text=text, accounts=account_list or [accounts["mastodon"]])
        }
        return post_create(
            actor=author or erin,
            organisation=government["transport"],
            title=kwargs.pop("title", ""),
            versions=versions,
            **kwargs,
        )

    return make


@pytest.fixture
def approved_post(make_post, erin, ahmed):
    from townsquare.publishing.services.workflow import post_approve, post_submit

    def make(*args, **kwargs):
        post = make_post(*args, **kwargs)
        post_submit(actor=kwargs.get("author") or erin, post=post)
        post_approve(actor=ahmed, post=post, seen_version=post.content_version)
        post.refresh_from_db()
        return post

    return make
