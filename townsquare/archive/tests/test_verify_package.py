"""archive_verify_package: a package verifies, and every kind of tampering is named."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management import call_command
from django.core.management.base import CommandError

from townsquare.archive import signing
from townsquare.archive.services import checkpoints_export, record_redact
from townsquare.archive.services.chain import entry_hash
from townsquare.archive.services.exports import (
    export_package_build,
    export_package_start,
    package_path,
)
from townsquare.archive.services.requests import (
    records_request_add_records,
    records_request_create,
)

from .conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def package_file(settings, tmp_path, capture, rita, government) -> Path:
    settings.ARCHIVE_EXPORT_ROOT = tmp_path / "exports"
    records = [
        capture("p1", "Water supply repairs tonight", media=[(b"photo-bytes", "image/jpeg")],
                remote_id="1").record,
        capture("p2", "إصلاح إمدادات المياه الليلة", remote_id="2").record,
        capture("p3", "今晚供水维修", remote_id="3").record,
    ]
    capture("p1", "Water supply repairs tonight, from 22:00",
            media=[(b"photo-bytes", "image/jpeg")], remote_id="1")
    record_redact(actor=rita, record=records[1], content="إصلاح ██", reason="Privacy")
    request = records_request_create(
        actor=rita, organisation=government["transport"], reference="R-9",
        requester_name="x", requester_contact="y", description="z", received_on=T0.date())
    records_request_add_records(actor=rita, request=request, records=records)
    package = export_package_start(actor=rita, request=request, include_warc=True)
    export_package_build(package_id=package.pk)
    package.refresh_from_db()
    assert package.state == "complete", package.error
    return package_path(package)


def _rewrite(source: Path, target: Path, change) -> Path:
    with zipfile.ZipFile(source) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    change(contents)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return target


def _manifest_edit(edit):
    def change(contents):
        manifest = json.loads(contents["manifest.json"])
        edit(manifest, contents)
        contents["manifest.json"] = json.dumps(manifest).encode()
    return change


def _refresh_file_hash(manifest, contents, name):
    for item in manifest["files"]:
        if item["name"] == name:
            item["sha256"] = hashlib.sha256(contents[name]).hexdigest()
            item["size"] = len(contents[name])


def _run(path: Path, *extra: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("archive_verify_package", str(path), *extra, stdout=out)
    return out.getvalue()


def test_a_built_package_verifies_with_the_published_key(package_file, tmp_path):
    key_file = tmp_path / "checkpoints.json"
    key_file.write_text(json.dumps(checkpoints_export()))
    output = _run(package_file, "--public-key", str(key_file))
    assert "The package verifies." in output and "Records proven: 3" in output
    raw_key = tmp_path / "key.b64"
    raw_key.write_text(signing.public_key_base64() + "\n")
    assert "The package verifies." in _run(package_file, "--public-key", str(raw_key))
    assert "public key inside the package" in _run(package_file)


def _edit_csv(contents):
    contents["records.csv"] = contents["records.csv"].replace(b"Water", b"Wader")


def _edit_jsonl_and_manifest(contents):
    contents["records.jsonl"] = contents["records.jsonl"].replace(b"22:00", b"23:00")
    manifest = json.loads(contents["manifest.json"])
    _refresh_file_hash(manifest, contents, "records.jsonl")  # the forger updates the manifest
    contents["manifest.json"] = json.dumps(manifest).encode()


def _edit_media(contents):
    name = next(n for n in contents if n.startswith("media/"))
    contents[name] = b"another photo"


def _drop_file(contents):
    del contents[next(n for n in contents if n.startswith("threads/"))]


def _add_file(contents):
    contents["media/extra"] = b"smuggled"


def _edit_proof_event(manifest, contents):
    manifest["chain"][0]["event"]["record"]["author"] = "Someone else"


def _rehash_forged_entry(manifest, contents):
    # A forger who also recomputes the entry's hash breaks the link to the next entry
    # (or the signed checkpoint when it is the last one).
    entry = manifest["chain"][0]
    entry["event"]["reason"] = "forged"
    entry["entry_hash"] = entry_hash(seq=entry["seq"], prev_hash=entry["prev_hash"],
                                     event=entry["event"],
                                     content_sha256=entry["content_sha256"],
                                     media=entry["media_sha256"])


def _drop_proof_entry(manifest, contents):
    manifest["records"][0]["entries"] = manifest["records"][0]["entries"][1:]


def _edit_signature(manifest, contents):
    signature = bytearray(base64.b64decode(manifest["checkpoints"][-1]["signature"]))
    signature[0] ^= 1
    manifest["checkpoints"][-1]["signature"] = base64.b64encode(bytes(signature)).decode()


def _edit_checkpoint_hash(manifest, contents):
    manifest["checkpoints"][-1]["entry_hash"] = "0" * 64


CASES = [
    ("csv", _edit_csv, "File records.csv does not match its SHA-256"),
    ("content", _edit_jsonl_and_manifest, "does not match its chain entry"),
    ("media", _edit_media, "does not match its SHA-256"),
    ("missing", _drop_file, "listed in the manifest but missing"),
    ("extra", _add_file, "media/extra is in the package but not in the manifest"),
    ("proof", _manifest_edit(_edit_proof_event), "does not match its hash"),
    ("rehashed", _manifest_edit(_rehash_forged_entry), "does not"),
    ("proof-entries", _manifest_edit(_drop_proof_entry), "events but its proof has"),
    ("signature", _manifest_edit(_edit_signature), "signature of checkpoint"),
    ("checkpoint", _manifest_edit(_edit_checkpoint_hash), "signature of checkpoint"),
]


def test_every_kind_of_tampering_is_named(package_file, tmp_path):
    for name, change, expected in CASES:
        forged = _rewrite(package_file, tmp_path / f"{name}.zip", change)
        with pytest.raises(CommandError) as caught:
            _run(forged)
        assert "does not verify" in str(caught.value), name
        assert expected in str(caught.value), (name, str(caught.value))


def test_a_package_signed_by_another_key_is_refused(package_file, tmp_path):
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw,
                                                                   PublicFormat.Raw)
    key_file = tmp_path / "other.b64"
    key_file.write_text(base64.b64encode(other).decode())
    with pytest.raises(CommandError, match="signed with another key"):
        _run(package_file, "--public-key", str(key_file))


def test_unreadable_inputs_get_clear_messages(package_file, tmp_path):
    not_zip = tmp_path / "x.zip"
    not_zip.write_bytes(b"hello")
    with pytest.raises(CommandError, match="not a readable zip file"):
        _run(not_zip)
    no_manifest = _rewrite(package_file, tmp_path / "nm.zip",
                           lambda c: c.pop("manifest.json"))
    with pytest.raises(CommandError, match=r"no manifest\.json"):
        _run(no_manifest)
    bad_json = _rewrite(package_file, tmp_path / "bj.zip",
                        lambda c: c.__setitem__("manifest.json", b"{oops"))
    with pytest.raises(CommandError, match="not valid JSON"):
        _run(bad_json)
    bad_key = tmp_path / "bad.key"
    bad_key.write_text("not base64!")
    with pytest.raises(CommandError, match="does not hold a base64 public key"):
        _run(package_file, "--public-key", str(bad_key))
    with pytest.raises(CommandError, match="cannot be read"):
        _run(package_file, "--public-key", str(tmp_path / "absent"))
