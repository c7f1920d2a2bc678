"""A probe task for the multi-worker Huey test (test helper, never imported by the product).

Every run of ``probe(number)`` adds one to ``<queue>:runs[number]`` and to
``<queue>:pids[<worker pid>]`` in one Redis transaction, so the test can tell whether a
task ran zero, one or several times, and which worker processes did the work.
"""

from __future__ import annotations

import os
import time

from huey import Huey
from huey.api import TaskWrapper

PROBE_TASK_NAME = "townsquare-test-probe"


def runs_key(queue_name: str) -> str:
    return f"{queue_name}:probe:runs"


def pids_key(queue_name: str) -> str:
    return f"{queue_name}:probe:pids"


def ready_key(queue_name: str) -> str:
    return f"{queue_name}:probe:ready"


def register_probe(huey: Huey) -> TaskWrapper:
    """Register the probe task (and a start-up marker) on ``huey``, a Redis-backed Huey."""
    conn = huey.storage.conn
    queue_name = huey.name

    @huey.on_startup(name="townsquare-test-probe-ready")
    def mark_ready() -> None:
        conn.sadd(ready_key(queue_name), os.getpid())

    @huey.task(name=PROBE_TASK_NAME)
    def probe(number: int) -> None:
        # A little work, so one fast worker cannot drain the queue alone.
        time.sleep(0.002)
        pipe = conn.pipeline(transaction=True)
        pipe.hincrby(runs_key(queue_name), str(number), 1)
        pipe.hincrby(pids_key(queue_name), str(os.getpid()), 1)
        pipe.execute()

    return probe
