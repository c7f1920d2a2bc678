"""Console pages: scoped to records officers and administrators of the record's agency."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from townsquare.archive.models import EventKind, RecordVersion
from townsquare.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(capture):
    return capture("post-1", "Road closed on Harbour Street", network="mastodon",
                   media=[(b"photo-bytes", "image/jpeg")]).record


def test_records_officer_sees_list_detail_versions_and_chain_proof(client_for, rita, post):
    client = client_for(rita)
    page = client.get(reverse("archive:list"))
    assert page.status_code == 200
    assert "post-1" in page.content.decode()
    detail = client.get(reverse("archive:detail", args=[post.pk])).content.decode()
    assert "Road closed on Harbour Street" in detail
    entry = post.events.get().chain_entry
    assert entry.entry_hash in detail and entry.prev_hash in detail


def test_nav_entry_only_for_archive_users(client_for, rita, bob):
    assert reverse("archive:list") in client_for(rita).get(reverse("console:home")).content.decode()
    assert reverse("archive:list") not in client_for(bob).get(
        reverse("console:home")).content.decode()


def test_filters(client_for, alice, capture, post, government):
    capture("note-7", "internal", record_type="note")
    client = client_for(alice)
    body = client.get(reverse("archive:list"), {"record_type": "note"}).content.decode()
    assert "note-7" in body and "post-1" not in body
    body = client.get(reverse("archive:list"), {"q": "post"}).content.decode()
    assert "post-1" in body and "note-7" not in body
    body = client.get(reverse("archive:list"), {"deleted": "yes"}).content.decode()
    assert "post-1" not in body
    bad = client.get(reverse("archive:list"), {"record_type": "nonsense"})
    assert bad.status_code == 200 and "post-1" not in bad.content.decode()


def test_other_agencies_records_are_missing(client_for, carol, bob, dana, post):
    for user in (carol, bob, dana):
        client = client_for(user)
        assert client.get(reverse("archive:detail", args=[post.pk])).status_code == 404
        blob = post.versions.get().media.get()
        assert client.get(reverse("archive:media", args=[blob.sha256])).status_code == 404
        assert client.post(reverse("archive:redact", args=[post.pk]),
                           {"content": "x", "reason": "y"}).status_code == 404
    assert client_for(carol).get(reverse("archive:list")).status_code == 200
    assert "post-1" not in client_for(carol).get(reverse("archive:list")).content.decode()
    assert client_for(bob).get(reverse("archive:list")).status_code == 403


def test_redact_from_the_page_is_audited_and_keeps_the_original(client_for, rita, post):
    client = client_for(rita)
    response = client.post(reverse("archive:redact", args=[post.pk]),
                           {"content": "Road closed on █", "reason": "Citizen's address"})
    assert response.status_code == 302
    assert RecordVersion.objects.filter(record=post).count() == 2
    assert post.events.filter(kind=EventKind.REDACTED).exists()
    assert AuditEvent.objects.filter(action="archive.record_redacted", actor=rita).exists()
    page = client.get(reverse("archive:detail", args=[post.pk])).content.decode()
    assert "redacted copy of version" in page


def test_redact_bad_input_shows_errors_and_changes_nothing(client_for, rita, post):
    client = client_for(rita)
    response = client.post(reverse("archive:redact", args=[post.pk]),
                           {"content": "Road closed on Harbour Street", "reason": "",
                            "keep_media": "on"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    response = client.post(reverse("archive:redact", args=[post.pk]),
                           {"content": "Road closed on Harbour Street", "reason": "why",
                            "keep_media": "on"})
    assert response.status_code == 400
    assert "same as the original" in response.content.decode()
    assert RecordVersion.objects.filter(record=post).count() == 1


def test_restricted_content_is_hidden_from_administrators(client_for, rita, alice, post):
    response = client_for(rita).post(reverse("archive:restrict", args=[post.pk]),
                                     {"reason": "Erasure request; public-records obligation"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="archive.record_restricted").exists()
    assert "Road closed" not in client_for(alice).get(
        reverse("archive:detail", args=[post.pk])).content.decode()
    assert "Road closed" in client_for(rita).get(
        reverse("archive:detail", args=[post.pk])).content.decode()
    blob = post.versions.get().media.get()
    assert client_for(alice).get(reverse("archive:media", args=[blob.sha256])).status_code == 404
    assert client_for(rita).get(reverse("archive:media", args=[blob.sha256])).status_code == 200


def test_media_download_is_an_attachment_and_audited(client_for, rita, post):
    blob = post.versions.get().media.get()
    response = client_for(rita).get(reverse("archive:media", args=[blob.sha256]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"photo-bytes"
    assert response["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(action="archive.media_downloaded").exists()


def test_chain_page_verifies_in_the_background_and_shows_tampering(
    client_for, rita, post, django_capture_on_commit_callbacks
):
    client = client_for(rita)
    assert "has not been verified yet" in client.get(reverse("archive:chain")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("archive:chain")).status_code == 302
    ok = client.get(reverse("archive:chain")).content.decode()
    assert "The archive verifies" in ok
    version = post.versions.get()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {RecordVersion._meta.db_table} SET content = %s WHERE id = %s",  # noqa: S608
            ["Road open", version.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("archive:chain"))
    broken = client.get(reverse("archive:chain")).content.decode()
    assert "The archive does not verify" in broken
    assert reverse("archive:detail", args=[post.pk]) in broken
    assert AuditEvent.objects.filter(action="archive.verification_requested",
                                     actor=rita).count() == 2
    assert AuditEvent.objects.filter(action="archive.verified").count() == 2


def test_a_run_in_progress_is_polled_and_others_cannot_see_runs(client_for, rita, bob):
    from townsquare.archive.models import VerificationRun

    run = VerificationRun.objects.create(requested_by=rita)
    page = client_for(rita).get(reverse("archive:chain")).content.decode()
    assert reverse("archive:verification", args=[run.pk]) in page and "hx-get" in page
    fragment = client_for(rita).get(reverse("archive:verification", args=[run.pk]))
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert client_for(bob).get(reverse("archive:verification", args=[run.pk])).status_code == 403
    assert client_for(rita).get(reverse("archive:verification", args=[run.pk + 99])
                                ).status_code == 404


def test_nightly_verification(capture):
    from townsquare.archive.models import VerificationRun
    from townsquare.archive.tasks import verify_archive_nightly

    capture()
    verify_archive_nightly()
    run = VerificationRun.objects.get()
    assert run.ok is True and run.entries == 1 and run.finished_at is not None


def test_pages_in_arabic(client_for, rita, post):
    type(rita).objects.filter(pk=rita.pk).update(language="ar")  # her own preference
    client = client_for(rita)
    for url in (reverse("archive:list"), reverse("archive:detail", args=[post.pk]),
                reverse("archive:chain")):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="ar")
        assert response.status_code == 200
        assert 'dir="rtl"' in response.content.decode()


def test_administrator_cannot_redact_a_restricted_record(client_for, rita, alice, post):
    client_for(rita).post(reverse("archive:restrict", args=[post.pk]), {"reason": "Erasure"})
    response = client_for(alice).post(reverse("archive:redact", args=[post.pk]),
                                      {"content": "x", "reason": "y"})
    assert response.status_code == 403
    assert RecordVersion.objects.filter(record=post).count() == 1


def test_console_search_finds_records_only_for_their_agency(client_for, rita, carol, post):
    url = reverse("console:search")
    assert reverse("archive:detail", args=[post.pk]) in client_for(rita).get(
        url, {"q": "post-1"}).content.decode()
    assert reverse("archive:detail", args=[post.pk]) not in client_for(carol).get(
        url, {"q": "post-1"}).content.decode()


def test_a_tombstone_record_page(client_for, rita, government):
    from townsquare.archive.services import record_mark_deleted

    event = record_mark_deleted(source="test", source_id="gone", record_type="inbound_item",
                                organisation=government["transport"])
    page = client_for(rita).get(reverse("archive:detail", args=[event.record_id]))
    assert page.status_code == 200
    assert "Nothing of this record was ever captured" in page.content.decode()
