import datetime as dt
import itertools

import pytest

from townsquare.channels.adapters.base import ChangeKind, InboundChange, ItemKind
from townsquare.channels.adapters.base import InboundItem as AdapterItem

T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
_ids = itertools.count(1000)


def _account(organisation, handle, actor):
    from townsquare.channels.adapters.base import Credentials
    from townsquare.channels.services.accounts import account_create
    from townsquare.channels.services.credentials import credentials_store

    account = account_create(
        actor=actor, organisation=organisation, network="mastodon", handle=handle,
        display_name=str(organisation), languages=["en", "ar"],
    )
    credentials_store(actor=actor, account=account,
                      credentials=Credentials(access_token="token-" + handle))
    account.refresh_from_db()
    return account


@pytest.fixture
def transport_account(government, alice):
    return _account(government["transport"], "@transport@sandbox.local", alice)


@pytest.fixture
def office_account(government):
    return _account(government["office"], "@harbourgov@sandbox.local", None)


@pytest.fixture
def health_account(government, carol):
    return _account(government["health"], "@health@sandbox.local", carol)


@pytest.fixture
def deliver():
    """``deliver(account, text, **fields)``: store an inbound item as channels would."""
    from townsquare.channels.services.inbound import inbound_apply

    def make(account, text="Hello", *, author="c1", kind=ItemKind.MENTION, remote_id=None,
             in_reply_to="", conversation_id="", own=False, minutes=0, language="en",
             via="poll", name="Citizen One"):
        remote_id = remote_id or str(next(_ids))
        item = AdapterItem(
            remote_id=remote_id, kind=kind, text=text,
            created_at=T0 + dt.timedelta(minutes=minutes), author_id=author,
            author_handle=f"{author}@elsewhere", author_name=name, in_reply_to=in_reply_to,
            conversation_id=conversation_id, is_own=own, language=language,
        )
        return inbound_apply(
            account=account,
            change=InboundChange(kind=ChangeKind.CREATED, remote_id=remote_id,
                                 account_ref=account.remote_id, item=item),
            via=via,
        )

    return make


@pytest.fixture
def recorder(monkeypatch):
    from townsquare.channels.adapters import registry
    from townsquare.channels.adapters.base import Network
    from townsquare.inbox.tests.fakes import ReplyRecorder

    monkeypatch.setitem(registry.ADAPTERS, Network.MASTODON,
                        "townsquare.inbox.tests.fakes.ReplyRecorder")
    ReplyRecorder.sent = []
    ReplyRecorder.script = []
    return ReplyRecorder


@pytest.fixture
def conversation(transport_account, deliver):
    from townsquare.inbox.services.ingest import message_ingest

    return message_ingest(
        inbound_item=deliver(transport_account, "The 42 bus never came", remote_id="4242")
    ).conversation
