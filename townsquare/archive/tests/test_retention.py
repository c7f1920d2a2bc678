"""Retention rules, disposition (approved by a records officer) and legal holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from townsquare.archive.models import (
    BatchState,
    DispositionBatch,
    EventKind,
    HoldKind,
    ItemOutcome,
    LegalHold,
    MediaBlob,
    RecordVersion,
)
from townsquare.archive.selectors import records_search
from townsquare.archive.services import archive_verify, record_redact
from townsquare.archive.services.holds import legal_hold_place, legal_hold_release
from townsquare.archive.services.media import media_path
from townsquare.archive.services.retention import (
    disposition_approve,
    disposition_execute,
    disposition_propose,
    disposition_reject,
    record_dispose,
    retention_rule_set,
)
from townsquare.core.models import AuditEvent

from .conftest import T0

pytestmark = pytest.mark.django_db
NOW = T0 + dt.timedelta(days=365 * 4)


@pytest.fixture
def old_posts(capture, alice):
    """Two posts from 2022 sharing a photo, one of them edited; one recent post."""
    made = {
        "old-1": capture("old-1", "Old ferry notice", remote_created_at=T0 - dt.timedelta(days=30),
                         account_handle="@ferries", media=[(b"shared", "image/png"),
                                                           (b"only-mine", "image/png")]),
        "old-2": capture("old-2", "Old bus notice", remote_created_at=T0 - dt.timedelta(days=20),
                         media=[(b"shared", "image/png")]),
        "new": capture("new", "New notice", remote_created_at=NOW - dt.timedelta(days=5)),
    }
    capture("old-1", "Old ferry notice, corrected", network_time=T0)
    record_redact(actor=alice, record=made["old-1"].record, content="Old ferry ██",
                  reason="Personal data")
    return {k: v.record for k, v in made.items()}


@pytest.fixture
def batch(alice, old_posts, government):
    retention_rule_set(actor=alice, organisation=government["transport"],
                       record_type="published_post", keep_years=3, legal_basis="Records Act s.12")
    [proposed] = disposition_propose(now=NOW)
    return proposed


def _approve_and_run(rita, batch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        disposition_approve(actor=rita, batch=batch, note="Checked")
    batch.refresh_from_db()
    return batch


def test_rule_set_is_validated_and_audited(alice, bob, carol, government):
    rule = retention_rule_set(actor=alice, organisation=government["transport"],
                              record_type="reply", keep_years=7)
    rule = retention_rule_set(actor=alice, organisation=government["transport"],
                              record_type="reply", keep_years=None)
    assert rule.keep_years is None
    event = AuditEvent.objects.filter(action="archive.retention_rule_set").latest("pk")
    assert event.details["previous_keep_years"] == 7
    for bad in (0, 101):
        with pytest.raises(ValidationError, match="between 1 and 100"):
            retention_rule_set(actor=alice, organisation=government["transport"],
                               record_type="reply", keep_years=bad)
    with pytest.raises(ValidationError, match="not a record type"):
        retention_rule_set(actor=alice, organisation=government["transport"],
                           record_type="tweet", keep_years=3)
    for user in (bob, carol):
        with pytest.raises(PermissionDenied):
            retention_rule_set(actor=user, organisation=government["transport"],
                               record_type="reply", keep_years=3)


def test_propose_picks_records_past_retention_once(batch, old_posts):
    assert batch.state == BatchState.PROPOSED and batch.keep_years == 3
    assert set(batch.items.values_list("record__source_id", flat=True)) == {"old-1", "old-2"}
    assert disposition_propose(now=NOW) == []  # already waiting in a batch
    assert AuditEvent.objects.filter(action="archive.disposition_proposed").exists()


def test_permanent_and_unrelated_rules_propose_nothing(alice, old_posts, government):
    retention_rule_set(actor=alice, organisation=government["transport"],
                       record_type="published_post", keep_years=None)
    retention_rule_set(actor=alice, organisation=government["transport"],
                       record_type="reply", keep_years=1)
    assert disposition_propose(now=NOW) == []


def test_only_a_records_officer_decides(alice, batch):
    with pytest.raises(PermissionDenied):
        disposition_approve(actor=alice, batch=batch)


def test_approved_disposition_empties_content_keeps_the_chain_verifiable(
        rita, batch, old_posts, django_capture_on_commit_callbacks, alice):
    shared = MediaBlob.objects.get(size=len(b"shared"))
    mine = MediaBlob.objects.get(size=len(b"only-mine"))
    batch = _approve_and_run(rita, batch, django_capture_on_commit_callbacks)
    assert batch.state == BatchState.COMPLETED and batch.decided_by == rita
    assert set(batch.items.values_list("outcome", flat=True)) == {ItemOutcome.DISPOSED}
    for key in ("old-1", "old-2"):
        versions = RecordVersion.objects.filter(record=old_posts[key])
        assert all(v.content == "" and v.disposed_at and v.search_text == "" for v in versions)
        event = old_posts[key].events.get(kind=EventKind.DISPOSED)
        assert event.actor == rita and "3 years" in event.reason
    # Media no other record uses is gone; the shared photo was used only by old records too.
    assert not MediaBlob.objects.filter(pk__in=[shared.pk, mine.pk]).exists()
    assert not media_path(mine.pk).exists() and not media_path(shared.pk).exists()
    assert RecordVersion.objects.get(record=old_posts["new"]).content == "New notice"
    report = archive_verify()
    assert report.ok, report.problems
    assert records_search(rita, "ferry", {}).hits == []
    if connection.vendor == "sqlite":  # the FTS5 rows were removed with the right values
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO archive_version_fts(archive_version_fts, rank) "
                           "VALUES ('integrity-check', 1)")
    assert AuditEvent.objects.filter(action="archive.record_disposed").count() == 2
    with pytest.raises(ValidationError, match="disposed of"):
        record_redact(actor=alice, record=old_posts["old-2"], content="x", reason="y",
                      version=RecordVersion.objects.get(record=old_posts["old-2"]))


def test_media_still_used_by_a_kept_record_stays(rita, capture, batch, old_posts,
                                                 django_capture_on_commit_callbacks):
    capture("new-2", "Reuses the photo", media=[(b"shared", "image/png")])
    _approve_and_run(rita, batch, django_capture_on_commit_callbacks)
    shared = MediaBlob.objects.get(size=len(b"shared"))
    assert media_path(shared.pk).exists()
    assert archive_verify().ok


def test_rejection_keeps_everything_and_needs_a_note(rita, batch, old_posts):
    with pytest.raises(ValidationError):
        disposition_reject(actor=rita, batch=batch, note="")
    disposition_reject(actor=rita, batch=batch, note="Still needed for the audit")
    batch.refresh_from_db()
    assert batch.state == BatchState.REJECTED
    assert set(batch.items.values_list("outcome", flat=True)) == {ItemOutcome.KEPT}
    with pytest.raises(ValidationError, match="already decided"):
        disposition_approve(actor=rita, batch=batch)
    with pytest.raises(ValidationError, match="approved batch"):
        disposition_execute(batch=batch)
    assert RecordVersion.objects.filter(record=old_posts["old-2"]).get().content


@pytest.mark.parametrize("kind", ["case", "account", "search"])
def test_a_hold_refuses_disposition_with_a_clear_message(  # noqa: PLR0917 - fixtures
        kind, rita, alice, batch, old_posts, government, django_capture_on_commit_callbacks):
    hold = legal_hold_place(
        actor=alice, organisation=government["transport"], name="Ferry inquiry",
        reason="Court order 2026/114", kind=kind, query="ferry", account_handle="@FERRIES",
        records=[old_posts["old-1"]],
    )
    batch = _approve_and_run(rita, batch, django_capture_on_commit_callbacks)
    held = batch.items.get(record=old_posts["old-1"])
    assert held.outcome == ItemOutcome.HELD
    assert "legal hold “Ferry inquiry”" in held.note and "until the hold is released" in held.note
    assert RecordVersion.objects.filter(record=old_posts["old-1"], disposed_at=None).count() == 3
    assert batch.items.get(record=old_posts["old-2"]).outcome == ItemOutcome.DISPOSED
    assert archive_verify().ok
    # Released, the record is proposed and disposed of in a new batch.
    legal_hold_release(actor=alice, hold=hold, reason="Case closed")
    [again] = disposition_propose(now=NOW)
    assert list(again.items.values_list("record_id", flat=True)) == [old_posts["old-1"].pk]
    with django_capture_on_commit_callbacks(execute=True):
        disposition_approve(actor=rita, batch=again)
    assert not RecordVersion.objects.filter(record=old_posts["old-1"], disposed_at=None).exists()
    assert archive_verify().ok


def test_held_records_are_not_proposed(alice, old_posts, government):
    legal_hold_place(actor=alice, organisation=government["transport"], name="All ferries",
                     reason="Inquiry", kind=HoldKind.ACCOUNT, account_handle="@ferries")
    retention_rule_set(actor=alice, organisation=government["transport"],
                       record_type="published_post", keep_years=3)
    [batch] = disposition_propose(now=NOW)
    assert list(batch.items.values_list("record__source_id", flat=True)) == ["old-2"]


def test_disposing_a_held_record_directly_is_refused(rita, alice, batch, old_posts, government):
    legal_hold_place(actor=alice, organisation=government["transport"], name="Bus case",
                     reason="Complaint", kind=HoldKind.CASE, records=[old_posts["old-2"]])
    batch.state = BatchState.APPROVED
    batch.save()
    with pytest.raises(ValidationError) as caught:
        record_dispose(record=old_posts["old-2"], batch=batch, approver=rita)
    assert caught.value.messages == [(
        f"Record {old_posts['old-2'].pk} is under the legal hold “Bus case” and cannot be "
        "disposed of until the hold is released.")]


def test_hold_input_is_validated(alice, carol, old_posts, government):
    transport = government["transport"]
    cases = [
        ({"kind": "search", "query": '"unclosed'}, "quotation mark"),
        ({"kind": "search", "query": ""}, "required"),
        ({"kind": "search", "query": "x", "filters": {"date_from": "yesterday"}}, "filters"),
        ({"kind": "account", "account_handle": " "}, "required"),
        ({"kind": "case"}, "at least one record"),
        ({"kind": "nonsense"}, "Choose what the hold covers"),
    ]
    for extra, message in cases:
        with pytest.raises(ValidationError, match=message):
            legal_hold_place(actor=alice, organisation=transport, name="H", reason="R", **extra)
    with pytest.raises(ValidationError, match="does not belong"):
        legal_hold_place(actor=carol, organisation=government["health"], name="H",
                         reason="R", kind="case", records=[old_posts["old-1"]])
    with pytest.raises(PermissionDenied):
        legal_hold_place(actor=carol, organisation=transport, name="H", reason="R",
                         kind="account", account_handle="@x")
    hold = legal_hold_place(actor=alice, organisation=transport, name="H", reason="R",
                            kind="account", account_handle="@x")
    legal_hold_release(actor=alice, hold=hold, reason="Done")
    with pytest.raises(ValidationError, match="already released"):
        legal_hold_release(actor=alice, hold=hold, reason="Again")
    assert AuditEvent.objects.filter(action="archive.legal_hold_placed").count() == 1
    assert AuditEvent.objects.filter(action="archive.legal_hold_released").count() == 1


def test_emptying_a_version_by_raw_sql_is_detected(rita, batch, old_posts,
                                                   django_capture_on_commit_callbacks):
    _approve_and_run(rita, batch, django_capture_on_commit_callbacks)
    kept = RecordVersion.objects.get(record=old_posts["new"])
    table = connection.ops.quote_name(RecordVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET content = '', metadata_json = '{{}}', "  # noqa: S608
                       "search_text = '', disposed_at = %s WHERE id = %s", [NOW, kept.pk])
    report = archive_verify()
    assert not report.ok
    assert f"Version {kept.pk} of record {old_posts['new'].pk} is empty but no disposition" \
        in report.first_broken_entry.message


def test_changing_a_disposition_event_is_detected(rita, batch, old_posts,
                                                  django_capture_on_commit_callbacks):
    _approve_and_run(rita, batch, django_capture_on_commit_callbacks)
    event = old_posts["old-2"].events.get(kind=EventKind.DISPOSED)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE archive_recordevent SET details_json = %s WHERE id = %s",
                       ['{"versions": []}', event.pk])
    report = archive_verify()
    assert not report.ok


# --- console pages -----------------------------------------------------------------------


def test_retention_page_sets_rules_and_shows_the_log(client_for, alice, batch, government):
    client = client_for(alice)
    page = client.get(reverse("archive:retention")).content.decode()
    assert "Records Act s.12" in page and reverse("archive:batch", args=[batch.pk]) in page
    response = client.post(reverse("archive:retention"), {
        "organisation": government["transport"].pk, "record_type": "note", "keep_years": "7"})
    assert response.status_code == 302
    bad = client.post(reverse("archive:retention"), {
        "organisation": government["transport"].pk, "record_type": "note", "keep_years": "-1"})
    assert bad.status_code == 400
    other = client.post(reverse("archive:retention"), {
        "organisation": government["health"].pk, "record_type": "note", "keep_years": "7"})
    assert other.status_code == 400  # not a choice: another agency's organisation


def test_batch_page_decision_by_records_officer(  # noqa: PLR0917 - fixtures
        client_for, rita, alice, carol, batch,
                                                django_capture_on_commit_callbacks):
    assert client_for(carol).get(reverse("archive:batch", args=[batch.pk])).status_code == 404
    page = client_for(alice).get(reverse("archive:batch", args=[batch.pk])).content.decode()
    assert "Approve disposition" not in page  # administrators see, records officers decide
    client = client_for(rita)
    assert "Approve disposition" in client.get(
        reverse("archive:batch", args=[batch.pk])).content.decode()
    empty_reject = client.post(reverse("archive:batch", args=[batch.pk]),
                               {"decision": "reject", "note": ""})
    assert empty_reject.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("archive:batch", args=[batch.pk]),
                               {"decision": "approve", "note": "ok"})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.state == BatchState.COMPLETED


def test_holds_page_places_and_releases(client_for, alice, carol, old_posts, government):
    client = client_for(alice)
    response = client.post(reverse("archive:holds"), {
        "organisation": government["transport"].pk, "name": "Storm inquiry",
        "reason": "Ombudsman", "kind": "search", "query": "notice", "network": "mastodon"})
    assert response.status_code == 302
    hold = LegalHold.objects.get()
    assert hold.filters == {"network": "mastodon"}
    bad = client.post(reverse("archive:holds"), {
        "organisation": government["transport"].pk, "name": "Case", "reason": "R",
        "kind": "case", "record_ids": "12, abc"})
    assert bad.status_code == 400 and "not a record number" in bad.content.decode()
    foreign = client.post(reverse("archive:holds"), {
        "organisation": government["transport"].pk, "name": "Case", "reason": "R",
        "kind": "case", "record_ids": "999999"})
    assert foreign.status_code == 400 and "no record 999999" in foreign.content.decode()
    assert client_for(carol).post(reverse("archive:hold_release", args=[hold.pk]),
                                  {"release_reason": "x"}).status_code == 404
    client.post(reverse("archive:hold_release", args=[hold.pk]), {"release_reason": "Closed"})
    hold.refresh_from_db()
    assert hold.released_at is not None and hold.released_by == alice


def test_disposition_batches_are_audited_with_who_decided(rita, batch):
    disposition_reject(actor=rita, batch=batch, note="Not yet")
    event = AuditEvent.objects.get(action="archive.disposition_rejected")
    assert event.details["note"] == "Not yet"
    assert DispositionBatch.objects.get().decided_by_label == "rita"
