"""Health and ghost thresholds come from the environment and are checked at start-up."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from townsquare.channels import health
from townsquare.channels.health_config import HealthThresholds, health_thresholds_from_env
from townsquare.core.env import ConfigurationError

VARIABLES = {
    "HEALTH_GHOST_IDLE_DAYS": ("ghost_idle_days", "30", 30),
    "HEALTH_GHOST_MIN_FOLLOWERS": ("ghost_min_followers", "0", 0),
    "HEALTH_GHOST_MIN_MESSAGES": ("ghost_min_citizen_messages", "12", 12),
    "HEALTH_GHOST_MIN_ANSWERED_PERCENT": ("ghost_min_answered_share", "35", 0.35),
    "HEALTH_DORMANT_AFTER_DAYS": ("dormant_after_days", "365", 365),
    "HEALTH_EXPECTED_POSTS_PER_WEEK": ("expected_posts_per_week", "7", 7),
}


@pytest.fixture
def clean_env(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_without_variables(clean_env):
    assert health_thresholds_from_env() == HealthThresholds()
    assert HealthThresholds().ghost_idle_days == 90
    assert HealthThresholds().ghost_min_answered_share == 0.2


@pytest.mark.parametrize("name", sorted(VARIABLES))
def test_each_variable_is_read(clean_env, name):
    attribute, raw, expected = VARIABLES[name]
    clean_env.setenv(name, f" {raw} ")
    assert getattr(health_thresholds_from_env(), attribute) == expected


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("HEALTH_GHOST_IDLE_DAYS", "ninety",
         "HEALTH_GHOST_IDLE_DAYS='ninety' is not a whole number (expected 1 to 3650)"),
        ("HEALTH_GHOST_IDLE_DAYS", "0", "HEALTH_GHOST_IDLE_DAYS=0 must be between 1 and 3650"),
        ("HEALTH_GHOST_IDLE_DAYS", "36500", "must be between 1 and 3650"),
        ("HEALTH_GHOST_MIN_FOLLOWERS", "-5", "HEALTH_GHOST_MIN_FOLLOWERS=-5 must be between 0"),
        ("HEALTH_GHOST_MIN_MESSAGES", "0", "HEALTH_GHOST_MIN_MESSAGES=0 must be between 1"),
        ("HEALTH_GHOST_MIN_ANSWERED_PERCENT", "0.2", "is not a whole number (expected 0 to 100)"),
        ("HEALTH_GHOST_MIN_ANSWERED_PERCENT", "150", "must be between 0 and 100"),
        ("HEALTH_DORMANT_AFTER_DAYS", "1e3", "HEALTH_DORMANT_AFTER_DAYS='1e3' is not a whole"),
        ("HEALTH_EXPECTED_POSTS_PER_WEEK", "0", "HEALTH_EXPECTED_POSTS_PER_WEEK=0 must be"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(clean_env, name, raw, message):
    clean_env.setenv(name, raw)
    with pytest.raises(ConfigurationError) as caught:
        health_thresholds_from_env()
    assert message in str(caught.value)


def test_an_empty_variable_means_the_default(clean_env):
    clean_env.setenv("HEALTH_GHOST_IDLE_DAYS", "")
    assert health_thresholds_from_env().ghost_idle_days == 90


def test_the_installation_refuses_to_start_with_a_bad_value(tmp_path):
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "DATA_DIR": str(tmp_path), "HEALTH_GHOST_MIN_ANSWERED_PERCENT": "lots",
           "DJANGO_SETTINGS_MODULE": "townsquare.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode != 0
    assert "ConfigurationError" in result.stderr
    assert "HEALTH_GHOST_MIN_ANSWERED_PERCENT='lots' is not a whole number" in result.stderr


def test_thresholds_change_the_ghost_rules(settings):
    base = HealthThresholds()
    silent_40_days = {"days_idle": 40, "followers": 50, "own_items_recent": 0,
                      "citizen_messages": 0, "answered_share": None}
    assert health.ghost_class_of(**silent_40_days) is None
    settings.CHANNEL_HEALTH = dataclasses.replace(base, ghost_idle_days=30, ghost_min_followers=10)
    assert health.ghost_class_of(**silent_40_days) == health.GhostClass.FOLLOWERS_NO_ACTIVITY

    deaf = {"days_idle": 1, "followers": 50, "own_items_recent": 3, "citizen_messages": 4,
            "answered_share": 0.3}
    assert health.ghost_class_of(**deaf) is None
    settings.CHANNEL_HEALTH = dataclasses.replace(base, ghost_min_citizen_messages=4,
                                                  ghost_min_answered_share=0.5)
    assert health.ghost_class_of(**deaf) == health.GhostClass.ACTIVITY_NO_REPLIES


def test_thresholds_change_the_dormancy_score(settings):
    quiet = {"days_idle": 90, "items_per_week": 3, "answered_share": 1.0, "followers": 9999}
    before = health.dormancy_score(**quiet)  # 40 × 90/180 = 20, plus 0 for frequency
    settings.CHANNEL_HEALTH = dataclasses.replace(HealthThresholds(), dormant_after_days=90,
                                                  expected_posts_per_week=6)
    after = health.dormancy_score(**quiet)  # 40 × 90/90 = 40, plus 25 × (1 − 3/6) = 12.5
    assert after - before == 32


@pytest.mark.django_db
def test_ghost_report_states_the_configured_thresholds(client_for, alice, settings):
    settings.CHANNEL_HEALTH = dataclasses.replace(HealthThresholds(), ghost_idle_days=45,
                                                  ghost_min_followers=250)
    page = client_for(alice).get("/console/channels/ghosts/").content.decode()
    assert "at least 250 followers and nothing posted or answered for 45 days" in page
