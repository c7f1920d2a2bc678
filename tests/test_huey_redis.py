"""Many workers share one Redis queue, and every task runs exactly once.

Starts a real redis-server (Debian package) on a free loopback port and two separate
Huey consumer processes (two threads each) configured through Django settings with
REDIS_URL, queues 1,000 probe tasks and checks that each ran exactly once and that both
processes took part.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from huey import RedisHuey

from tests.huey_probe import pids_key, ready_key, register_probe, runs_key

pytestmark = [pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
WORKER_SCRIPT = Path(__file__).resolve().parent / "huey_worker.py"
TASK_COUNT = 1000
WORKER_PROCESSES = 2
THREADS_PER_WORKER = 2
DEADLINE_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _poll(condition, *, seconds: float, interval: float = 0.1) -> bool:
    """True once ``condition()`` holds; False if it still does not after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed (Debian package redis-server; make test adds it)"
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path), "--protected-mode", "yes", "--loglevel", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)

    def answers() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    try:
        assert _poll(answers, seconds=20), "redis-server did not start"
        yield url
    finally:
        client.close()
        _stop(server)


def _start_worker(redis_url: str, queue_name: str, data_dir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "townsquare.settings",
        "REDIS_URL": redis_url,
        "HUEY_QUEUE_NAME": queue_name,
        "HUEY_WORKERS": str(THREADS_PER_WORKER),
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'worker.sqlite3'}",
        "SECRET_KEY": "multi-worker-test-" + uuid.uuid4().hex,
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, str(WORKER_SCRIPT)], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def test_thousand_tasks_run_exactly_once_across_two_worker_processes(redis_url, tmp_path):
    queue_name = f"townsquare-test-{uuid.uuid4().hex[:12]}"
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    producer = RedisHuey(queue_name, url=redis_url)
    probe = register_probe(producer)

    workers = [
        _start_worker(redis_url, queue_name, tmp_path / f"worker{i}")
        for i in range(WORKER_PROCESSES)
    ]
    try:
        worker_pids = {str(w.pid) for w in workers}

        def all_workers_ready() -> bool:
            return client.smembers(ready_key(queue_name)) >= worker_pids

        def any_worker_died() -> bool:
            return any(w.poll() is not None for w in workers)

        _poll(lambda: all_workers_ready() or any_worker_died(), seconds=60)
        assert not any_worker_died(), "a worker stopped during start-up"
        assert all_workers_ready(), "a worker did not start within a minute"

        for number in range(TASK_COUNT):
            probe(number)

        def all_ran() -> bool:
            return client.hlen(runs_key(queue_name)) >= TASK_COUNT or any_worker_died()

        _poll(all_ran, seconds=DEADLINE_SECONDS, interval=0.2)
        assert not any_worker_died(), "a worker stopped while the queue was being worked"
    finally:
        # SIGINT is Huey's graceful stop: tasks in flight finish, then the process exits,
        # so nothing can run after the counts below are read.
        for worker in workers:
            _stop(worker, signal.SIGINT)
        logs = {w.pid: (w.stdout.read() if w.stdout else "") for w in workers}

    runs = {int(k): int(v) for k, v in client.hgetall(runs_key(queue_name)).items()}
    by_pid = {k: int(v) for k, v in client.hgetall(pids_key(queue_name)).items()}

    missing = sorted(set(range(TASK_COUNT)) - set(runs))
    repeated = sorted(n for n, count in runs.items() if count != 1)
    assert not missing, f"{len(missing)} tasks never ran, e.g. {missing[:5]}; logs: {logs}"
    assert not repeated, f"{len(repeated)} tasks ran more than once, e.g. {repeated[:5]}"
    assert set(runs) == set(range(TASK_COUNT))
    assert sum(by_pid.values()) == TASK_COUNT
    assert set(by_pid) == worker_pids, f"work per process: {by_pid}"
    assert all(count > 0 for count in by_pid.values())
    assert producer.pending_count() == 0
