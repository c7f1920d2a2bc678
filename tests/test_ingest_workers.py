"""Two ingest workers on real Redis and PostgreSQL; one is killed in the middle of a batch.

Starts a throwaway redis-server on a free loopback port and two Huey consumer processes
(tests/ingest_worker.py, two threads each) sharing the test's PostgreSQL database, submits
a few thousand messages (with redeliveries) as ingest batches, and SIGKILLs one worker
while it is inside a batch's store transaction (its items inserted, not yet committed).
After the lease runs out the requeue job hands the batch to the surviving worker, and
every message must be stored exactly once, with exactly one enrichment row each.

PostgreSQL only: on SQLite the test database lives in memory or in a file other
processes cannot share safely with the test's connection. ``make test`` runs it under
scripts/with_postgres.sh.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection
from django.utils import timezone

from tests.ingest_worker import messages, paused_key, ready_key
from tests.test_huey_redis import _poll, _stop, redis_url  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "ingest_worker.py"
MESSAGES = 3000
BATCH_SIZE = 100
LEASE_SECONDS = 10
DEADLINE_SECONDS = 300


def _database_url() -> str:
    s = connection.settings_dict
    return (f"postgres://{quote(s['USER'])}:{quote(s['PASSWORD'])}@{s['HOST']}:{s['PORT']}/"
            f"{quote(s['NAME'])}")


def _env(redis: str, queue: str, data_dir: Path, **extra: str) -> dict[str, str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "townsquare.settings",
        "REDIS_URL": redis,
        "HUEY_QUEUE_NAME": queue,
        "HUEY_WORKERS": "2",
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": _database_url(),
        "INGEST_LEASE_SECONDS": str(LEASE_SECONDS),
        "SANDBOX_MESSAGES_PER_MINUTE": "0",
        "SECRET_KEY": "ingest-kill-test-" + uuid.uuid4().hex,
        **extra,
    }


def _run(env: dict[str, str], *args: str) -> list[int]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=DEADLINE_SECONDS, check=False,
    )
    assert done.returncode == 0, f"{args[0]} failed: {done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL shared by the worker processes "
                    "(run under scripts/with_postgres.sh, as make test does)")


@pytest.fixture
def account(government, alice):
    from townsquare.channels.services.accounts import account_create

    return account_create(
        actor=alice, organisation=government["transport"], network="mastodon",
        handle="@transport@sandbox.local", display_name="Transport Agency",
        responsible=alice, languages=["en", "ar"],
    )


def test_killed_worker_mid_batch_loses_and_duplicates_nothing(
    postgres_only, redis_url, tmp_path, account  # noqa: F811
):
    from townsquare.channels.models import InboundItem
    from townsquare.ingest.models import BatchState, IngestBatch, ItemEnrichment

    queue = f"townsquare-ingest-{uuid.uuid4().hex[:12]}"
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    victim = subprocess.Popen(
        [sys.executable, str(SCRIPT), "work"], cwd=ROOT,
        env=_env(redis_url, queue, tmp_path / "victim", INGEST_TEST_PAUSE_AT="2"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    survivor = subprocess.Popen(
        [sys.executable, str(SCRIPT), "work"], cwd=ROOT,
        env=_env(redis_url, queue, tmp_path / "survivor"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    producer_env = _env(redis_url, queue, tmp_path / "producer")
    try:
        pids = {str(victim.pid), str(survivor.pid)}
        _poll(lambda: client.smembers(ready_key(queue)) >= pids
              or victim.poll() is not None or survivor.poll() is not None, seconds=90)
        assert victim.poll() is None and survivor.poll() is None, "a worker did not start"
        assert client.smembers(ready_key(queue)) >= pids, "the workers did not start in time"

        batch_ids = _run(producer_env, "submit", str(account.pk), str(MESSAGES), str(BATCH_SIZE))
        assert len(batch_ids) == -(-len(messages(account.pk, MESSAGES)) // BATCH_SIZE)

        assert _poll(lambda: client.get(paused_key(queue)) is not None
                     or victim.poll() is not None, seconds=DEADLINE_SECONDS), \
            "the victim worker never reached its second batch"
        assert victim.poll() is None, "the victim worker stopped before it could be killed"
        killed_batch = int(client.get(paused_key(queue)))
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)

        def only_stalled_left() -> bool:
            # Unclaimed or under a live lease: still the survivor's work.
            pending = IngestBatch.objects.filter(pk__in=batch_ids, state=BatchState.PENDING)
            live = pending.exclude(leased_until__lt=timezone.now())
            return not live.exists() or survivor.poll() is not None

        # The survivor works through the rest; the killed worker's batches (the paused one
        # and whatever its second thread held) stay pending until their leases run out.
        assert _poll(only_stalled_left, seconds=DEADLINE_SECONDS, interval=0.5), \
            "the surviving worker did not work through the queue"
        assert survivor.poll() is None, "the surviving worker stopped"
        stalled = IngestBatch.objects.get(pk=killed_batch)
        assert stalled.state == BatchState.PENDING and stalled.attempts == 1
        # Its items were inserted, then the transaction died with the worker (items that
        # appear again in a later batch, every 25th, may have been stored by that one).
        only_here = [rid for rid in (json.loads(r)["remote_id"] for r in _raw_of(stalled))
                     if int(rid.removeprefix("kill-")) % 25]
        assert not InboundItem.objects.filter(remote_id__in=only_here).exists(), \
            "the killed transaction's items must have been rolled back"

        # What the periodic job runs every minute.
        requeued = _run(producer_env, "requeue")
        assert killed_batch in requeued

        def all_done() -> bool:
            return (not IngestBatch.objects.filter(pk__in=batch_ids,
                                                   state=BatchState.PENDING).exists()
                    or survivor.poll() is not None)

        assert _poll(all_done, seconds=DEADLINE_SECONDS, interval=0.5), \
            "the requeued batch was never stored"
        assert survivor.poll() is None, "the surviving worker stopped"
    finally:
        for worker in (victim, survivor):
            _stop(worker, signal.SIGINT)
        logs = {w.pid: (w.stdout.read() if w.stdout else "")[-3000:] for w in (victim, survivor)}

    items = InboundItem.objects.filter(account=account)
    expected = {f"kill-{i}" for i in range(MESSAGES)}
    stored = list(items.values_list("remote_id", flat=True))
    assert len(stored) == len(set(stored)), "an item was stored twice"
    missing = expected - set(stored)
    assert not missing, f"{len(missing)} items lost, e.g. {sorted(missing)[:5]}; logs: {logs}"
    assert set(stored) == expected
    assert ItemEnrichment.objects.filter(item__account=account).count() == MESSAGES
    assert IngestBatch.objects.get(pk=killed_batch).attempts == 2


def _raw_of(batch) -> list[bytes]:
    from townsquare.ingest.stages import unpack

    return [bytes(r) for r in unpack(batch.payload)]
