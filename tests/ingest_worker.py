"""Processes for the two-worker ingest kill test (test helper, never imported by the product).

Run as ``python tests/ingest_worker.py MODE`` with REDIS_URL, HUEY_QUEUE_NAME and
DATABASE_URL set, so Django's settings choose RedisHuey and the shared PostgreSQL exactly
as a multi-host deployment does:

- ``work``: a Huey consumer built as ``manage.py run_huey`` builds it (no periodic jobs;
  the test runs the requeue itself so it does not wait for the minute). With
  ``INGEST_TEST_PAUSE_AT=N`` the process stops inside the store transaction of the N-th
  batch it stores, after its items were inserted and before commit, writes the batch id
  to ``<queue>:ingest:paused`` in Redis and waits there to be killed. The hook wraps the
  product's functions from outside, so the product has no test-only branch.
- ``submit ACCOUNT_ID COUNT BATCH_SIZE``: ``batches_submit`` a multilingual stream (with
  repeats of earlier messages), as a web process or an importer would.
- ``requeue``: ``batches_requeue_stalled``, what the periodic job runs every minute.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [
    "The 12 bus has not come for 40 minutes #bus",
    "متى يعاد فتح مركز الصحة في الحي الشمالي؟",
    "请问下周供水维修会影响哪些小区？",
    "Thank you for fixing the streetlight on Harbour Road 👏",
    "الحافلة رقم 7 متأخرة مرة أخرى",
    "地铁二号线今天早上又延误了",
]
PAUSE_SECONDS = 600  # bounded: a forgotten paused worker ends by itself


def ready_key(queue: str) -> str:
    return f"{queue}:ingest:ready"


def paused_key(queue: str) -> str:
    return f"{queue}:ingest:paused"


def messages(account_id: int, count: int) -> list[bytes]:
    """``count`` distinct messages, then every 25th again (a redelivering source)."""
    unique = [
        json.dumps(
            {"account_id": account_id, "remote_id": f"kill-{i}",
             "text": f"{TEXTS[i % len(TEXTS)]} ({i})", "author_handle": f"resident{i % 97}"},
            ensure_ascii=False,
        ).encode("utf-8")
        for i in range(count)
    ]
    return unique + unique[::25]


def _install_pause_hook(queue: str, pause_at: int) -> None:
    import redis

    from townsquare.channels.models import InboundItem
    from townsquare.ingest import pipeline, services

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    current = threading.local()
    stored = {"count": 0}
    lock = threading.Lock()
    original_claim = services.batch_claim
    original_insert = pipeline.insert_ignoring_conflicts

    def claim(**kwargs: Any) -> Any:
        batch = original_claim(**kwargs)
        current.batch_id = batch.pk if batch is not None else None
        return batch

    def insert(model: Any, rows: Any, **kwargs: Any) -> None:
        original_insert(model, rows, **kwargs)
        if model is not InboundItem or not rows:
            return
        with lock:
            stored["count"] += 1
            pause = stored["count"] == pause_at
        if pause:
            client.set(paused_key(queue), str(getattr(current, "batch_id", "")))
            deadline = time.monotonic() + PAUSE_SECONDS
            while time.monotonic() < deadline:
                time.sleep(0.1)
            raise SystemExit("paused worker was never killed")

    services.batch_claim = claim  # type: ignore[assignment]
    pipeline.insert_ignoring_conflicts = insert  # type: ignore[assignment]


def work() -> None:
    from django.conf import settings
    from django.utils.module_loading import autodiscover_modules
    from huey.consumer_options import ConsumerConfig
    from huey.contrib.djhuey import HUEY

    queue = HUEY.name
    autodiscover_modules("tasks")
    pause_at = int(os.environ.get("INGEST_TEST_PAUSE_AT", "0"))
    if pause_at:
        _install_pause_hook(queue, pause_at)
    conn = HUEY.storage.conn

    @HUEY.on_startup(name="townsquare-test-ingest-ready")
    def mark_ready() -> None:
        conn.sadd(ready_key(queue), os.getpid())

    options = dict(settings.HUEY.get("consumer", {}))
    options.update(periodic=False, shutdown_timeout=30)
    config = ConsumerConfig(**options)
    config.validate()
    logger = logging.getLogger("huey")
    if not logger.handlers:
        config.setup_logger(logger)
    logger.setLevel(logging.WARNING)
    HUEY.create_consumer(**config.values).run()


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("ingest_worker.py needs REDIS_URL")
    import django

    django.setup()
    mode = sys.argv[1]
    if mode == "work":
        work()
    elif mode == "submit":
        from townsquare.ingest.services import batches_submit

        account_id, count, size = (int(a) for a in sys.argv[2:5])
        ids = batches_submit(source="kill-test", messages=messages(account_id, count),
                             batch_size=size)
        sys.stdout.write(json.dumps(ids) + "\n")
    elif mode == "requeue":
        from townsquare.ingest.services import batches_requeue_stalled

        sys.stdout.write(json.dumps(batches_requeue_stalled()) + "\n")
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
