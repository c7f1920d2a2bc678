"""Two workers appending at once: one chain, no gap, no duplicate, no lost capture."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from townsquare.archive.models import ChainEntry, RecordVersion
from townsquare.archive.services import archive_verify, record_capture


@pytest.mark.django_db(transaction=True)
def test_two_workers_capturing_at_once_build_one_valid_chain(government):
    organisation = government["transport"]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker(name: str) -> None:
        try:
            start.wait()
            for n in range(15):
                record_capture(source="test", source_id=f"{name}-{n}", organisation=organisation,
                               record_type="inbound_item", content=f"{name} says {n}")
                # Both workers also capture the same shared records: one version each.
                record_capture(source="test", source_id=f"shared-{n}", organisation=organisation,
                               record_type="inbound_item", content=f"shared {n}")
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert RecordVersion.objects.count() == 45
    assert list(ChainEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, 46)
    )
    report = archive_verify()
    assert report.ok, report.problems
