"""Records archive: capture into the hash chain, and verification of the whole chain.

Capture: record_capture (one transaction, chain lock, hashes, 20 % repeated captures
that must add nothing) against a raw bulk insert of the same versions without checks
or chain. Verify: archive_verify over everything captured, in chain entries per second.
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
