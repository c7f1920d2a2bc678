import pytest

from townsquare.channels.adapters.base import ChangeKind, InboundChange, InboundItem, ItemKind
from townsquare.channels.services.inbound import inbound_apply
from townsquare.channels.tests.fakes import T0

pytestmark = pytest.mark.django_db


def receive(account, remote_id, text, name):
    item = InboundItem(remote_id=remote_id, kind=ItemKind.MENTION, text=text, created_at=T0,
                       author_id="c", author_handle="@c", author_name=name)
    inbound_apply(account=account,
                  change=InboundChange(ChangeKind.CREATED, remote_id, "", item), via="poll")


def test_latest_messages_are_shown_safely_and_only_to_the_agency(
    client_for, alice, carol, transport_account
):
    receive(transport_account, "1", "<script>alert(1)</script> bus late", "Evil\u202eName")
    page = client_for(alice).get(f"/console/channels/{transport_account.pk}/")
    html = page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; bus late" in html
    assert "<script>alert(1)" not in html
    assert "\u202e" not in html
    assert "<bdi>EvilName</bdi>" in html
    assert client_for(carol).get(f"/console/channels/{transport_account.pk}/").status_code == 404
