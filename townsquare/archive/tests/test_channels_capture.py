"""Inbound items from the channels module are captured through a cursor."""

from __future__ import annotations

import datetime as dt

import pytest

from townsquare.archive.models import CaptureCursor, EventKind, Record, RecordEvent
from townsquare.archive.services import archive_verify, inbound_items_capture, versions_in_order
from townsquare.archive.services.capture import INBOUND_CURSOR
from townsquare.channels.adapters.base import ChangeKind, InboundChange, ItemKind
from townsquare.channels.adapters.base import InboundItem as AdapterItem

from .conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(government, alice):
    from townsquare.channels.services.accounts import account_create

    return account_create(actor=alice, organisation=government["transport"], network="mastodon",
                          handle="@transport@sandbox.local", display_name="Transport",
                          responsible=alice, languages=["en"])


def _deliver(account, remote_id, kind, text="", when=T0):
    from townsquare.channels.services.inbound import inbound_apply

    item = None
    if text:
        item = AdapterItem(remote_id=remote_id, kind=ItemKind.REPLY, text=text,
                           author_id="77", author_handle="@citizen@sandbox.local",
                           author_name="A Citizen", created_at=T0)
    return inbound_apply(account=account, via="poll", change=InboundChange(
        kind=kind, remote_id=remote_id, account_ref="", item=item, occurred_at=when))


def test_new_items_are_captured_once_and_the_cursor_moves(account):
    first = _deliver(account, "1", ChangeKind.CREATED, "When is the next bus?")
    _deliver(account, "2", ChangeKind.CREATED, "متى الحافلة القادمة؟")
    assert inbound_items_capture(batch_size=1) == 2
    assert CaptureCursor.objects.get(name=INBOUND_CURSOR).position > first.pk
    record = Record.objects.get(source_id="mastodon:1")
    assert record.organisation == account.organisation
    assert record.author == "A Citizen" and record.account_handle == account.handle
    version = record.versions.get()
    assert version.content == "When is the next bus?"
    assert version.metadata["author_handle"] == "@citizen@sandbox.local"
    assert inbound_items_capture() == 0  # nothing new
    assert Record.objects.count() == 2 and RecordEvent.objects.count() == 2


def test_edits_and_deletions_after_capture_are_archived(account):
    _deliver(account, "1", ChangeKind.CREATED, "Original")
    inbound_items_capture()
    _deliver(account, "1", ChangeKind.EDITED, "Edited", when=T0 + dt.timedelta(minutes=5))
    _deliver(account, "1", ChangeKind.DELETED, when=T0 + dt.timedelta(minutes=9))
    inbound_items_capture(now=T0 + dt.timedelta(days=1))
    inbound_items_capture(now=T0 + dt.timedelta(days=1))  # again: nothing more
    record = Record.objects.get()
    assert [v.content for v in versions_in_order(record)] == ["Original", "Edited"]
    assert list(record.events.order_by("id").values_list("kind", flat=True)) == [
        EventKind.CREATED, EventKind.EDITED, EventKind.DELETED_ON_NETWORK]
    assert archive_verify().ok


def test_a_deletion_seen_before_the_item_is_a_tombstone(account):
    _deliver(account, "9", ChangeKind.DELETED)
    inbound_items_capture()
    record = Record.objects.get()
    assert not record.versions.exists()
    assert record.events.get().kind == EventKind.DELETED_ON_NETWORK


def test_the_periodic_task_captures(account):
    from townsquare.archive.tasks import capture_inbound_items

    _deliver(account, "1", ChangeKind.CREATED, "Hello")
    capture_inbound_items()
    assert Record.objects.count() == 1
