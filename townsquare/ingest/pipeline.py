"""The database stages of one batch: resolve accounts and dedupe, store, index, route.

``batch_prepare`` turns raw messages into candidates (reads only); ``batch_store`` writes
items, their enrichment (the search index column included) and dead letters in one
transaction. Inserts (``writer``) ignore conflicts on the unique keys (network + remote
id for items, the item for enrichment, the fingerprint for dead letters), so storing
the same batch twice, or two overlapping batches at once, has the effect of once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from townsquare.channels.models import Account, InboundItem
from townsquare.ingest.attribution import organisations_of
from townsquare.ingest.models import BatchState, IngestBatch, ItemEnrichment, Rejection
from townsquare.ingest.routing import route_new_items
from townsquare.ingest.stages import Candidate, Raw, Rejected, decode_and_validate, dedupe
from townsquare.ingest.writer import insert_ignoring_conflicts

# Any constant: the key of the PostgreSQL advisory lock that orders ingest writers.
_WRITER_LOCK = 0x7E57_1A6E


@dataclass
class Prepared:
    source: str
    to_enrich: list[Candidate]
    rejected: list[Rejected]
    duplicates: int
    received: int


@dataclass
class BatchResult:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    new_item_ids: list[int] = field(default_factory=list)

    def add(self, other: BatchResult) -> None:
        self.received += other.received
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.rejected += other.rejected


def batch_prepare(raws: list[Raw], *, source: str, max_chars: int) -> Prepared:
    """Decode, validate, find accounts and drop what is already stored and enriched."""
    decoded = decode_and_validate(raws, max_chars=max_chars)
    rejected = [d for d in decoded if isinstance(d, Rejected)]
    candidates = [d for d in decoded if isinstance(d, Candidate)]
    candidates, unknown = _resolve_accounts(candidates)
    rejected.extend(unknown)
    unique, repeats = dedupe(candidates)
    done = _already_enriched(unique)
    to_enrich = [c for c in unique if c.key not in done]
    return Prepared(
        source=source,
        to_enrich=to_enrich,
        rejected=rejected,
        duplicates=repeats + len(unique) - len(to_enrich),
        received=len(raws),
    )


def _resolve_accounts(candidates: list[Candidate]) -> tuple[list[Candidate], list[Rejected]]:
    ids = {c.account_id for c in candidates if c.account_id is not None}
    refs = {(c.network, c.account_ref) for c in candidates if c.account_id is None}
    by_id = dict(Account.objects.filter(pk__in=ids).values_list("pk", "network")) if ids else {}
    by_ref: dict[tuple[str, str], tuple[int, str]] = {}
    for network in {n for n, _ in refs}:
        wanted = [r for n, r in refs if n == network]
        for pk, remote_id in Account.objects.filter(
            network=network, remote_id__in=wanted
        ).values_list("pk", "remote_id"):
            by_ref[(network, remote_id)] = (pk, network)
    found: list[Candidate] = []
    unknown: list[Rejected] = []
    for c in candidates:
        if c.account_id is not None and c.account_id in by_id:
            network = by_id[c.account_id]
            if c.network and c.network != network:
                unknown.append(_reject(c, "unknown_account", "the account is on another network"))
                continue
            c.network = network
        elif c.account_id is None and (c.network, c.account_ref) in by_ref:
            c.account_id, c.network = by_ref[(c.network, c.account_ref)]
        else:
            unknown.append(_reject(c, "unknown_account", "no such account in the registry"))
            continue
        found.append(c)
    return found, unknown


def _reject(c: Candidate, reason: str, detail: str) -> Rejected:
    return Rejected(reason, detail, c.raw_bytes, c.network[:20], c.remote_id)


def _existing(keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, bool]]:
    """(network, remote id) -> (item id, has enrichment) for the keys already stored."""
    by_network: dict[str, list[str]] = defaultdict(list)
    for network, remote_id in keys:
        by_network[network].append(remote_id)
    found: dict[tuple[str, str], tuple[int, bool]] = {}
    for network, remote_ids in by_network.items():
        rows = InboundItem.objects.filter(network=network, remote_id__in=remote_ids).values_list(
            "remote_id", "pk", "enrichment__item_id"
        )
        for remote_id, pk, enriched in rows:
            found[(network, remote_id)] = (pk, enriched is not None)
    return found


def _already_enriched(candidates: list[Candidate]) -> set[tuple[str, str]]:
    existing = _existing([c.key for c in candidates])
    return {key for key, (_pk, enriched) in existing.items() if enriched}


def _lock_writers() -> None:
    """Order ingest writers on PostgreSQL until commit.

    The archive reads new items by id past a cursor. With two writers at once, a
    transaction holding lower ids could commit after one holding higher ids has been
    read, and the archive would skip it. One writer at a time (enrichment, the costly
    part, still runs in parallel) keeps ids committed in order. SQLite has one writer.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_WRITER_LOCK])


def _item_row(c: Candidate, now: dt.datetime) -> dict[str, Any]:
    return {
        "account_id": c.resolved_account_id,
        "network": c.network,
        "remote_id": c.remote_id,
        "kind": c.kind,
        "text": c.text,
        "raw": c.raw,
        "remote_created_at": c.created_at,
        "last_change_at": c.created_at or now,
        "first_seen_at": now,
        "first_seen_via": "ingest",
        **c.fields,
    }


def batch_store(
    prepared: Prepared,
    enrichments: list[dict[str, Any]],
    *,
    batch: IngestBatch | None = None,
    now: dt.datetime | None = None,
) -> BatchResult:
    """Store items, enrichment and dead letters at once; route new items after commit."""
    now = now or timezone.now()
    candidates = prepared.to_enrich
    with transaction.atomic():
        _lock_writers()
        before = _existing([c.key for c in candidates])
        new_rows = [_item_row(c, now) for c in candidates if c.key not in before]
        insert_ignoring_conflicts(InboundItem, new_rows, now=now)
        after = _existing([c.key for c in candidates]) if new_rows else before
        insert_ignoring_conflicts(
            ItemEnrichment,
            [
                {"item_id": after[c.key][0], **values}
                for c, values in zip(candidates, enrichments, strict=True)
                if c.key in after and not after[c.key][1]
            ],
            now=now,
        )
        owners = organisations_of(prepared.rejected)
        insert_ignoring_conflicts(
            Rejection,
            [
                {
                    "organisation_id": owner,
                    "batch_id": batch.pk if batch else None,
                    "source": prepared.source[:100],
                    "fingerprint": r.fingerprint(prepared.source),
                    "reason": r.reason,
                    "detail": r.detail[:300],
                    "network": r.network,
                    "remote_id": r.remote_id,
                    "raw": r.raw,
                }
                for r, owner in zip(prepared.rejected, owners, strict=True)
            ],
            now=now,
        )
        new_ids = sorted(pk for key, (pk, _e) in after.items() if key not in before)
        result = BatchResult(
            received=prepared.received,
            stored=len(new_ids),
            duplicates=prepared.duplicates + len(candidates) - len(new_ids),
            rejected=len(prepared.rejected),
            new_item_ids=new_ids,
        )
        if batch is not None:
            IngestBatch.objects.filter(pk=batch.pk).update(
                state=BatchState.DONE,
                payload=[],
                finished_at=now,
                leased_until=None,
                stored=result.stored,
                duplicates=result.duplicates,
                rejected=result.rejected,
            )
        transaction.on_commit(lambda: route_new_items(new_ids))
    return result
