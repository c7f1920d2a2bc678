"""Chain proofs in export packages, and the check of a whole package from outside.

An outsider holding the archive's public key checks a package without the database:

1. every file in the zip has the SHA-256 and size the manifest gives, and no file is
   missing or added;
2. every checkpoint in the manifest carries a valid Ed25519 signature (of the canonical
   JSON of {seq, entry_hash, signed_at}) by that key;
3. the manifest's chain entries recompute: entry_hash = SHA-256 of the canonical JSON of
   {seq, prev_hash, event, content_sha256, media_sha256}; each run of entries is
   consecutive, each entry links to the one before, and each run ends at a signed
   checkpoint with the same hash — so every entry in it is fixed by that signature;
4. every record of records.jsonl names its entries; they are in the chain, they belong to
   that record (its identity fields match what the entry committed to), and every
   version whose content is released hashes (text, metadata, media) to the content hash
   its entry committed to. Withheld (redacted) and disposed versions are proven by their
   entries only; their redacted copies are released and checked like any version.

A run from a record's entry to its checkpoint also contains the entries of other records
in between: their metadata (not their content, which is only a hash) is in the manifest.
That is the price of a linear chain; it is stated in the README.

Only the standard library, ``cryptography`` and chain.py are used, so the check reads
like the specification it implements.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from townsquare.archive import signing
from townsquare.archive.services.chain import (
    GENESIS_HASH,
    checkpoint_message,
    entry_hash,
    version_content_hash,
)

FORMAT = "townsquare-archive-export/1"
CHUNK = 1024 * 1024
IDENTITY_FIELDS = ("organisation_id", "record_type", "source", "source_id", "network",
                   "account_handle", "author", "author_id", "remote_id", "url",
                   "remote_created_at", "first_captured_at")


class PackageProblem(Exception):
    """The first thing wrong with a package, said plainly."""


@dataclass(frozen=True)
class PackageReport:
    files: int
    records: int
    entries: int
    checkpoints: int
    key_id: str
    key_from_package: bool


def _stream_sha256(handle: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _public_key(manifest: dict[str, Any], public_key: bytes | None) -> tuple[bytes, bool]:
    if public_key is not None:
        return public_key, False
    try:
        raw = base64.b64decode(str(manifest.get("public_key", "")), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PackageProblem("The manifest's public key is not valid base64.") from exc
    if len(raw) != 32:
        raise PackageProblem("The manifest's public key is not an Ed25519 public key.")
    return raw, True


def read_public_key_file(path: Path) -> bytes:
    """A public key file: base64 of the raw 32 bytes, or the checkpoints export JSON."""
    text = path.read_text(encoding="utf-8").strip()
    if text.startswith("{"):
        text = str(json.loads(text).get("public_key", ""))
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PackageProblem(f"{path} does not hold a base64 public key.") from exc
    if len(raw) != 32:
        raise PackageProblem(f"{path} does not hold an Ed25519 public key (32 bytes).")
    return raw


def _check_files(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> int:
    listed: dict[str, dict[str, Any]] = {}
    for item in manifest.get("files", []):
        listed[str(item.get("name"))] = item
    present = {name for name in archive.namelist() if name != "manifest.json"}
    for name in sorted(listed):
        if name not in present:
            raise PackageProblem(f"File {name} is listed in the manifest but missing.")
        with archive.open(name) as handle:
            sha, size = _stream_sha256(handle)
        if sha != listed[name].get("sha256") or size != listed[name].get("size"):
            raise PackageProblem(f"File {name} does not match its SHA-256 in the manifest.")
    extra = sorted(present - set(listed))
    if extra:
        raise PackageProblem(f"File {extra[0]} is in the package but not in the manifest.")
    return len(listed)


def _check_checkpoints(manifest: dict[str, Any], public: bytes) -> dict[int, str]:
    own = signing.key_id(public)
    signed: dict[int, str] = {}
    for checkpoint in manifest.get("checkpoints", []):
        seq = int(checkpoint["seq"])
        if checkpoint.get("key_id") != own:
            raise PackageProblem(f"Checkpoint {seq} was signed with another key "
                                 f"({checkpoint.get('key_id')}, expected {own}).")
        message = json.dumps(
            {"seq": seq, "entry_hash": checkpoint["entry_hash"],
             "signed_at": checkpoint["signed_at"]},
            sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if not signing.signature_valid(message, str(checkpoint.get("signature", "")), public):
            raise PackageProblem(f"The signature of checkpoint {seq} does not verify.")
        signed[seq] = str(checkpoint["entry_hash"])
    return signed


def _check_chain(manifest: dict[str, Any], signed: dict[int, str]) -> dict[int, dict[str, Any]]:
    """Entries by seq, after checking every hash, link and that each run is signed."""
    entries: dict[int, dict[str, Any]] = {}
    previous: dict[str, Any] | None = None
    for entry in manifest.get("chain", []):
        seq = int(entry["seq"])
        recomputed = entry_hash(seq=seq, prev_hash=str(entry["prev_hash"]), event=entry["event"],
                                content_sha256=str(entry["content_sha256"]),
                                media=list(entry["media_sha256"]))
        if recomputed != entry["entry_hash"]:
            raise PackageProblem(f"Chain entry {seq} does not match its hash.")
        if seq == 1 and entry["prev_hash"] != GENESIS_HASH:
            raise PackageProblem("Chain entry 1 does not start from the genesis hash.")
        if previous is not None and int(previous["seq"]) + 1 == seq:
            if entry["prev_hash"] != previous["entry_hash"]:
                raise PackageProblem(f"Chain entry {seq} does not link to entry {seq - 1}.")
        elif previous is not None:
            _end_of_run(previous, signed)
            if seq <= int(previous["seq"]):
                raise PackageProblem(f"Chain entry {seq} is out of order.")
        entries[seq] = entry
        previous = entry
    if previous is not None:
        _end_of_run(previous, signed)
    return entries


def _end_of_run(last: dict[str, Any], signed: dict[int, str]) -> None:
    seq = int(last["seq"])
    if signed.get(seq) != last["entry_hash"]:
        raise PackageProblem(f"The chain run ending at entry {seq} does not end at a signed "
                             f"checkpoint.")


def _check_record(line: dict[str, Any], proof: dict[str, Any] | None,
                  entries: dict[int, dict[str, Any]], media_names: set[str]) -> None:
    record_id = int(line["id"])
    if proof is None:
        raise PackageProblem(f"Record {record_id} has no chain proof in the manifest.")
    by_version: dict[int, dict[str, Any]] = {}
    for seq in proof.get("entries", []):
        entry = entries.get(int(seq))
        if entry is None:
            raise PackageProblem(f"The proof of record {record_id} names entry {seq}, which "
                                 f"is not in the manifest's chain.")
        committed = entry["event"]["record"]
        if committed.get("id") != record_id:
            raise PackageProblem(f"Entry {seq} belongs to record {committed.get('id')}, not "
                                 f"to record {record_id}.")
        for name in IDENTITY_FIELDS:
            if committed.get(name) != line.get(name):
                raise PackageProblem(f"The {name} of record {record_id} differs from what "
                                     f"entry {seq} committed to.")
        if entry["event"].get("version_id") is not None:
            by_version[int(entry["event"]["version_id"])] = entry
    if len(proof.get("entries", [])) != len(line.get("events", [])):
        raise PackageProblem(f"Record {record_id} lists {len(line.get('events', []))} events "
                             f"but its proof has {len(proof.get('entries', []))} entries.")
    for version in line.get("versions", []):
        _check_version(record_id, version, by_version.get(int(version["id"])), media_names)


def _check_version(record_id: int, version: dict[str, Any], entry: dict[str, Any] | None,
                   media_names: set[str]) -> None:
    if entry is None:
        raise PackageProblem(f"Version {version['id']} of record {record_id} has no chain "
                             f"entry in its proof.")
    if not version.get("withheld"):  # a withheld version is proven by its entry only
        media = list(version.get("media", []))
        recomputed = version_content_hash(content=str(version["content"]),
                                          metadata_json=str(version["metadata_json"]),
                                          media_sha256=media)
        if recomputed != entry["content_sha256"]:
            raise PackageProblem(f"The content of version {version['id']} of record "
                                 f"{record_id} does not match its chain entry.")
        missing = [sha for sha in media if f"media/{sha}" not in media_names]
        if missing:
            raise PackageProblem(f"Media file {missing[0]} of record {record_id} is not in "
                                 f"the package.")


def _jsonl(archive: zipfile.ZipFile, name: str) -> Iterator[dict[str, Any]]:
    with archive.open(name) as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                yield json.loads(raw)
            except ValueError as exc:
                raise PackageProblem(f"Line {number} of {name} is not JSON.") from exc


def package_verify(path: Path, *, public_key: bytes | None = None) -> PackageReport:
    """Check a package as an outsider would; raises PackageProblem naming the first fault."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise PackageProblem(f"{path} is not a readable zip file: {exc}") from exc
    with archive:
        try:
            manifest = json.loads(archive.read("manifest.json"))
        except KeyError as exc:
            raise PackageProblem("The package has no manifest.json.") from exc
        except ValueError as exc:
            raise PackageProblem("manifest.json is not valid JSON.") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise PackageProblem(f"manifest.json is not a {FORMAT} manifest.")
        public, from_package = _public_key(manifest, public_key)
        try:
            files = _check_files(archive, manifest)
            signed = _check_checkpoints(manifest, public)
            entries = _check_chain(manifest, signed)
            proofs = {int(p["id"]): p for p in manifest.get("records", [])}
            media_names = {n for n in archive.namelist() if n.startswith("media/")}
            records = 0
            for line in _jsonl(archive, "records.jsonl"):
                _check_record(line, proofs.pop(int(line["id"]), None), entries, media_names)
                records += 1
        except (KeyError, TypeError, ValueError) as exc:
            raise PackageProblem(f"The manifest is malformed: {exc!r}") from exc
        if proofs:
            raise PackageProblem(f"The manifest proves record {min(proofs)}, which is not in "
                                 f"records.jsonl.")
    return PackageReport(files=files, records=records, entries=len(entries),
                         checkpoints=len(signed), key_id=signing.key_id(public),
                         key_from_package=from_package)


def checkpoint_json(checkpoint: Any) -> dict[str, Any]:
    from townsquare.archive.services.chain import time_text

    message = checkpoint_message(seq=checkpoint.seq, entry_hash=checkpoint.entry_hash,
                                 signed_at=checkpoint.signed_at)
    return {"seq": checkpoint.seq, "entry_hash": checkpoint.entry_hash,
            "signed_at": time_text(checkpoint.signed_at), "signature": checkpoint.signature,
            "key_id": checkpoint.key_id, "signed_message": message.decode("utf-8")}
