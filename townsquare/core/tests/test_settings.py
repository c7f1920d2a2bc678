"""Settings fail loudly: typed env helpers, and what settings.py picks from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from townsquare.core.env import (
    ConfigurationError,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
)

ROOT = Path(__file__).resolve().parents[3]


# --- env helpers ------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "yes", "On", " true "])
def test_env_bool_true(monkeypatch, raw):
    monkeypatch.setenv("TS_FLAG", raw)
    assert env_bool("TS_FLAG", default=False) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "off", ""])
def test_env_bool_false(monkeypatch, raw):
    monkeypatch.setenv("TS_FLAG", raw)
    assert env_bool("TS_FLAG", default=True) is False


def test_env_bool_default_when_unset(monkeypatch):
    monkeypatch.delenv("TS_FLAG", raising=False)
    assert env_bool("TS_FLAG", default=True) is True
    assert env_bool("TS_FLAG", default=False) is False


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled"])
def test_env_bool_rejects_other_words_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("TS_FLAG", raw)
    with pytest.raises(ConfigurationError, match="TS_FLAG"):
        env_bool("TS_FLAG", default=False)


def test_env_int(monkeypatch):
    monkeypatch.delenv("TS_NUMBER", raising=False)
    assert env_int("TS_NUMBER", default=7) == 7
    monkeypatch.setenv("TS_NUMBER", "")
    assert env_int("TS_NUMBER", default=7) == 7
    monkeypatch.setenv("TS_NUMBER", "42")
    assert env_int("TS_NUMBER", default=7) == 42


@pytest.mark.parametrize("raw", ["forty", "4.5", "1e3"])
def test_env_int_rejects_non_integers_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("TS_NUMBER", raw)
    with pytest.raises(ConfigurationError, match="TS_NUMBER"):
        env_int("TS_NUMBER", default=1)


def test_env_int_enforces_the_minimum(monkeypatch):
    monkeypatch.setenv("TS_NUMBER", "0")
    with pytest.raises(ConfigurationError, match=r"TS_NUMBER.*at least 1"):
        env_int("TS_NUMBER", default=1, minimum=1)
    monkeypatch.setenv("TS_NUMBER", "1")
    assert env_int("TS_NUMBER", default=5, minimum=1) == 1


def test_env_list(monkeypatch):
    monkeypatch.delenv("TS_LIST", raising=False)
    default = ["a"]
    result = env_list("TS_LIST", default)
    assert result == ["a"]
    result.append("b")
    assert default == ["a"], "the default must not be shared"
    monkeypatch.setenv("TS_LIST", " example.org, ,www.example.org ,")
    assert env_list("TS_LIST", []) == ["example.org", "www.example.org"]
    monkeypatch.setenv("TS_LIST", "")
    assert env_list("TS_LIST", ["a"]) == []


def test_env_choice(monkeypatch):
    monkeypatch.setenv("TS_LEVEL", "WARNING")
    assert env_choice("TS_LEVEL", ("info", "warning"), "info") == "warning"
    monkeypatch.setenv("TS_LEVEL", "loud")
    with pytest.raises(ConfigurationError, match="TS_LEVEL"):
        env_choice("TS_LEVEL", ("info", "warning"), "info")


def test_env_str_reads_secrets_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-the-file\n", encoding="utf-8")
    monkeypatch.setenv("TS_SECRET", "from-the-environment")
    monkeypatch.setenv("TS_SECRET_FILE", str(secret))
    assert env_str("TS_SECRET") == "from-the-file"
    monkeypatch.delenv("TS_SECRET_FILE")
    assert env_str("TS_SECRET") == "from-the-environment"
    monkeypatch.delenv("TS_SECRET")
    assert env_str("TS_SECRET", "fallback") == "fallback"


def test_env_str_with_an_unreadable_file_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("TS_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigurationError, match="TS_SECRET_FILE"):
        env_str("TS_SECRET")


# --- what settings.py chooses (each case in a fresh interpreter) ---------------------

_PROBE = """
import json
from townsquare import settings as s
from huey.contrib.djhuey import HUEY
db = s.DATABASES["default"]
print(json.dumps({
    "huey_class": s.HUEY["huey_class"],
    "huey_instance": type(HUEY).__name__,
    "huey_name": HUEY.name,
    "cache": s.CACHES["default"]["BACKEND"],
    "engine": db["ENGINE"],
    "host": db.get("HOST", ""),
    "port": db.get("PORT", ""),
    "init_command": db.get("OPTIONS", {}).get("init_command", ""),
}))
"""

_INHERITED = ("DATABASE_URL", "REDIS_URL", "HUEY_QUEUE_NAME", "HUEY_WORKERS", "SECRET_KEY",
              "SECRET_KEY_FILE", "TOWNSQUARE_ENV", "DEBUG")


def _settings_with(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in _INHERITED}
    clean.update(
        DJANGO_SETTINGS_MODULE="townsquare.settings",
        DATA_DIR=str(tmp_path),
        SECRET_KEY="settings-test-" + "x" * 40,
    )
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, env=clean, capture_output=True, text=True,
        timeout=120,
    )


def _chosen(tmp_path: Path, **env: str) -> dict[str, str]:
    result = _settings_with(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_default_is_sqlite_in_wal_with_a_sqlite_queue(tmp_path):
    chosen = _chosen(tmp_path)
    assert chosen["engine"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in chosen["init_command"]
    assert "foreign_keys=ON" in chosen["init_command"]
    assert chosen["huey_class"] == "huey.SqliteHuey"
    assert chosen["huey_instance"] == "SqliteHuey"
    assert chosen["cache"] == "django.core.cache.backends.db.DatabaseCache"


def test_redis_url_switches_queue_and_cache_to_redis(tmp_path):
    chosen = _chosen(tmp_path, REDIS_URL="redis://127.0.0.1:6399/3", HUEY_QUEUE_NAME="q-test")
    assert chosen["huey_class"] == "huey.RedisHuey"
    assert chosen["huey_instance"] == "RedisHuey"
    assert chosen["huey_name"] == "q-test"
    assert chosen["cache"] == "django.core.cache.backends.redis.RedisCache"


def test_database_url_selects_postgresql(tmp_path):
    chosen = _chosen(tmp_path, DATABASE_URL="postgres://u:p@127.0.0.1:5499/townsquare")
    assert chosen["engine"] == "django.db.backends.postgresql"
    assert chosen["host"] == "127.0.0.1"
    assert int(chosen["port"]) == 5499
    assert chosen["init_command"] == ""


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABASE_URL": "mysql://u:p@127.0.0.1/townsquare"}, "DATABASE_URL"),
        ({"DATABASE_URL": "nonsense://x"}, "DATABASE_URL"),
        ({"HUEY_WORKERS": "0"}, "HUEY_WORKERS"),
        ({"HUEY_WORKERS": "many"}, "HUEY_WORKERS"),
        ({"DEBUG": "perhaps"}, "DEBUG"),
    ],
)
def test_bad_values_stop_start_up_naming_the_variable(tmp_path, env, named):
    result = _settings_with(tmp_path, **env)
    assert result.returncode != 0
    assert "ConfigurationError" in result.stderr
    assert named in result.stderr


def test_production_refuses_to_start_without_a_real_secret_key(tmp_path):
    result = _settings_with(
        tmp_path, TOWNSQUARE_ENV="production", SECRET_KEY="", ALLOWED_HOSTS="example.org",
        SITE_URL="https://example.org",
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
