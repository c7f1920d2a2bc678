"""Ingest pipeline: a multilingual stream end to end, per stage, against a raw insert.

Replays BENCH_INGEST_MESSAGES messages (default 1,000,000) of a generated stream:
English, Arabic and Chinese, short and long posts, emoji, links, hashtags, and 5%
redeliveries of earlier messages. The messages are JSON bytes as a network adapter or
an API client would hand them over, generated lazily so that memory measures the
pipeline, not the test data. Enrichment runs in INGEST_ENRICH_WORKERS processes
(default: one per core) feeding one writer.

It then writes the same rows (items and their enrichment) with plain bulk inserts and
no pipeline, the storage limit, and prints the ratio between the two rates.
"""

from __future__ import annotations

import json
import os
import random
import resource
import time
from collections.abc import Iterator

DUPLICATE_SHARE = 0.05
RAW_INSERT_ROWS = 50_000
SHORT = {
    "en": (
        "The number {n} bus has not come for 40 minutes at {place}",
        "Thank you for fixing the streetlight on {place} so quickly 👏🏽",
        "🚨 Flooding on {place} near the fish market, cars stuck #flood @CityGov",
        "Why is the clinic on {place} closed again?? 😡😡",
        "Great job by the team at {place} today 🙌 #community",
        "Rubbish has not been collected on {place} for a week https://t.co/x{n}",
    ),
    "ar": (
        "متى يعاد فتح مركز الصحة في {place_ar}؟ شكرا لكم",
        "الحافلة رقم {n} متأخرة جدا اليوم 😡",
        "شكرا على الخدمة الممتازة في {place_ar} 👍",
        "انقطاع المياه في {place_ar} منذ يومين #ماء",
        "الطريق إلى {place_ar} مغلق بسبب الأمطار @CityGov",
    ),
    "zh": (
        "请问下周供水维修会影响{place_zh}哪些小区？",
        "垃圾已经三天没人收了，太臭了 😷",
        "{place_zh}的公交车又晚点了{n}分钟",
        "感谢工作人员这么快修好了路灯 👍",
        "{place_zh}附近发生积水，车辆无法通行 #暴雨",
    ),
}
LONG_EN = (
    " I have written to the department three times about this and nobody has answered. "
    "My mother is elderly and needs the service every week, and the alternative route "
    "adds an hour each way. Please tell us when it will be fixed and who to contact."
)
LONG_AR = " لقد تواصلت مع الإدارة عدة مرات ولم أتلق أي رد حتى الآن، ونرجو منكم الاهتمام بالموضوع."
LONG_ZH = "我已经打了好几次电话，但是一直没有人回复，希望有关部门尽快处理这个问题，谢谢。"
PLACES = ("Harbour Road", "Corniche Street", "Market Square", "North Avenue", "Station Lane")
PLACES_AR = ("الحي الشمالي", "شارع الكورنيش", "السوق القديم", "حي المحطة")
PLACES_ZH = ("东城区", "海港路", "人民广场", "北大街")
EMOJI = ("", "", "", " 🙏", " 👍", " 😡", " ❤️", " 🤔")


def _text(rng: random.Random, n: int) -> str:
    language = rng.choices(("en", "ar", "zh"), weights=(5, 3, 2))[0]
    text = rng.choice(SHORT[language]).format(
        n=n % 400,
        place=rng.choice(PLACES),
        place_ar=rng.choice(PLACES_AR),
        place_zh=rng.choice(PLACES_ZH),
    )
    if rng.random() < 0.15:  # a long complaint
        text += {"en": LONG_EN, "ar": LONG_AR, "zh": LONG_ZH}[language] * rng.randint(1, 3)
    return text + rng.choice(EMOJI)


def stream(count: int, account_ids: list[int], *, prefix: str, seed: int = 11) -> Iterator[bytes]:
    """``count`` raw messages, about 5% of them redeliveries of recent ones."""
    rng = random.Random(seed)
    for n in range(count):
        k = n - rng.randint(1, min(n, 5000)) if n and rng.random() < DUPLICATE_SHARE else n
        item_rng = random.Random(k)  # a redelivery has the same content
        yield json.dumps(
            {
                "account_id": account_ids[k % len(account_ids)],
                "remote_id": f"{prefix}{k}",
                "kind": "mention",
                "text": _text(item_rng, k),
                "author_handle": f"@citizen{k % 997}",
                "created_at": f"2026-11-01T{(k // 3600) % 24:02d}:{(k // 60) % 60:02d}:00Z",
            },
            ensure_ascii=False,
        ).encode("utf-8")


def _setup(accounts: int = 4) -> list[int]:
    from townsquare.channels.services.accounts import account_create
    from townsquare.organisations.models import OrganisationKind
    from townsquare.organisations.services import organisation_create

    gov = organisation_create(
        actor=None,
        kind=OrganisationKind.GOVERNMENT,
        name="Bench Ingest Gov",
        slug=f"bench-ingest-{random.randrange(10**9)}",
    )
    return [
        account_create(
            actor=None,
            organisation=gov,
            network="mastodon",
            handle=f"@ingest{n}-{random.randrange(10**9)}@sandbox.local",
        ).pk
        for n in range(accounts)
    ]


def _rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def _raw_insert(account_ids: list[int], rows: int) -> float:
    """Rows per second of plain inserts of the same rows (items, then their enrichment),
    in batches of 500 with one transaction each, and nothing else: the storage limit."""
    from django.db import transaction
    from django.utils import timezone

    from townsquare.channels.models import InboundItem
    from townsquare.ingest.enrichment import enrich_texts
    from townsquare.ingest.models import ItemEnrichment
    from townsquare.ingest.writer import insert_ignoring_conflicts

    messages = [json.loads(raw) for raw in stream(rows, account_ids, prefix="raw-", seed=5)]
    texts = sorted({m["text"] for m in messages})
    samples = dict(zip(texts, enrich_texts(texts), strict=True))
    now = timezone.now()
    started = time.perf_counter()
    for start in range(0, rows, 500):
        chunk = [
            {
                "account_id": m["account_id"],
                "network": "mastodon",
                "remote_id": f"{m['remote_id']}-{start}-{i}",
                "kind": m["kind"],
                "text": m["text"],
                "author_handle": m["author_handle"],
                "raw": m,
                "first_seen_via": "ingest",
            }
            for i, m in enumerate(messages[start : start + 500])
        ]
        with transaction.atomic():
            insert_ignoring_conflicts(InboundItem, chunk, now=now)
            ids = dict(
                InboundItem.objects.filter(
                    network="mastodon", remote_id__in=[r["remote_id"] for r in chunk]
                ).values_list("remote_id", "pk")
            )
            insert_ignoring_conflicts(
                ItemEnrichment,
                [{"item_id": ids[r["remote_id"]], **samples[r["text"]]} for r in chunk],
                now=now,
            )
    return rows / (time.perf_counter() - started)


def run() -> None:
    from django.conf import settings
    from django.db import connection

    from townsquare.channels.models import InboundItem
    from townsquare.ingest.runner import ingest_stream

    count = int(os.environ.get("BENCH_INGEST_MESSAGES", "1000000"))
    workers = int(os.environ.get("INGEST_ENRICH_WORKERS") or len(os.sched_getaffinity(0)))
    account_ids = _setup()
    print(
        f"ingest: {count:,} messages, batches of {settings.INGEST_BATCH_SIZE}, "
        f"{workers} enrichment process(es) + 1 writer, database {connection.vendor}"
    )
    progress_every = max(count // 10, 1)
    seen = [0]

    def on_batch(result):
        before = seen[0]
        seen[0] += result.received
        if seen[0] // progress_every != before // progress_every:
            print(f"  … {seen[0]:,} messages, peak RSS {_rss_mb():,.0f} MB", flush=True)

    report = ingest_stream(
        stream(count, account_ids, prefix="m-"), source="bench", workers=workers, on_batch=on_batch
    )
    result, times = report.result, report.times
    stored = InboundItem.objects.filter(account_id__in=account_ids, first_seen_via="ingest")
    stored_count = stored.count()
    if stored_count != result.stored:
        raise RuntimeError(f"pipeline says {result.stored} stored, database has {stored_count}")
    rate = count / report.seconds
    print(f"end to end: {rate:,.0f} messages/s ({report.seconds:.1f} s wall)")
    print(
        f"  stored {result.stored:,}, duplicates {result.duplicates:,}, "
        f"rejected {result.rejected:,}"
    )
    print("per stage (each stage alone; per wall-clock second and per CPU-second):")
    prepare = (count / max(times.prepare, 1e-9), count / max(times.prepare_cpu, 1e-9))
    store = (count / max(times.store, 1e-9), count / max(times.store_cpu, 1e-9))
    print(f"  decode+validate+dedupe {prepare[0]:>9,.0f}/s wall {prepare[1]:>9,.0f}/s CPU")
    per_core = report.enriched / max(times.enrich, 1e-9)
    print(f"  enrich                 {'':>15} {per_core:>9,.0f}/s CPU (per core)")
    print(f"  store+index            {store[0]:>9,.0f}/s wall {store[1]:>9,.0f}/s CPU")
    print(f"  writer waiting for enrichment: {times.waiting:.1f} s")
    print(
        f"peak memory: writer {_rss_mb():,.0f} MB RSS, "
        f"largest enrichment process {times.enrich_peak_kib / 1024:,.0f} MB RSS"
    )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    raw_rows = min(count, RAW_INSERT_ROWS)
    raw_rate = _raw_insert(account_ids, raw_rows)
    print(f"raw bulk insert of the same rows ({raw_rows:,}): {raw_rate:,.0f} rows/s")
    print(f"pipeline / raw insert: {rate / raw_rate:.2f}")
