"""The embedded pipeline: a stream of raw messages in, stored batches out.

A reader pulls one batch at a time from the stream; enrichment runs in a pool of
processes (or in this process); one writer stores batches in order. At most
``max_in_flight`` batches are between reader and writer, so a fast source waits for
the database instead of filling memory (back-pressure), and a million-message replay
needs as much memory as a few batches.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from townsquare.ingest.enrichment import timed_enrich, warm_up
from townsquare.ingest.pipeline import BatchResult, Prepared, batch_prepare, batch_store
from townsquare.ingest.stages import Raw, chunks


@dataclass
class StageTimes:
    """Seconds spent in each stage: wall-clock, and CPU of the process doing it
    (enrichment: CPU seconds summed over the processes that ran it)."""

    prepare: float = 0.0  # decode, validate, find accounts, dedupe
    prepare_cpu: float = 0.0
    enrich: float = 0.0
    store: float = 0.0  # store, index, dead letters
    store_cpu: float = 0.0
    waiting: float = 0.0  # the writer waiting for enrichment
    enrich_peak_kib: int = 0  # largest resident set of an enrichment process

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


@dataclass
class IngestReport:
    result: BatchResult = field(default_factory=BatchResult)
    batches: int = 0
    enriched: int = 0  # texts sent to enrichment (redeliveries already stored are not)
    seconds: float = 0.0
    times: StageTimes = field(default_factory=StageTimes)


def ingest_stream(
    messages: Iterable[Raw],
    *,
    source: str,
    batch_size: int | None = None,
    workers: int | None = None,
    max_in_flight: int | None = None,
    on_batch: Callable[[BatchResult], None] | None = None,
) -> IngestReport:
    """Run the whole pipeline over ``messages`` in this process (plus enrichment workers)."""
    size = batch_size or settings.INGEST_BATCH_SIZE
    workers = settings.INGEST_ENRICH_WORKERS if workers is None else workers
    limit = max_in_flight or max(2, 2 * workers)
    max_chars = settings.INGEST_MAX_TEXT_CHARS
    report = IngestReport()
    started = time.perf_counter()

    def store(prepared: Prepared, values: list[dict[str, Any]]) -> None:
        t, cpu = time.perf_counter(), time.process_time()
        result = batch_store(prepared, values)
        report.times.store += time.perf_counter() - t
        report.times.store_cpu += time.process_time() - cpu
        report.result.add(result)
        report.batches += 1
        if on_batch is not None:
            on_batch(result)

    def prepare(chunk: list[Raw]) -> Prepared:
        t, cpu = time.perf_counter(), time.process_time()
        prepared = batch_prepare(chunk, source=source, max_chars=max_chars)
        report.times.prepare += time.perf_counter() - t
        report.times.prepare_cpu += time.process_time() - cpu
        return prepared

    if workers <= 0:
        for chunk in chunks(messages, size):
            prepared = prepare(chunk)
            report.enriched += len(prepared.to_enrich)
            values, cpu, peak = timed_enrich([c.text for c in prepared.to_enrich])
            report.times.enrich += cpu
            report.times.enrich_peak_kib = max(report.times.enrich_peak_kib, peak)
            store(prepared, values)
    else:
        # fork would copy this process's database connections and threads' locks.
        context = multiprocessing.get_context("forkserver")
        in_flight: deque[tuple[Prepared, Future[tuple[list[dict[str, Any]], float, int]]]] = deque()
        with ProcessPoolExecutor(workers, mp_context=context, initializer=warm_up) as pool:

            def drain_one() -> None:
                prepared, future = in_flight.popleft()
                t = time.perf_counter()
                values, cpu, peak = future.result()
                report.times.waiting += time.perf_counter() - t
                report.times.enrich += cpu
                report.times.enrich_peak_kib = max(report.times.enrich_peak_kib, peak)
                store(prepared, values)

            for chunk in chunks(messages, size):
                prepared = prepare(chunk)
                texts = [c.text for c in prepared.to_enrich]
                report.enriched += len(texts)
                in_flight.append((prepared, pool.submit(timed_enrich, texts)))
                while len(in_flight) >= limit:
                    drain_one()
            while in_flight:
                drain_one()
    report.seconds = time.perf_counter() - started
    return report
