"""Inbound items: exactly-once recording (inbound_apply) against a raw bulk insert.

The baseline writes the same rows with one bulk INSERT and no checks: the storage
limit. The ratio shows what deduplication and out-of-order handling cost on top.
"""

from __future__ import annotations

import datetime as dt
import random
import time

N_ITEMS = 3000
DUPLICATE_SHARE = 0.2
TEXTS = (
    "The number 12 bus has not come for 40 minutes at Harbour Road",
    "متى يعاد فتح مركز الصحة في الحي الشمالي؟ شكرا لكم",
    "请问下周供水维修会影响哪些小区？",
    "Thank you for fixing the streetlight so quickly 👏🏽",
    "🚨 Flooding on Corniche Street near the fish market, cars stuck",
)


def _setup():
    from townsquare.channels.services.accounts import account_create
    from townsquare.organisations.models import OrganisationKind
    from townsquare.organisations.services import organisation_create

    gov = organisation_create(
        actor=None,
        kind=OrganisationKind.GOVERNMENT,
        name="Bench Gov",
        slug=f"bench-{random.randrange(10**9)}",
    )
    return account_create(
        actor=None,
        organisation=gov,
        network="mastodon",
        handle=f"@bench{random.randrange(10**9)}@sandbox.local",
    )


def _changes(prefix: str):
    from townsquare.channels.adapters.base import ChangeKind, InboundChange, InboundItem, ItemKind

    rng = random.Random(7)
    base = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    unique = int(N_ITEMS * (1 - DUPLICATE_SHARE))
    changes = []
    for n in range(N_ITEMS):
        k = n if n < unique else rng.randrange(unique)  # redelivered items
        item = InboundItem(
            remote_id=f"{prefix}{k}",
            kind=ItemKind.MENTION,
            text=TEXTS[k % len(TEXTS)],
            created_at=base + dt.timedelta(seconds=k),
            author_id=str(k % 97),
            author_handle=f"citizen{k % 97}",
        )
        changes.append(
            InboundChange(
                kind=ChangeKind.CREATED, remote_id=item.remote_id, account_ref="", item=item
            )
        )
    return changes, unique


def run() -> None:
    from townsquare.channels.models import InboundItem
    from townsquare.channels.services.inbound import inbound_apply

    account = _setup()
    changes, unique = _changes("a")
    started = time.perf_counter()
    for change in changes:
        inbound_apply(account=account, change=change, via="poll")
    pipeline = time.perf_counter() - started
    stored = InboundItem.objects.filter(account=account).count()
    if stored != unique:
        raise RuntimeError(f"expected {unique} unique items, found {stored}")

    raw_changes, _ = _changes("b")
    seen: set[str] = set()
    rows = []
    for change in raw_changes:
        if change.remote_id in seen or change.item is None:
            continue
        seen.add(change.remote_id)
        rows.append(
            InboundItem(
                account=account,
                network=account.network,
                remote_id=change.remote_id,
                kind=change.item.kind.value,
                text=change.item.text,
                author_id=change.item.author_id,
                author_handle=change.item.author_handle,
                remote_created_at=change.item.created_at,
                first_seen_via="bulk",
            )
        )
    started = time.perf_counter()
    InboundItem.objects.bulk_create(rows, batch_size=500)
    baseline = time.perf_counter() - started

    print(
        f"inbound_apply: {N_ITEMS} deliveries ({unique} unique, "
        f"{N_ITEMS - unique} redelivered) in {pipeline:.2f} s = "
        f"{N_ITEMS / pipeline:,.0f} deliveries/s"
    )
    print(
        f"baseline bulk insert of the {len(rows)} unique rows: {baseline:.3f} s = "
        f"{len(rows) / baseline:,.0f} rows/s"
    )
    print(
        f"ratio (bulk rows/s ÷ inbound_apply deliveries/s): "
        f"{(len(rows) / baseline) / (N_ITEMS / pipeline):.1f}×"
    )
