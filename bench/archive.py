"""Records archive: capture into the hash chain, verification, and full-text search.

Capture: record_capture (one transaction, chain lock, hashes, 20 % repeated captures
that must add nothing) against a raw bulk insert of the same versions without checks
or chain. Verify: archive_verify over everything captured, in chain entries per second.
Search: BENCH_ARCHIVE_RECORDS (default 1,000,000) multilingual records loaded in bulk
(executemany straight into the tables and the FTS5 index: this measures search, not
capture), then a fixed set of English, Arabic and Chinese queries through
records_search (the console's selector, with snippets), median and 95th percentile.
"""

from __future__ import annotations

import random
import time

N_CAPTURES = 3000
REPEAT_SHARE = 0.2
TEXTS = (
    "Road works on Harbour Road this weekend; buses 12 and 14 are diverted.",
    "يعاد فتح مركز الصحة في الحي الشمالي يوم الأحد",
    "下周二上午供水维修，以下小区将暂停供水。",
    "Thank you for reporting the broken streetlight 👏🏽",
)


def run() -> None:
    from django.utils import timezone

    from townsquare.archive.models import ChainEntry, Record, RecordVersion
    from townsquare.archive.services import archive_verify, record_capture
    from townsquare.archive.services.chain import version_content_hash
    from townsquare.organisations.models import OrganisationKind
    from townsquare.organisations.services import organisation_create

    organisation = organisation_create(actor=None, kind=OrganisationKind.GOVERNMENT,
                                       name="Archive Bench", slug=f"arch-{random.randrange(10**9)}")
    rng = random.Random(7)
    unique = int(N_CAPTURES * (1 - REPEAT_SHARE))
    keys = [n if n < unique else rng.randrange(unique) for n in range(N_CAPTURES)]
    started = time.perf_counter()
    for k in keys:
        record_capture(source="bench", source_id=f"{organisation.pk}-{k}",
                       organisation=organisation, record_type="published_post",
                       content=TEXTS[k % len(TEXTS)], metadata={"n": k, "network": "mastodon"})
    capture = time.perf_counter() - started
    if RecordVersion.objects.filter(record__organisation=organisation).count() != unique:
        raise RuntimeError("repeated captures added versions")

    now = timezone.now()
    started = time.perf_counter()
    records = Record.objects.bulk_create(
        Record(source="bench-raw", source_id=f"{organisation.pk}-{k}", organisation=organisation,
               record_type="published_post", first_captured_at=now) for k in range(unique))
    RecordVersion.objects.bulk_create(
        RecordVersion(record=r, content=TEXTS[k % len(TEXTS)], metadata_json="{}",
                      content_sha256=version_content_hash(
                          content=TEXTS[k % len(TEXTS)], metadata_json="{}", media_sha256=[]),
                      captured_at=now) for k, r in enumerate(records))
    raw = time.perf_counter() - started

    entries = ChainEntry.objects.count()
    started = time.perf_counter()
    report = archive_verify()
    verify = time.perf_counter() - started
    # The raw rows are outside the chain on purpose; everything else must verify.
    chain_problems = [p for p in report.problems if "is not in the chain" not in p.message]
    if chain_problems:
        raise RuntimeError(f"the chain does not verify: {chain_problems[0].message}")
    print(f"[archive] capture: {N_CAPTURES / capture:,.0f} captures/s "
          f"({unique} versions + chain entries, {N_CAPTURES - unique} repeats adding nothing)")
    print(f"[archive] baseline raw bulk insert of the same versions: {unique / raw:,.0f} rows/s "
          f"(ratio {(unique / raw) / (N_CAPTURES / capture):.1f}x)")
    print(f"[archive] verify: {entries / verify:,.0f} chain entries/s ({entries} entries)")

    run_search()


# --- search ------------------------------------------------------------------------------


def _words(paragraph: str) -> list[str]:
    return paragraph.split()


EN_WORDS = _words(
    "road bus ferry harbour street closed open storm flood water supply school clinic "
    "hospital permit tax licence park library bridge repair works delay service notice "
    "thank you please report broken light bin collection rubbish noise parking fine "
    "vaccine appointment queue office hours weekend sunday monday holiday strike train "
    "station line route timetable fare ticket card refund complaint answer question help "
    "emergency fire police ambulance power outage heat shelter election vote register "
    "consultation survey budget council meeting minister agency health transport housing"
)
AR_WORDS = _words(
    "الطريق مغلق الحافلة العبارة الميناء الشارع العاصفة الفيضان المياه المَدْرَسَةُ "
    "المستشفى العيادة الترخيص الضريبة الحديقة المكتبة الجسر الصيانة التأخير الخدمة "
    "إشعار شكرا من فضلك بلاغ الإنارة النفايات الضوضاء الموقف المخالفة اللقاح الموعد "
    "الطابور المكتب ساعات العمل الأحد الاثنين العطلة الإضراب القطار المحطة الخط "
    "الجدول الأجرة التذكرة البطاقة الاسترداد الشكوى الإجابة السؤال المساعدة الطوارئ "
    "الحريق الشرطة الإسعاف الكهرباء الانقطاع الحر المأوى الانتخابات التصويت التسجيل"
)
ZH_WORDS = _words(
    "道路 封闭 公交车 渡轮 港口 街道 暴雨 洪水 供水 维修 学校 诊所 医院 许可证 税务 公园 "
    "图书馆 桥梁 施工 延误 服务 通知 感谢 举报 路灯 垃圾 噪音 停车 罚款 疫苗 预约 排队 "
    "办公 周末 周日 假期 罢工 火车 车站 线路 时刻表 票价 车票 退款 投诉 回答 问题 帮助 "
    "紧急 火灾 警察 救护车 停电 高温 避难所 选举 投票 登记 咨询 调查 预算 会议 部长"
)
QUERIES = (
    ("en word", "harbour"),
    ("en two words", "bus delay"),
    ("en phrase", '"road closed"'),
    ("en OR", "flood OR storm"),
    ("en rare id", "ref12345"),
    ("en filtered", "ferry"),
    ("ar word", "الميناء"),
    ("ar with diacritics", "المَدْرَسَةُ"),
    ("ar two words", "الطريق مغلق"),
    ("zh word", "供水"),
    ("zh phrase", "供水维修"),
    ("zh OR", "暴雨 OR 洪水"),
)
REPEATS = 5


def _bench_texts(n: int, rng: random.Random):
    """(content, search_text, language) for n records: Zipf-like word choice, plus a
    reference number so the vocabulary grows like real archives do. The search text of
    each pool word is computed once with search_text(); joining them equals what
    search_text gives for the whole text (checked below on a sample)."""
    from townsquare.nlp.normalise import search_text

    pools = {}
    for language, words in (("en", EN_WORDS), ("ar", AR_WORDS), ("zh", ZH_WORDS)):
        normalised = [search_text(w, language) for w in words]
        weights = [1 / (rank + 1) for rank in range(len(words))]
        rng.shuffle(weights)
        pools[language] = (words, normalised, weights)
    languages = ("en", "en", "ar", "zh")  # half English, a quarter each Arabic and Chinese
    for i in range(n):
        language = languages[i % 4]
        words, normalised, weights = pools[language]
        picks = rng.choices(range(len(words)), weights=weights, k=rng.randrange(8, 25))
        reference = f"ref{rng.randrange(100_000)}"
        # Chinese words separated by full-width commas, as in real short posts, so the
        # segmenter sees the same word boundaries.
        joiner, indexed_joiner = ("，", " , ") if language == "zh" else (" ", " ")
        content = joiner.join(words[p] for p in picks) + f" {reference}"
        indexed = indexed_joiner.join(normalised[p] for p in picks) + f" {reference}"
        yield content, indexed, language


def _bulk_load(organisation, n: int) -> float:
    import datetime as dt

    from django.db import connection, transaction
    from django.utils import timezone

    from townsquare.archive.search import FTS_TABLE

    rng = random.Random(11)
    networks = ("mastodon", "bluesky", "x", "facebook", "weibo", "telegram")
    base = timezone.now() - dt.timedelta(days=3 * 365)
    started = time.perf_counter()
    vendor = connection.vendor
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM archive_recordversion")
        first_version = cursor.fetchone()[0]
        if vendor == "postgresql":  # build the GIN index once at the end, as a restore would
            cursor.execute("DROP INDEX IF EXISTS archive_version_search_gin")
    chunk = 20_000
    texts = _bench_texts(n, rng)
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        with transaction.atomic(), connection.cursor() as cursor:
            records = []
            versions = []
            for k in range(start, start + size):
                content, indexed, _language = next(texts)
                when = base + dt.timedelta(seconds=k * 90)
                records.append((organisation.pk, "published_post", "bench-search",
                                f"{organisation.pk}-{k}", networks[k % 6], f"@account{k % 50}",
                                f"Author {k % 500}", "", f"{k}", "", when, when))
                versions.append((content, indexed, when))
            cursor.executemany(
                "INSERT INTO archive_record (organisation_id, record_type, source, source_id, "
                "network, account_handle, author, author_id, remote_id, url, "
                "remote_created_at, first_captured_at) VALUES "
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", records)
            cursor.execute("SELECT id FROM archive_record WHERE source = %s AND source_id = %s",
                           ["bench-search", f"{organisation.pk}-{start}"])
            first_record = cursor.fetchone()[0]
            cursor.executemany(
                "INSERT INTO archive_recordversion (record_id, content, metadata_json, "
                "content_sha256, captured_at, search_text) VALUES (%s, %s, '{}', %s, %s, %s)",
                [(first_record + i, c, "0" * 64, w, t) for i, (c, t, w) in enumerate(versions)])
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute(
                f"INSERT INTO {FTS_TABLE}(rowid, search_text) SELECT id, search_text "  # noqa: S608
                "FROM archive_recordversion WHERE id > %s",
                [first_version])
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")  # noqa: S608
            cursor.execute("ANALYZE")
        elif vendor == "postgresql":
            cursor.execute("CREATE INDEX archive_version_search_gin ON archive_recordversion "
                           "USING GIN (to_tsvector('simple', search_text))")
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_search() -> None:
    import os
    import statistics

    from django.db import connection

    from townsquare.archive.selectors import records_search
    from townsquare.nlp.normalise import search_text
    from townsquare.organisations.models import OrganisationKind
    from townsquare.organisations.services import (
        membership_grant,
        organisation_create,
        staff_user_create,
    )

    n = int(os.environ.get("BENCH_ARCHIVE_RECORDS", "1000000"))
    # The shortcut must give what search_text() gives for the whole text.
    for content, indexed, language in _bench_texts(200, random.Random(3)):
        if search_text(content, language) != indexed:
            raise RuntimeError(f"bulk search text differs from search_text(): {content!r}")
    organisation = organisation_create(actor=None, kind=OrganisationKind.GOVERNMENT,
                                       name="Search Bench",
                                       slug=f"search-{random.randrange(10**9)}")
    user = staff_user_create(actor=None, username=f"bench{random.randrange(10**9)}",
                             email="bench@example.org", first_name="Bench",
                             password=f"Bench-{random.randrange(10**12)}-harbour-Q7")
    membership_grant(actor=None, user=user, organisation=organisation, role="records_officer")
    load = _bulk_load(organisation, n)
    print(f"[archive] search: loaded {n:,} records in {load:.0f} s "
          f"({n / load:,.0f} records/s, bulk path) on {connection.vendor}")
    timings: list[float] = []
    cpu: list[float] = []  # this process's CPU time: what the query costs on a free core
    for label, query in QUERIES:
        filters = {"network": "bluesky"} if label == "en filtered" else {}
        runs = []
        for repeat in range(REPEATS):
            started, started_cpu = time.perf_counter(), time.process_time()
            page = records_search(user, query, filters)
            runs.append(time.perf_counter() - started)
            if repeat:  # the first run of each query warms the caches
                timings.append(runs[-1])
                cpu.append(time.process_time() - started_cpu)
        print(f"[archive]   {label:<20} {statistics.median(runs) * 1000:7.1f} ms median, "
              f"{len(page.hits)} hits on the first page")
    median, p95 = statistics.median(timings), _percentile(timings, 0.95)
    print(f"[archive] search over {n:,} records: median {median * 1000:.1f} ms, "
          f"95th percentile {p95 * 1000:.1f} ms (target under 100 ms); CPU time of this "
          f"process per query: median {statistics.median(cpu) * 1000:.1f} ms, "
          f"95th percentile {_percentile(cpu, 0.95) * 1000:.1f} ms")
