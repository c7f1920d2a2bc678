"""Records archive exports: a package of BENCH_ARCHIVE_EXPORT_RECORDS records (default
100,000) against a baseline of a tenth of that, in records per second and peak memory.

Records are loaded in bulk with valid versions, events and hash-chain entries (computed
here as chain.py would, then signed by one checkpoint), in threads of THREAD_SIZE (one
post and its replies, English, Arabic and Chinese), and listed in one records request.
The export then runs exactly as the worker runs it: JSON Lines, CSV, WARC, one PDF per
thread, manifest with chain proofs, zip, verification. Memory is the resident set size
sampled every 50 ms while the export runs, above what it was just before; bounded memory
shows as the same peak for the baseline and the full size.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
import time

THREAD_SIZE = 50
TEXTS = (
    "Ferry timetable changes on Friday: the 07:10 sailing moves to 07:25.",
    "متى تبدأ العبارة الجديدة بالعمل؟ شكرا لكم",
    "渡轮时刻表什么时候更新？谢谢。",
    "Thank you, the 12 bus was on time today 👏🏽",
)


def _rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _PeakRss:
    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_bytes())
            self._stop.wait(0.05)

    def __enter__(self) -> _PeakRss:
        self.start = _rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())


def _load(organisation, n: int, first_id: int):
    """n records with a version, a "created" event and a chain entry each, in bulk."""
    from townsquare.archive.models import (
        ChainEntry,
        ChainHead,
        Record,
        RecordEvent,
        RecordVersion,
    )
    from townsquare.archive.services.chain import (
        GENESIS_HASH,
        canonical_json,
        entry_hash,
        event_fields,
        version_content_hash,
    )

    head = ChainHead.objects.filter(pk=1).first() or ChainHead.objects.create(
        pk=1, seq=0, entry_hash=GENESIS_HASH)
    seq, prev = head.seq, head.entry_hash
    base = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    batch = 2000
    for start in range(0, n, batch):
        records, versions, events, entries = [], [], [], []
        for k in range(start, min(n, start + batch)):
            pk = first_id + k
            thread, position = divmod(k, THREAD_SIZE)
            at = base + dt.timedelta(seconds=k)
            text = TEXTS[k % len(TEXTS)]
            metadata = canonical_json({"conversation_id": f"t{first_id}-{thread}",
                                       "in_reply_to": "" if position == 0 else str(thread)}
                                      ).decode()
            record = Record(pk=pk, organisation=organisation,
                            record_type="published_post" if position == 0 else "inbound_item",
                            source="bench-export", source_id=f"{pk}", network="mastodon",
                            account_handle="@transport", author=f"Citizen {k % 97}",
                            remote_id=str(pk), remote_created_at=at, first_captured_at=at)
            version = RecordVersion(pk=pk, record=record, content=text, metadata_json=metadata,
                                    content_sha256=version_content_hash(
                                        content=text, metadata_json=metadata, media_sha256=[]),
                                    captured_at=at)
            event = RecordEvent(pk=pk, record=record, kind="created", version=version,
                                actor_label="system", occurred_at=at, recorded_at=at)
            seq += 1
            digest = entry_hash(seq=seq, prev_hash=prev, event=event_fields(event),
                                content_sha256=version.content_sha256, media=[])
            entries.append(ChainEntry(seq=seq, prev_hash=prev, entry_hash=digest, event=event,
                                      content_sha256=version.content_sha256, media_sha256=[]))
            prev = digest
            records.append(record)
            versions.append(version)
            events.append(event)
        Record.objects.bulk_create(records)
        RecordVersion.objects.bulk_create(versions)
        RecordEvent.objects.bulk_create(events)
        ChainEntry.objects.bulk_create(entries)
    ChainHead.objects.filter(pk=1).update(seq=seq, entry_hash=prev)


def _export(rita, organisation, n: int, first_id: int, reference: str):
    from townsquare.archive.models import RequestRecord
    from townsquare.archive.services.chain import checkpoint_create
    from townsquare.archive.services.exports import (
        export_package_build,
        export_package_start,
    )
    from townsquare.archive.services.requests import records_request_create

    _load(organisation, n, first_id)
    checkpoint_create()
    request = records_request_create(
        actor=rita, organisation=organisation, reference=reference, requester_name="Bench",
        requester_contact="bench@example.org", description="bench",
        received_on=dt.date(2026, 3, 2))
    RequestRecord.objects.bulk_create(
        (RequestRecord(request=request, record_id=first_id + k) for k in range(n)),
        batch_size=5000)
    package = export_package_start(actor=rita, request=request, include_warc=True)
    with _PeakRss() as memory:
        started = time.perf_counter()
        cpu = time.process_time()
        export_package_build(package_id=package.pk)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    package.refresh_from_db()
    if package.state != "complete":
        raise RuntimeError(f"export failed: {package.error}")
    return wall, cpu, (memory.peak - memory.start) / 2**20, package


def run() -> None:
    from django.conf import settings

    from townsquare.organisations.models import OrganisationKind
    from townsquare.organisations.services import (
        membership_grant,
        organisation_create,
        staff_user_create,
    )

    n = int(os.environ.get("BENCH_ARCHIVE_EXPORT_RECORDS", "100000"))
    baseline_n = max(THREAD_SIZE, n // 10)
    organisation = organisation_create(actor=None, kind=OrganisationKind.AGENCY,
                                       name="Export Bench", slug="export-bench")
    rita = staff_user_create(actor=None, username="bench-rita", email="rita@example.org",
                             first_name="Rita",
                             password=f"Bench-{random.randrange(10**12)}-harbour-Q7")
    membership_grant(actor=None, user=rita, organisation=organisation, role="records_officer")
    print(f"[archive_export] exports under {settings.ARCHIVE_EXPORT_ROOT}; threads of "
          f"{THREAD_SIZE} records (one PDF each), WARC included")
    results = []
    first_id = 10_000_000
    for label, size in (("baseline", baseline_n), ("full", n)):
        wall, cpu, peak, package = _export(rita, organisation, size, first_id, f"BENCH-{label}")
        first_id += size
        results.append((size, wall, peak))
        print(f"[archive_export] {label}: {size:,} records in {wall:.1f} s = "
              f"{size / wall:,.0f} records/s (CPU {size / cpu:,.0f} records per CPU-second); "
              f"peak memory +{peak:.0f} MB; package {package.size / 2**20:.1f} MB")
    (small, small_wall, small_peak), (big, big_wall, big_peak) = results
    print(f"[archive_export] {big:,} vs {small:,} records: throughput ratio "
          f"{(big / big_wall) / (small / small_wall):.2f}, peak memory ratio "
          f"{big_peak / max(small_peak, 1):.2f}")
