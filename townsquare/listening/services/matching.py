"""Matching posts against active saved queries: everything that reaches the inbox
(channels' InboundItem rows, scanned with a database cursor) and, for queries that opt
in, the networks' own search.

Exactly-once effect: a match is one row per query and network post (unique
constraint), inserted with ``ignore_conflicts``, so a scan that is retried, runs twice
at once or sees the same post through the inbox and through search adds nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from townsquare.channels.adapters.base import AdapterError, ChannelAdapter, ItemKind, NotSupported
from townsquare.channels.adapters.base import InboundItem as AdapterItem
from townsquare.channels.adapters.registry import adapter_class
from townsquare.channels.models import Account, AccountStatus, ConnectionState, InboundItem
from townsquare.channels.runtime import adapter_for
from townsquare.channels.services.credentials import credentials_load
from townsquare.listening.models import ListeningCursor, Match, MatchSource, SavedQuery
from townsquare.listening.query import Document, Node, QueryError, document, matches, parse
from townsquare.listening.query import positive_terms as query_positive_terms
from townsquare.nlp.enrichment import Enrichment, enrich
from townsquare.nlp.normalise import to_text

logger = logging.getLogger(__name__)

INBOX_CURSOR = "inbox"
SCAN_BATCH = 500
# Rows are only scanned once they are this old: ids are handed out before commit, so a
# slow transaction can commit an id below the cursor; waiting lets it land first.
SETTLE = dt.timedelta(seconds=10)
MAX_SEARCH_TERMS = 5  # network searches per query, account and run (API quota)
MAX_SEARCH_PAGES = 3


@dataclass(frozen=True)
class ActiveQuery:
    saved: SavedQuery
    node: Node
    path: str  # organisation path: which accounts' inbox it may read
    everywhere: bool  # the communications office listens across all agencies

    def accepts(self, *, network: str, language: str, languages: Iterable[str]) -> bool:
        if self.saved.networks and network not in self.saved.networks:
            return False
        wanted = set(self.saved.languages)
        return not wanted or language in wanted or bool(wanted & set(languages))

    def may_read(self, organisation_path: str) -> bool:
        return self.everywhere or organisation_path.startswith(self.path)


def active_queries() -> list[ActiveQuery]:
    found = []
    for saved in SavedQuery.objects.filter(active=True).select_related("organisation"):
        try:
            node = parse(saved.query)
        except QueryError:  # saved before a rule change: leave it out, never crash the scan
            logger.warning("listening query %s no longer parses", saved.pk)
            continue
        found.append(
            ActiveQuery(saved, node, saved.organisation.path,
                        saved.organisation.sees_all_organisations)
        )
    return found


def _document(enrichment: Enrichment, author: str) -> Document:
    return document(
        enrichment.search_text,
        hashtags=enrichment.hashtags,
        mentions=enrichment.mentions,
        author=author,
    )


def _storable(value: str) -> str:
    """Text any database keeps: network search results are not stored by channels first,
    and PostgreSQL refuses NUL characters and lone surrogates in text columns."""
    return to_text(value).replace("\x00", "")


def _match_row(
    query: ActiveQuery, enrichment: Enrichment, *, source: str, network: str, remote_id: str,
    text: str, author: str, url: str, posted_at: dt.datetime | None, now: dt.datetime,
    item: InboundItem | None = None,
) -> Match:
    sentiment = enrichment.sentiment
    return Match(
        query=query.saved, item=item, source=source, network=network,
        remote_id=_storable(remote_id)[:200], text=_storable(text),
        author_handle=_storable(author)[:200], url=_storable(url)[:500],
        posted_at=posted_at, matched_at=now, language=enrichment.language[:16],
        sentiment=sentiment.label if sentiment else "",
        sentiment_score=sentiment.score if sentiment else None,
        topic=(enrichment.topic or "")[:60], keywords=list(enrichment.keywords),
        hashtags=list(enrichment.hashtags), mentions=list(enrichment.mentions),
        urls=list(enrichment.urls),
    )


def _rows_for(
    queries: list[ActiveQuery], *, network: str, text: str, author: str,
    organisation_path: str | None,
) -> tuple[Enrichment | None, list[ActiveQuery]]:
    """The queries a post matches (enriching the post only if some query could)."""
    candidates = [
        q for q in queries
        if (organisation_path is None or q.may_read(organisation_path))
        and (not q.saved.networks or network in q.saved.networks)
    ]
    if not candidates or not text.strip():
        return None, []
    enrichment = enrich(text)
    doc = _document(enrichment, author)
    hits = [
        q for q in candidates
        if q.accepts(network=network, language=enrichment.language,
                     languages=enrichment.languages)
        and matches(q.node, doc)
    ]
    return enrichment, hits


def inbox_items_match(*, now: dt.datetime | None = None, batch_size: int = SCAN_BATCH) -> int:
    """Match one batch of new inbox items against every active query; returns how many
    items were read (call again while it returns ``batch_size``)."""
    now = now or timezone.now()
    queries = active_queries()
    with transaction.atomic():
        cursor, _ = ListeningCursor.objects.select_for_update().get_or_create(name=INBOX_CURSOR)
        last = int(cursor.position or 0)
        items = list(
            InboundItem.objects.filter(pk__gt=last, first_seen_at__lte=now - SETTLE)
            .select_related("account__organisation")
            .order_by("pk")[:batch_size]
        )
        rows: list[Match] = []
        for item in items:
            # Agencies' own posts are what they said, not what the public says; private
            # messages are the inbox's, never listening material.
            if item.is_own or not item.has_content or item.kind == ItemKind.DIRECT_MESSAGE:
                continue
            enrichment, hits = _rows_for(
                queries, network=item.network, text=item.text, author=item.author_handle,
                organisation_path=item.account.organisation.path,
            )
            for query in hits:
                assert enrichment is not None  # noqa: S101 - hits imply an enrichment
                rows.append(_match_row(
                    query, enrichment, source=MatchSource.INBOX, network=item.network,
                    remote_id=item.remote_id, text=item.text, author=item.author_handle,
                    url=item.url, posted_at=item.remote_created_at or item.first_seen_at,
                    now=now, item=item,
                ))
        Match.objects.bulk_create(rows, ignore_conflicts=True)
        if items:
            cursor.position = str(items[-1].pk)
            cursor.save(update_fields=["position", "updated_at"])
    return len(items)


def inbox_catch_up(*, now: dt.datetime | None = None, max_batches: int = 20) -> int:
    """Scan batches until the inbox is caught up (bounded, so one run cannot hog a worker)."""
    total = 0
    for _ in range(max_batches):
        read = inbox_items_match(now=now)
        total += read
        if read < SCAN_BATCH:
            break
    return total


@dataclass
class SearchOutcome:
    searched: int = 0
    found: int = 0
    skipped_networks: int = 0
    failures: int = 0


def _search_accounts(saved: SavedQuery) -> list[Account]:
    """Connected accounts of the query's organisation (and below) that can search."""
    accounts = (
        Account.objects.filter(
            organisation__path__startswith=saved.organisation.path,
            connection_state=ConnectionState.CONNECTED,
        )
        .exclude(status=AccountStatus.RETIRED)
        .select_related("organisation")
        .order_by("pk")
    )
    if saved.networks:
        accounts = accounts.filter(network__in=saved.networks)
    usable: list[Account] = []
    seen_networks: set[str] = set()
    for account in accounts:
        # One account per network is enough: search results are public, not per account.
        if account.network in seen_networks:
            continue
        seen_networks.add(account.network)
        usable.append(account)
    return usable


def query_search_networks(
    *, saved: SavedQuery, now: dt.datetime | None = None
) -> SearchOutcome:
    """Ask each network's search for the query's terms; store what the query matches."""
    now = now or timezone.now()
    outcome = SearchOutcome()
    try:
        node = parse(saved.query)
    except QueryError:
        return outcome
    query = ActiveQuery(saved, node, saved.organisation.path,
                        saved.organisation.sees_all_organisations)
    terms = query_positive_terms(node)[:MAX_SEARCH_TERMS]
    for account in _search_accounts(saved):
        if not adapter_class(account.network).capabilities.search:
            outcome.skipped_networks += 1
            continue
        try:
            adapter = adapter_for(account, credentials_load(account))
        except (AdapterError, ValueError) as exc:
            logger.warning("listening search: account %s unusable: %s", account.pk, exc)
            outcome.failures += 1
            continue
        for term in terms:
            try:
                found = _search_term(query, adapter, account, term, now)
            except NotSupported:
                outcome.skipped_networks += 1
                break
            except AdapterError as exc:
                logger.warning("listening search on %s failed: %s", account.network, exc)
                outcome.failures += 1
                continue
            outcome.searched += 1
            outcome.found += found
    return outcome


def _search_term(
    query: ActiveQuery, adapter: ChannelAdapter, account: Account, term: str, now: dt.datetime
) -> int:
    name = f"search:{query.saved.pk}:{account.pk}:{term}"[:300]
    cursor, _ = ListeningCursor.objects.get_or_create(name=name)
    position: str | None = cursor.position or None
    rows: list[Match] = []
    for _page in range(MAX_SEARCH_PAGES):
        result = adapter.search(term, position)
        for item in result.items:
            rows.extend(_search_rows(query, account.network, item, now))
        if not result.cursor or result.cursor == position:
            break
        position = result.cursor
    Match.objects.bulk_create(rows, ignore_conflicts=True)
    # Results first, cursor after: a crash in between searches again, and dedupe absorbs it.
    cursor.position = position or ""
    cursor.save(update_fields=["position", "updated_at"])
    return len(rows)


def _search_rows(
    query: ActiveQuery, network: str, item: AdapterItem, now: dt.datetime
) -> list[Match]:
    if item.is_own:
        return []
    enrichment, hits = _rows_for(
        [query], network=network, text=item.text, author=item.author_handle,
        organisation_path=None,
    )
    if enrichment is None:
        return []
    return [
        _match_row(q, enrichment, source=MatchSource.SEARCH, network=network,
                   remote_id=item.remote_id, text=item.text, author=item.author_handle,
                   url=item.url, posted_at=item.created_at, now=now)
        for q in hits
    ]


def searching_queries_run(*, now: dt.datetime | None = None) -> SearchOutcome:
    total = SearchOutcome()
    for saved in SavedQuery.objects.filter(active=True, search_networks=True).select_related(
        "organisation"
    ):
        outcome = query_search_networks(saved=saved, now=now)
        total.searched += outcome.searched
        total.found += outcome.found
        total.skipped_networks += outcome.skipped_networks
        total.failures += outcome.failures
    return total
