import dataclasses
import datetime as dt
import threading

import pytest
from django.db import connection

from townsquare.channels.adapters.base import ChangeKind, InboundChange
from townsquare.channels.models import InboundItem, ItemState
from townsquare.channels.services.inbound import inbound_apply
from townsquare.channels.tests.fakes import T0, item

pytestmark = pytest.mark.django_db


def change(kind, remote_id="42", text="hello", minutes=0, with_item=True):
    return InboundChange(
        kind=ChangeKind(kind),
        remote_id=remote_id,
        account_ref="",
        item=item(remote_id, text) if with_item else None,
        occurred_at=T0 + dt.timedelta(minutes=minutes),
    )


def test_the_same_item_three_times_is_one_row(transport_account):
    for via in ("webhook", "webhook", "poll"):
        inbound_apply(account=transport_account, change=change("created"), via=via)
    assert InboundItem.objects.count() == 1
    assert InboundItem.objects.get().first_seen_via == "webhook"


def test_edit_before_create_keeps_the_edit(transport_account):
    inbound_apply(
        account=transport_account, change=change("edited", text="fixed", minutes=5), via="webhook"
    )
    inbound_apply(account=transport_account, change=change("created", text="typo"), via="poll")
    row = InboundItem.objects.get()
    assert row.state == ItemState.EDITED
    assert row.text == "fixed"


def test_delete_before_create_is_not_brought_back(transport_account):
    inbound_apply(
        account=transport_account, change=change("deleted", with_item=False), via="webhook"
    )
    row = InboundItem.objects.get()
    assert row.state == ItemState.DELETED and not row.has_content
    inbound_apply(account=transport_account, change=change("created", text="original"), via="poll")
    row.refresh_from_db()
    assert row.state == ItemState.DELETED
    assert row.has_content and row.text == "original"  # what was said is kept for the record


def test_edit_after_delete_changes_nothing(transport_account):
    inbound_apply(account=transport_account, change=change("created"), via="poll")
    inbound_apply(account=transport_account, change=change("deleted", minutes=2), via="webhook")
    inbound_apply(
        account=transport_account, change=change("edited", text="sneaky", minutes=3), via="webhook"
    )
    row = InboundItem.objects.get()
    assert row.state == ItemState.DELETED
    assert row.text == "hello"


def test_an_older_edit_arriving_late_loses(transport_account):
    inbound_apply(account=transport_account, change=change("created"), via="poll")
    inbound_apply(
        account=transport_account, change=change("edited", text="second", minutes=10), via="webhook"
    )
    inbound_apply(
        account=transport_account, change=change("edited", text="first", minutes=5), via="webhook"
    )
    assert InboundItem.objects.get().text == "second"


def test_own_post_echoed_back_is_marked_own(transport_account):
    echoed = InboundChange(
        kind=ChangeKind.CREATED,
        remote_id="99",
        account_ref="",
        item=item("99", "our announcement", own=True),
    )
    inbound_apply(account=transport_account, change=echoed, via="poll")
    assert InboundItem.objects.get(remote_id="99").is_own is True


def test_long_and_emoji_text_is_kept_exactly(transport_account):
    text = "👩‍👩‍👧‍👦 مرحبا 你好 " + "x" * 10_000
    inbound_apply(account=transport_account, change=change("created", text=text), via="poll")
    assert InboundItem.objects.get().text == text


def test_nul_and_lone_surrogates_are_stored_visibly_not_lost(transport_account):
    # PostgreSQL refuses NUL in text and JSON; no driver encodes lone surrogates. The item
    # must still be stored (U+FFFD marks the spot), edits too, raw JSON included.
    text = "bus\x00stop \ud800 late"
    created = change("created", text=text)
    created = InboundChange(
        kind=created.kind, remote_id=created.remote_id, account_ref="",
        item=dataclasses.replace(created.item, raw={"text": text, "list": ["\x00"]}),
        occurred_at=created.occurred_at,
    )
    inbound_apply(account=transport_account, change=created, via="webhook")
    stored = InboundItem.objects.get()
    assert stored.text == "bus\ufffdstop \ufffd late"
    assert stored.raw == {"text": "bus\ufffdstop \ufffd late", "list": ["\ufffd"]}
    inbound_apply(account=transport_account, change=change("edited", text="a\x00b", minutes=1),
                  via="webhook")
    assert InboundItem.objects.get().text == "a\ufffdb"


@pytest.mark.django_db(transaction=True)
def test_parallel_deliveries_become_one_item(transport_account):
    errors = []

    def deliver():
        try:
            inbound_apply(account=transport_account, change=change("created"), via="webhook")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert InboundItem.objects.filter(remote_id="42").count() == 1
