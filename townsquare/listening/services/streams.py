"""Networks' live streams as a listening source (Mastodon's streaming API, and with it
the built-in sandbox; see ``channels.adapters.streaming``).

Which accounts stream: for every active query that listens beyond the inbox ("search the
networks too", which also follows their live streams), the same accounts its network
search uses: one connected account per network in the query's organisation (streams,
like search results, are public, so one connection per network is enough). A run opens
each such account's stream for a bounded window (``LISTENING_STREAM_SECONDS``, at most
``LISTENING_STREAM_MAX_ITEMS`` posts) every minute, under a lease on the account's
``StreamState`` row, so two workers never read the same stream and a crashed worker's
lease runs out by itself.

What happens to a streamed post, in batches as they arrive:

- it goes through the ingest pipeline (dedupe, enrich, store, archive) as a ``post`` of
  the streaming account, exactly like a news feed's entries; except a post addressed to
  one of our registry accounts (mentioning it or answering it): that one belongs to the
  inbox, which receives it from the account's own notifications as a mention or reply.
  Storing it first as a plain post would make the inbox's copy a duplicate and keep it
  out of the inbox, so it is left to that path;
- it is matched against the queries the stream serves right away (``Match.source``
  "stream"), with the same matching rules as everything else. A match is one row per
  query and network post, so a post seen by the stream, by search and in the inbox is
  counted once, whichever saw it first.

Failures (refused token, rate limit, unreachable server) are kept on the state row with a
code the console explains in the reader's language, and the account is tried again after
an exponential back-off (or the server's Retry-After).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from townsquare.channels.adapters.base import (
    AdapterError,
    AuthExpired,
    MalformedResponse,
    RateLimited,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.base import InboundItem as AdapterItem
from townsquare.channels.adapters.http import backoff_delay
from townsquare.channels.adapters.registry import adapter_class
from townsquare.channels.adapters.streaming import StreamReport
from townsquare.channels.models import Account, AccountStatus, InboundItem
from townsquare.channels.runtime import adapter_for
from townsquare.channels.services.accounts import handle_key
from townsquare.channels.services.credentials import credentials_load
from townsquare.ingest.runner import ingest_stream
from townsquare.listening.models import Match, MatchSource, SavedQuery, StreamState, StreamStatus
from townsquare.listening.query import QueryError, parse
from townsquare.listening.services.matching import (
    ActiveQuery,
    _match_row,
    _rows_for,
    _search_accounts,
)

logger = logging.getLogger(__name__)

FLUSH_ITEMS = 20  # posts are stored and matched in batches of this many, or sooner when
FLUSH_SECONDS = 5.0  # a post arrives this long after the batch began (and at the end)
LEASE_MARGIN = dt.timedelta(seconds=45)  # read timeout and storing the last batch
MAX_BACKOFF = dt.timedelta(hours=1)
MAX_PARALLEL = 4  # streams one run reads at once (threads: the work is waiting on sockets)

STREAM_ERRORS = {
    "auth": gettext_lazy("The network refused the account's access. Reconnect the account "
                         "in the account registry."),
    "rate_limited": gettext_lazy("The network asks us to connect less often; we will try "
                                 "again later."),
    "unavailable": gettext_lazy("The network's streaming server could not be reached or "
                                "failed; we will try again."),
    "refused": gettext_lazy("The network refused the stream (it may not offer streaming "
                            "to this account)."),
    "malformed": gettext_lazy("The network answered with something that is not a stream."),
    "settings": gettext_lazy("The account's settings are not valid for streaming."),
}
STREAM_ENDINGS = {
    "closed": gettext_lazy("The server closed the connection before the window ended."),
    "dropped": gettext_lazy("The connection broke off in the middle of the stream."),
    "timeout": gettext_lazy("The stream went quiet (no heartbeat) and was closed."),
}


def stream_error_text(code: str) -> str:
    return str(STREAM_ERRORS.get(code, code))


def stream_ending_text(code: str) -> str:
    return str(STREAM_ENDINGS.get(code, code)) if code else ""


def _error_code(exc: Exception) -> str:
    if isinstance(exc, AuthExpired):
        return "auth"
    if isinstance(exc, RateLimited):
        return "rate_limited"
    if isinstance(exc, MalformedResponse):
        return "malformed"
    if isinstance(exc, RemoteRejected):
        return "refused"
    if isinstance(exc, TransientError):
        return "unavailable"
    return "settings"  # ValueError: the account's configuration did not validate


# --- which accounts stream, for which queries --------------------------------------------


def streaming_plan() -> dict[int, tuple[Account, list[ActiveQuery]]]:
    """Account id → (account, the queries its stream serves)."""
    plan: dict[int, tuple[Account, list[ActiveQuery]]] = {}
    for saved in SavedQuery.objects.filter(active=True, search_networks=True).select_related(
        "organisation"
    ):
        try:
            node = parse(saved.query)
        except QueryError:
            continue
        query = ActiveQuery(saved, node, saved.organisation.path,
                            saved.organisation.sees_all_organisations)
        for account in _search_accounts(saved):
            if not adapter_class(account.network).capabilities.streaming:
                continue
            plan.setdefault(account.pk, (account, []))[1].append(query)
    return plan


def query_streams(saved: SavedQuery) -> list[tuple[StreamState, str, str]]:
    """For the query's page: (state, error text, how the last window ended) of each
    account that streams for ``saved``; an unsaved state for one not read yet."""
    if not saved.active or not saved.search_networks:
        return []
    accounts = [a for a in _search_accounts(saved)
                if adapter_class(a.network).capabilities.streaming]
    known = {s.account_id: s for s in StreamState.objects.filter(account__in=accounts)}
    rows = []
    for account in accounts:
        state = known.get(account.pk) or StreamState(account=account)
        state.account = account
        rows.append((state, stream_error_text(state.error_code) if state.error_code else "",
                     stream_ending_text(state.last_run_ended)))
    return rows


# --- the lease ---------------------------------------------------------------------------


def _lease_take(account: Account, *, now: dt.datetime, seconds: float) -> str | None:
    try:
        state, _created = StreamState.objects.get_or_create(account=account)
    except IntegrityError:  # another worker created the row a moment ago
        state = StreamState.objects.get(account=account)
    if state.next_attempt_at and state.next_attempt_at > now:
        return None  # backing off after a failure
    token = secrets.token_hex(16)
    taken = StreamState.objects.filter(pk=state.pk).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    ).update(lease_until=now + dt.timedelta(seconds=seconds) + LEASE_MARGIN, lease_token=token)
    return token if taken else None


def _lease_release(account: Account, token: str, **fields: Any) -> None:
    StreamState.objects.filter(account=account, lease_token=token).update(
        lease_until=None, lease_token="", updated_at=timezone.now(), **fields)


# --- reading one stream ------------------------------------------------------------------


@dataclass
class StreamRun:
    account_id: int
    read: bool = False  # False: leased by another worker, or backing off
    items: int = 0
    stored: int = 0
    matched: int = 0
    addressed: int = 0  # left to the inbox path
    error_code: str = ""
    report: StreamReport = field(default_factory=StreamReport)


def account_stream_read(
    *, account: Account, queries: list[ActiveQuery], now: dt.datetime | None = None,
    max_seconds: float | None = None, max_items: int | None = None,
) -> StreamRun:
    """Read ``account``'s stream for one bounded window; store and match what it sends."""
    now = now or timezone.now()
    seconds = float(max_seconds or settings.LISTENING_STREAM_SECONDS)
    limit = int(max_items or settings.LISTENING_STREAM_MAX_ITEMS)
    run = StreamRun(account_id=account.pk)
    token = _lease_take(account, now=now, seconds=seconds)
    if token is None:
        return run
    run.read = True
    pending: list[AdapterItem] = []
    waiting_since = 0.0
    try:
        registry = _Registry(account)
        adapter = adapter_for(account, credentials_load(account))
        for item in adapter.stream(max_seconds=seconds, max_items=limit, report=run.report):
            if not pending:
                waiting_since = time.monotonic()
            pending.append(item)
            if len(pending) >= FLUSH_ITEMS or time.monotonic() - waiting_since >= FLUSH_SECONDS:
                _flush(run, account, queries, pending, registry)
                pending = []
        _flush(run, account, queries, pending, registry)
    except (AdapterError, ValueError) as exc:
        if pending:  # what came before the failure is kept
            _flush(run, account, queries, pending, registry)
        run.error_code = _error_code(exc)
        _failed(account, token, exc, run, now)
        return run
    except BaseException:
        # Anything else (the database, a bug): free the stream for the next run at once
        # rather than when the lease runs out, and let the task report the error.
        _lease_release(account, token)
        raise
    report = run.report
    _lease_release(
        account, token, state=StreamStatus.OK, error_code="", error_detail="", failures=0,
        last_connected_at=now, last_run_items=report.items, last_run_skipped=report.skipped,
        last_run_ended=report.ended_early, next_attempt_at=None,
        **({"last_item_at": timezone.now()} if report.items else {}),
    )
    return run


def _failed(account: Account, token: str, exc: Exception, run: StreamRun,
            now: dt.datetime) -> None:
    failures = (StreamState.objects.filter(account=account)
                .values_list("failures", flat=True).first() or 0) + 1
    retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
    delay = dt.timedelta(seconds=backoff_delay(failures, retry_after=retry_after, base=60.0,
                                               cap=MAX_BACKOFF.total_seconds()))
    logger.info("listening stream of account %s failed: %s", account.pk, exc)
    fields: dict[str, Any] = {
        "state": StreamStatus.FAILING, "error_code": run.error_code,
        "error_detail": str(exc)[:300], "failures": failures,
        "next_attempt_at": now + delay, "last_run_items": run.report.items,
        "last_run_skipped": run.report.skipped, "last_run_ended": "",
    }
    if run.report.connected:
        fields["last_connected_at"] = now
    _lease_release(account, token, **fields)


class _Registry:
    """Our own accounts on the streaming account's network, to tell apart posts
    addressed to one of them (the inbox's) from public talk."""

    def __init__(self, account: Account) -> None:
        self.host = (urlsplit(str(account.config.get("api_base_url", ""))).hostname or "")
        base = str(account.config.get("api_base_url", "")).rstrip("/")
        self.ids: set[str] = set()
        self.handles: set[str] = set()
        self.local_names: set[str] = set()  # usernames of our accounts on this server
        for remote_id, key, config in (
            Account.objects.filter(network=account.network)
            .exclude(status=AccountStatus.RETIRED)
            .values_list("remote_id", "handle_key", "config")
        ):
            self.handles.add(key)
            # Ids and bare usernames are per server: only those of the same server count
            # (the registry's handle may name the server differently from its address).
            if str((config or {}).get("api_base_url", "")).rstrip("/") == base:
                self.local_names.add(key.split("@", 1)[0])
                if remote_id:
                    self.ids.add(str(remote_id))

    def addresses(self, item: AdapterItem) -> bool:
        raw = item.raw
        if str(raw.get("in_reply_to_account_id") or "") in self.ids:
            return True
        for mention in raw.get("mentions") or []:
            if not isinstance(mention, dict):
                continue
            acct = str(mention.get("acct") or "")
            if str(mention.get("id") or "") in self.ids or (
                acct and "@" not in acct and handle_key(acct) in self.local_names
            ):
                return True
            if acct and handle_key(acct if "@" in acct else f"{acct}@{self.host}") in self.handles:
                return True
        return False


def _message(account: Account, item: AdapterItem) -> dict[str, Any]:
    return {
        "account_id": account.pk,
        "remote_id": item.remote_id,
        "kind": "post",
        "text": item.text,
        "created_at": item.created_at.isoformat() if item.created_at else None,
        "author_id": item.author_id,
        "author_handle": item.author_handle,
        "author_name": item.author_name,
        "url": item.url,
        "in_reply_to": item.in_reply_to,
        "conversation_id": item.conversation_id,
        "language": item.language,
        # The network's own payload, kept with the stored item as every inbound event is.
        "network_payload": dict(item.raw),
    }


def _flush(run: StreamRun, account: Account, queries: list[ActiveQuery],
           items: Iterable[AdapterItem], registry: _Registry) -> None:
    public = [i for i in items if not i.is_own and i.text.strip()]
    run.items += len(public)
    if not public:
        return
    to_store = []
    for item in public:
        if registry.addresses(item):
            run.addressed += 1
        else:
            to_store.append(item)
    if to_store:
        report = ingest_stream([_message(account, i) for i in to_store],
                               source=f"stream:{account.pk}", workers=0)
        run.stored += report.result.stored
    stored = dict(InboundItem.objects.filter(
        network=account.network, remote_id__in=[i.remote_id for i in public]
    ).values_list("remote_id", "pk"))
    now = timezone.now()
    rows: list[Match] = []
    for item in public:
        enrichment, hits = _rows_for(queries, network=account.network, text=item.text,
                                     author=item.author_handle, organisation_path=None)
        for query in hits:
            assert enrichment is not None  # noqa: S101 - hits imply an enrichment
            row = _match_row(
                query, enrichment, source=MatchSource.STREAM, network=account.network,
                remote_id=item.remote_id, text=item.text, author=item.author_handle,
                url=item.url, posted_at=item.created_at, now=now,
            )
            row.item_id = stored.get(item.remote_id)
            rows.append(row)
    Match.objects.bulk_create(rows, ignore_conflicts=True)
    run.matched += len(rows)


# --- a run over every account ------------------------------------------------------------


def _read_in_thread(account: Account, queries: list[ActiveQuery], now: dt.datetime,
                    max_seconds: float | None) -> StreamRun:
    try:
        return account_stream_read(account=account, queries=queries, now=now,
                                   max_seconds=max_seconds)
    finally:
        connection.close()  # each thread has its own connection: give it back


def streams_read_due(
    *, now: dt.datetime | None = None, max_seconds: float | None = None,
    parallel: int = MAX_PARALLEL,
) -> list[StreamRun]:
    """One window of every stream that serves a query (those leased elsewhere or backing
    off are left alone). Several streams are read at once, in threads."""
    now = now or timezone.now()
    plan = list(streaming_plan().values())
    if len(plan) <= 1 or parallel <= 1:
        return [account_stream_read(account=a, queries=q, now=now, max_seconds=max_seconds)
                for a, q in plan]
    close_old_connections()
    with ThreadPoolExecutor(max_workers=min(parallel, len(plan)),
                            thread_name_prefix="listening-stream") as pool:
        return list(pool.map(
            lambda entry: _read_in_thread(entry[0], entry[1], now, max_seconds), plan))
