"""archive_checkpoint_export, automatic checkpoints, and the signing key setting."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import call_command
from django.core.management.base import CommandError

from townsquare.archive.models import Checkpoint
from townsquare.archive.services import checkpoint_create
from townsquare.archive.services.chain import checkpoint_message
from townsquare.core.models import AuditEvent

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_checkpoints_are_signed_every_n_entries(capture, settings,
                                                django_capture_on_commit_callbacks):
    settings.ARCHIVE_CHECKPOINT_EVERY = 3
    for n in range(7):
        with django_capture_on_commit_callbacks(execute=True):
            capture(f"p{n}", f"text {n}")
    assert list(Checkpoint.objects.values_list("seq", flat=True)) == [3, 6]
    assert checkpoint_create() is not None  # the periodic task signs the rest
    assert checkpoint_create() is None  # and nothing when the head has not moved


@pytest.mark.django_db
def test_checkpoint_export_publishes_what_anyone_can_check(capture, tmp_path):
    capture()
    target = tmp_path / "checkpoints.json"
    call_command("archive_checkpoint_export", "--sign-now", "--output", str(target))
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert exported["algorithm"] == "Ed25519"
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(exported["public_key"]))
    (only,) = exported["checkpoints"]
    checkpoint = Checkpoint.objects.get()
    assert only["seq"] == 1 and only["entry_hash"] == checkpoint.entry_hash
    # Verifiable with nothing but the exported file (raises if the signature is wrong).
    public.verify(base64.b64decode(only["signature"]),
                  checkpoint_message(seq=1, entry_hash=only["entry_hash"],
                                     signed_at=checkpoint.signed_at))
    assert AuditEvent.objects.filter(action="archive.checkpoints_exported").exists()


@pytest.mark.django_db
def test_checkpoint_export_to_an_unwritable_place_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("archive_checkpoint_export", "--output", str(tmp_path / "no" / "x.json"))


@pytest.mark.django_db
def test_verify_command_on_an_empty_archive_succeeds():
    out = StringIO()
    call_command("archive_verify", stdout=out)
    assert "Chain entries checked: 0" in out.getvalue()
    assert AuditEvent.objects.filter(action="archive.verified").exists()


def _start(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("ARCHIVE_", "SECRET_KEY", "TOWNSQUARE_ENV", "DEBUG"))}
    clean.update(DJANGO_SETTINGS_MODULE="townsquare.settings", DATA_DIR=str(tmp_path),
                 SECRET_KEY="archive-test-" + "k" * 50)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c",
         ("import django; django.setup(); from townsquare.archive import signing; "
          "print(signing.public_key_base64())")],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120, check=False,
    )


def test_development_generates_one_key_under_data_dir(tmp_path):
    first = _start(tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    key_file = tmp_path / "archive_signing_key"
    assert key_file.exists() and oct(key_file.stat().st_mode)[-3:] == "600"
    assert _start(tmp_path).stdout == first.stdout  # the same key next time


def test_key_is_read_from_a_file(tmp_path):
    raw = bytes(range(32))
    key_file = tmp_path / "key"
    key_file.write_text(base64.b64encode(raw).decode() + "\n", encoding="utf-8")
    result = _start(tmp_path, ARCHIVE_SIGNING_KEY_FILE=str(key_file))
    assert result.returncode == 0, result.stderr[-2000:]
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    expected = Ed25519PrivateKey.from_private_bytes(raw).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert result.stdout.strip() == base64.b64encode(expected).decode()


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_key_stops_start_up_naming_the_variable(tmp_path, bad):
    result = _start(tmp_path, ARCHIVE_SIGNING_KEY=bad)
    assert result.returncode != 0
    assert "ARCHIVE_SIGNING_KEY" in result.stderr and "ConfigurationError" in result.stderr
    assert bad not in result.stderr or bad == "not base64!"


def test_production_refuses_to_start_without_a_signing_key(tmp_path):
    result = _start(tmp_path, TOWNSQUARE_ENV="production", DEBUG="false",
                    SECURE_COOKIES="true", ALLOWED_HOSTS="example.org",
                    SITE_URL="https://example.org", CHANNEL_ENCRYPTION_KEYS=(
                        "x2Wv1cBiZ8lJ3m3kqvkq3J6Jb1yH3bqk0b3o2v0wqH8="))
    assert result.returncode != 0
    assert "ARCHIVE_SIGNING_KEY" in result.stderr
    assert not (tmp_path / "archive_signing_key").exists()
