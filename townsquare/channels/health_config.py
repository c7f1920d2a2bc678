"""Thresholds of account health and ghost accounts, from the environment.

Read once by settings.py at start-up (no Django imports here), so a bad value stops the
installation from starting with a message naming the variable, instead of producing
odd ghost reports later. What each threshold means: the docstring of channels/health.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from townsquare.core.env import ConfigurationError

MAX_DAYS = 3650  # ten years: anything longer is a typo, not a policy


@dataclass(frozen=True)
class HealthThresholds:
    # Ghost: no own post or reply for this many days.
    ghost_idle_days: int = 90
    # ... and at least this many followers ("followers but no activity").
    ghost_min_followers: int = 100
    # "Activity but no replies": at least this many citizen messages in 30 days ...
    ghost_min_citizen_messages: int = 5
    # ... of which fewer than this share were answered (0 to 1).
    ghost_min_answered_share: float = 0.2
    # Dormancy score: the recency part is at its maximum after this many silent days.
    dormant_after_days: int = 180
    # Dormancy score: an account posting this often a week scores 0 for frequency.
    expected_posts_per_week: int = 3


def _whole_number(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigurationError(
            f"{name}={raw!r} is not a whole number (expected {minimum} to {maximum})"
        ) from None
    if not minimum <= value <= maximum:
        raise ConfigurationError(f"{name}={value} must be between {minimum} and {maximum}")
    return value


def health_thresholds_from_env() -> HealthThresholds:
    defaults = HealthThresholds()
    return HealthThresholds(
        ghost_idle_days=_whole_number(
            "HEALTH_GHOST_IDLE_DAYS", defaults.ghost_idle_days, 1, MAX_DAYS
        ),
        ghost_min_followers=_whole_number(
            "HEALTH_GHOST_MIN_FOLLOWERS", defaults.ghost_min_followers, 0, 10**9
        ),
        ghost_min_citizen_messages=_whole_number(
            "HEALTH_GHOST_MIN_MESSAGES", defaults.ghost_min_citizen_messages, 1, 10**6
        ),
        # A percentage in the environment: easier to write and to read than a fraction.
        ghost_min_answered_share=_whole_number(
            "HEALTH_GHOST_MIN_ANSWERED_PERCENT",
            round(defaults.ghost_min_answered_share * 100),
            0,
            100,
        ) / 100,
        dormant_after_days=_whole_number(
            "HEALTH_DORMANT_AFTER_DAYS", defaults.dormant_after_days, 1, MAX_DAYS
        ),
        expected_posts_per_week=_whole_number(
            "HEALTH_EXPECTED_POSTS_PER_WEEK", defaults.expected_posts_per_week, 1, 1000
        ),
    )
