"""Periodic work of the sandbox network: thin, calls the simulator."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from townsquare.sandbox import simulator


@db_periodic_task(crontab(minute="*"))
def sandbox_simulate_minute() -> int:
    """Simulated residents post SANDBOX_MESSAGES_PER_MINUTE messages (0: off)."""
    return len(simulator.simulate_minute())
