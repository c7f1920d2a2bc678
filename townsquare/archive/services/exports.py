"""Export packages: a zip of records, built by a worker in resumable steps.

Phases: "records" (records.jsonl, records.csv, optionally records.warc, media files, and
the per-record chain proofs, written a chunk of records at a time in record-id order),
"threads" (one PDF per thread), "finish" (a fresh checkpoint, manifest.json, the zip,
verified as an outsider would, then published).

Crash safety: after each chunk the files are flushed and their lengths saved with the
cursor in one transaction. A worker that dies mid-chunk leaves bytes past those lengths;
the next attempt cuts every file back to its saved length and carries on from the
cursor, so the result is byte for byte the one an uninterrupted build gives. PDFs and
media files are written whole (temporary file, then rename). The zip is moved into the
published folder only after it verified, and only then is the package "complete".
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from townsquare.archive import signing
from townsquare.archive.models import (
    ChainEntry,
    Checkpoint,
    EventKind,
    Record,
    RecordVersion,
)
from townsquare.archive.request_models import (
    ExportPackage,
    ExportThreadItem,
    PackageState,
    RecordsRequest,
    RequestRecord,
)
from townsquare.archive.search import parse_query
from townsquare.archive.services import export_files as files
from townsquare.archive.services.chain import checkpoint_create, event_fields, time_text
from townsquare.archive.services.export_records import record_lines, thread_key
from townsquare.archive.services.media import file_sha256, media_path
from townsquare.archive.services.package_proof import FORMAT, checkpoint_json, package_verify
from townsquare.archive.services.requests import check_can_download_packages
from townsquare.core.services import audit_record
from townsquare.organisations.models import Organisation

if TYPE_CHECKING:
    from townsquare.organisations.models import User

CHUNK = 500
THREADS_PER_STEP = 20
MAX_THREAD_RECORDS = 500  # a longer thread's PDF shows its first 500 records
LEASE = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
PART_FILES = ("records.jsonl", "records.csv", "records.warc", "proofs.part", "redactions.part")


class ExportError(Exception):
    """A fault that another attempt would not fix (e.g. a media file missing)."""


# --- starting an export ----------------------------------------------------------------


def export_package_start(
    *, actor: User, organisation: Organisation | None = None,
    request: RecordsRequest | None = None, query: str = "",
    filters: dict[str, Any] | None = None, include_warc: bool = False,
) -> ExportPackage:
    """Queue a package of a request's records, or of the records matching a search."""
    from townsquare.archive.services.holds import clean_filters

    if request is not None:
        organisation = request.organisation
    if organisation is None:
        raise ValidationError(_("Choose the organisation whose records are exported."))
    check_can_download_packages(actor, organisation)
    raw: dict[str, str] = {}
    if request is None:
        query = str(query or "").strip()
        if not query:
            raise ValidationError({"query": _("Give the search whose records are exported.")})
        parse_query(query)
        raw = {k: str(v) for k, v in (filters or {}).items() if v not in (None, "")}
        clean_filters(organisation, raw)
    with transaction.atomic():
        package = ExportPackage.objects.create(
            organisation=organisation, request=request, query=query if request is None else "",
            filters=raw, include_warc=include_warc, created_by=actor,
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        package.records_total = _count(package)
        if not package.records_total:
            raise ValidationError(_("There are no records to export."))
        package.save(update_fields=["records_total"])
        audit_record(actor=actor, action="archive.export_started", organisation=organisation,
                     target=package, details={"request": request.pk if request else None,
                                              "query": package.query, "filters": raw,
                                              "records": package.records_total,
                                              "warc": include_warc})
        transaction.on_commit(lambda: _enqueue(package.pk))
    return package


def _enqueue(package_id: int) -> None:
    from townsquare.archive.request_tasks import build_export

    build_export(package_id)


def _search_ids(package: ExportPackage) -> Any:
    from townsquare.archive.selectors import search_versions
    from townsquare.archive.services.holds import clean_filters

    subtree = Organisation.objects.filter(path__startswith=package.organisation.path)
    return (search_versions(organisation_ids=subtree.values_list("pk", flat=True),
                            parsed=parse_query(package.query),
                            filters=clean_filters(package.organisation, package.filters))
            .values_list("record_id", flat=True).distinct())


def _count(package: ExportPackage) -> int:
    if package.request_id is not None:
        return RequestRecord.objects.filter(request_id=package.request_id).count()
    return int(_search_ids(package).order_by().count())


def _next_ids(package: ExportPackage, limit: int) -> list[int]:
    """The next record ids after the cursor (keyset pagination, record-id order)."""
    if package.request_id is not None:
        rows = RequestRecord.objects.filter(request_id=package.request_id,
                                            record_id__gt=package.cursor)
        return list(rows.order_by("record_id").values_list("record_id", flat=True)[:limit])
    return list(_search_ids(package).filter(record_id__gt=package.cursor)
                .order_by("record_id")[:limit])


# --- building --------------------------------------------------------------------------


def workdir(package: ExportPackage) -> Path:
    return Path(settings.ARCHIVE_EXPORT_ROOT) / "work" / str(package.pk)


def package_path(package: ExportPackage) -> Path:
    return Path(settings.ARCHIVE_EXPORT_ROOT) / "packages" / f"package-{package.pk}.zip"


def _claim(package_id: int, now: dt.datetime) -> ExportPackage | None:
    with transaction.atomic():
        # of=self: PostgreSQL cannot lock the nullable side (request) of an outer join.
        package = (ExportPackage.objects.select_for_update(of=("self",))
                   .filter(pk=package_id, state__in=[PackageState.QUEUED, PackageState.BUILDING])
                   .select_related("organisation", "request").first())
        if package is None or (package.lease_until and package.lease_until > now):
            return None  # finished, failed, or another worker holds it
        package.state, package.lease_until = PackageState.BUILDING, now + LEASE
        package.attempts += 1
        package.save(update_fields=["state", "lease_until", "attempts"])
    return package


def export_package_build(*, package_id: int) -> ExportPackage | None:
    """Build (or resume building) a package; returns it, or None when not claimed."""
    package = _claim(package_id, timezone.now())
    if package is None:
        return None
    try:
        with translation.override(package.language):
            _restore(package)
            while package.phase == "records":
                _records_step(package)
            while package.phase == "threads":
                _threads_step(package)
            _finish(package)
    except ExportError as exc:
        _fail(package, str(exc))
    except Exception as exc:
        # Kept "building" with its lease released: the task's retry resumes it.
        ExportPackage.objects.filter(pk=package.pk).update(lease_until=None,
                                                            error=repr(exc)[:2000])
        if package.attempts >= MAX_ATTEMPTS:
            _fail(package, _("The export failed %(n)d times: %(error)s")
                  % {"n": package.attempts, "error": repr(exc)[:500]})
        raise
    return package


def _fail(package: ExportPackage, message: str) -> None:
    ExportPackage.objects.filter(pk=package.pk).update(state=PackageState.FAILED,
                                                        error=message, lease_until=None)
    shutil.rmtree(workdir(package), ignore_errors=True)
    audit_record(actor=None, action="archive.export_failed", organisation=package.organisation,
                 target=package, details={"error": message})


def _restore(package: ExportPackage) -> None:
    """Cut every partial file back to the length saved with the cursor (or start them)."""
    folder = workdir(package)
    (folder / "media").mkdir(parents=True, exist_ok=True)
    (folder / "threads").mkdir(exist_ok=True)
    if not package.offsets:
        for name in PART_FILES:
            (folder / name).write_bytes(b"")
        (folder / "records.csv").write_bytes(files.csv_bytes(files.CSV_COLUMNS))
        if package.include_warc:
            (folder / "records.warc").write_bytes(files.warc_info(
                package_id=package.pk, date=time_text(package.created_at) or "",
                software="Townsquare", description=f"Records export {package.pk}"))
        _save(package, {})
        return
    for name, length in package.offsets.items():
        with (folder / name).open("r+b") as handle:
            handle.truncate(int(length))


def _save(package: ExportPackage, changes: dict[str, Any]) -> None:
    folder = workdir(package)
    package.offsets = {name: (folder / name).stat().st_size for name in PART_FILES}
    package.lease_until = timezone.now() + LEASE
    for name, value in changes.items():
        setattr(package, name, value)
    package.save(update_fields=["offsets", "lease_until", *changes])


def _open_parts(folder: Path) -> dict[str, IO[bytes]]:
    return {name: (folder / name).open("ab") for name in PART_FILES}


def _records_step(package: ExportPackage) -> None:
    ids = _next_ids(package, CHUNK)
    if not ids:
        _save(package, {"phase": "threads"})
        return
    folder = workdir(package)
    checkpoints = list(Checkpoint.objects.order_by("seq").values_list("seq", flat=True))
    ranges = dict(package.proof_ranges)
    thread_items = []
    metadata_of = dict(RecordVersion.objects.filter(record_id__in=ids).order_by("record_id", "pk")
                       .values_list("record_id", "metadata_json"))
    records = {r.pk: r for r in Record.objects.filter(pk__in=ids)}
    parts = _open_parts(folder)
    try:
        for line in record_lines(ids):
            _write_record(package, folder, parts, line)
            _note_proof(ranges, checkpoints, line, parts["proofs.part"])
            try:
                metadata = json.loads(metadata_of.get(line["id"]) or "{}")
            except ValueError:
                metadata = {}
            key = thread_key(records[line["id"]], metadata if isinstance(metadata, dict) else {})
            thread_items.append(ExportThreadItem(package=package, thread_key=key,
                                                 record_id=line["id"]))
        for handle in parts.values():
            handle.flush()
            os.fsync(handle.fileno())
    finally:
        for handle in parts.values():
            handle.close()
    with transaction.atomic():
        ExportThreadItem.objects.bulk_create(thread_items, ignore_conflicts=True)
        _save(package, {"cursor": ids[-1], "records_done": package.records_done + len(ids),
                        "proof_ranges": ranges})


def _write_record(package: ExportPackage, folder: Path, parts: dict[str, IO[bytes]],
                  line: dict[str, Any]) -> None:
    body = files.jsonl_bytes(line)
    parts["records.jsonl"].write(body)
    parts["records.csv"].write(files.csv_bytes(files.csv_row(line)))
    if package.include_warc:
        parts["records.warc"].write(files.warc_resource(package_id=package.pk, line=line,
                                                        body=body))
    for version in line["versions"]:
        for sha in version["media"]:
            _copy_media(folder, sha, line["id"])
    for event in line["events"]:
        if event["kind"] == EventKind.REDACTED:
            copy = next((v for v in line["versions"] if v["id"] == event["version_id"]), None)
            parts["redactions.part"].write(files.jsonl_bytes({
                "record_id": line["id"], "version_id": copy["redacts"] if copy else None,
                "redacted_version_id": event["version_id"], "by": event["actor"],
                "at": event["occurred_at"], "legal_basis": event["reason"],
                "what": "text and metadata replaced by the redacted copy"
                + ("" if copy and copy["media"] else "; media withheld"),
            }))


def _copy_media(folder: Path, sha: str, record_id: int) -> None:
    target = folder / "media" / sha
    if target.exists():
        return
    source = media_path(sha)
    if not source.is_file() or file_sha256(source) != sha:
        raise ExportError(_("Media file %(sha)s of record %(record)d is missing or changed in "
                            "the archive; run archive_verify.") % {"sha": sha, "record": record_id})
    fd, temporary = tempfile.mkstemp(dir=folder / "media", prefix=".incoming-")
    os.close(fd)
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)


def _note_proof(ranges: dict[str, int], checkpoints: list[int], line: dict[str, Any],
                proofs: IO[bytes]) -> None:
    """Which entries prove the record, and up to which checkpoint the chain must be shown."""
    import bisect

    seqs = [e["seq"] for e in line["events"] if e["seq"] is not None]
    for seq in seqs:
        at = bisect.bisect_left(checkpoints, seq)
        key = str(checkpoints[at]) if at < len(checkpoints) else "pending"
        ranges[key] = min(ranges.get(key, seq), seq)
    proofs.write(files.jsonl_bytes({"id": line["id"], "entries": seqs}))


def _threads_step(package: ExportPackage) -> None:
    keys = list(ExportThreadItem.objects.filter(package=package,
                                                thread_key__gt=package.thread_cursor)
                .values_list("thread_key", flat=True).distinct().order_by("thread_key")
                [:THREADS_PER_STEP])
    if not keys:
        _save(package, {"phase": "finish"})
        return
    folder = workdir(package) / "threads"
    for key in keys:
        ids = list(ExportThreadItem.objects.filter(package=package, thread_key=key)
                   .order_by("record_id").values_list("record_id", flat=True)
                   [:MAX_THREAD_RECORDS])
        lines = sorted(record_lines(ids), key=lambda ln: (
            ln["remote_created_at"] or ln["first_captured_at"], ln["id"]))
        first = lines[0]
        title = _("Thread of record %(id)d") % {"id": first["id"]}
        pdf = files.thread_pdf(lines=lines, title=title, language=package.language)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(pdf)
        os.replace(temporary, folder / f"thread-{min(ids)}.pdf")
    with transaction.atomic():
        _save(package, {"thread_cursor": keys[-1],
                        "threads_done": package.threads_done + len(keys)})


# --- finishing: manifest, zip, verification, publication --------------------------------


def _package_files(folder: Path, include_warc: bool) -> list[str]:
    names = ["records.jsonl", "records.csv"] + (["records.warc"] if include_warc else [])
    names += sorted(f"threads/{p.name}" for p in (folder / "threads").glob("thread-*.pdf"))
    names += sorted(f"media/{p.name}" for p in (folder / "media").iterdir()
                    if not p.name.startswith("."))
    return names


def _merged_runs(ranges: dict[str, int], latest: int | None) -> list[tuple[int, int]]:
    spans = []
    for key, start in ranges.items():
        end = latest if key == "pending" else int(key)
        if end is None:
            raise ExportError(_("The chain has no signed checkpoint to prove the records."))
        spans.append((int(start), end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _write_array(out: IO[bytes], items: Iterable[bytes]) -> None:
    out.write(b"[")
    first = True
    for item in items:
        out.write(item if first else b",\n" + item)
        first = False
    out.write(b"]")


def _lines_of(path: Path) -> Iterable[bytes]:
    with path.open("rb") as handle:
        for raw in handle:
            yield raw.rstrip(b"\n")


def _chain_items(runs: list[tuple[int, int]]) -> Iterable[bytes]:
    for start, end in runs:
        after = start - 1
        while after < end:
            batch = list(ChainEntry.objects.filter(seq__gt=after, seq__lte=end)
                         .select_related("event__record").order_by("seq")[:1000])
            if not batch:
                break
            for entry in batch:
                yield files.jsonl_bytes({
                    "seq": entry.seq, "prev_hash": entry.prev_hash,
                    "entry_hash": entry.entry_hash, "content_sha256": entry.content_sha256,
                    "media_sha256": list(entry.media_sha256 or []),
                    "event": event_fields(entry.event)}).rstrip(b"\n")
            after = batch[-1].seq


def _write_manifest(package: ExportPackage, folder: Path, names: list[str]) -> list[int]:
    checkpoint_create()  # so the newest entries of the package have a signature too
    latest = Checkpoint.objects.order_by("-seq").first()
    runs = _merged_runs(package.proof_ranges, latest.seq if latest else None)
    ends = {end for _start, end in runs}
    header = {
        "format": FORMAT,
        "package": {"id": package.pk, "organisation": str(package.organisation),
                    "request": package.request.reference if package.request else None,
                    "query": package.query, "filters": package.filters,
                    "created_at": time_text(package.created_at)},
        "algorithm": "Ed25519", "public_key": signing.public_key_base64(),
        "key_id": signing.key_id(),
        "hashing": "entry_hash = SHA-256 of canonical JSON (sorted keys, no spaces, UTF-8) "
                   "of {seq, prev_hash, event, content_sha256, media_sha256}; a version's "
                   "content_sha256 = SHA-256 of canonical JSON of {content, metadata_json, "
                   "media}; a checkpoint signs canonical JSON of {seq, entry_hash, signed_at}",
    }
    with (folder / "manifest.json").open("wb") as out:
        out.write(json.dumps(header, ensure_ascii=False)[:-1].encode("utf-8"))
        out.write(b',\n"files": ')
        _write_array(out, (json.dumps({"name": n, "sha256": file_sha256(folder / n),
                                       "size": (folder / n).stat().st_size}).encode("utf-8")
                           for n in names))
        out.write(b',\n"records": ')
        _write_array(out, _lines_of(folder / "proofs.part"))
        out.write(b',\n"redactions": ')
        _write_array(out, _lines_of(folder / "redactions.part"))
        out.write(b',\n"chain": ')
        _write_array(out, _chain_items(runs))
        out.write(b',\n"checkpoints": ')
        _write_array(out, (json.dumps(checkpoint_json(c)).encode("utf-8")
                           for c in Checkpoint.objects.filter(seq__in=ends).order_by("seq")))
        out.write(b"}\n")
    return sorted(ends)


def _finish(package: ExportPackage) -> None:
    import zipfile

    folder = workdir(package)
    names = _package_files(folder, package.include_warc)
    _write_manifest(package, folder, names)
    target = package_path(package)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".zip.part")
    with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
        for name in [*names, "manifest.json"]:
            packed = name.startswith(("media/", "threads/"))  # already compressed
            archive.write(folder / name, name,
                          compress_type=zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED)
    report = package_verify(partial, public_key=signing.public_key_bytes())
    sha, size = file_sha256(partial), partial.stat().st_size
    os.replace(partial, target)
    with transaction.atomic():
        ExportPackage.objects.filter(pk=package.pk).update(
            state=PackageState.COMPLETE, phase="done", file_name=target.name, sha256=sha,
            size=size, finished_at=timezone.now(), lease_until=None, error="")
        ExportThreadItem.objects.filter(package=package).delete()
        audit_record(actor=None, action="archive.export_completed",
                     organisation=package.organisation, target=package,
                     details={"records": report.records, "files": report.files,
                              "entries": report.entries, "sha256": sha, "size": size})
    shutil.rmtree(folder, ignore_errors=True)
    package.refresh_from_db()


def export_package_download(*, actor: User, package: ExportPackage) -> Path:
    """The published zip, for a records officer of the package's organisation (audited)."""
    check_can_download_packages(actor, package.organisation)
    path = package_path(package)
    if package.state != PackageState.COMPLETE or not path.is_file():
        raise ValidationError(_("This package is not ready."))
    audit_record(actor=actor, action="archive.export_downloaded",
                 organisation=package.organisation, target=package,
                 details={"sha256": package.sha256, "size": package.size})
    return path


def export_packages_resume(*, now: dt.datetime | None = None) -> int:
    """Queue packages whose worker died (lease expired) again; they resume from the cursor."""
    now = now or timezone.now()
    stalled = ExportPackage.objects.filter(
        Q(state__in=[PackageState.QUEUED, PackageState.BUILDING], lease_until__lt=now)
        | Q(state=PackageState.BUILDING, lease_until__isnull=True)
        # A queued package whose task was lost (queue emptied) is started again too.
        | Q(state=PackageState.QUEUED, lease_until__isnull=True, created_at__lt=now - LEASE))
    ids = list(stalled.values_list("pk", flat=True))
    for package_id in ids:
        transaction.on_commit(partial(_enqueue, package_id))
    return len(ids)

