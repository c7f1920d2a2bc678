"""Export packages: contents, redactions, CSV safety, PDFs, WARC, crash resume, access."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from townsquare.archive.models import ExportPackage, PackageState
from townsquare.archive.services import exports as exports_module
from townsquare.archive.services import record_mark_deleted, record_redact
from townsquare.archive.services.export_files import (
    csv_row,
    safe_cell,
    thread_html,
    visible_name,
    warc_digest,
)
from townsquare.archive.services.exports import (
    export_package_build,
    export_package_start,
    export_packages_resume,
    package_path,
    workdir,
)
from townsquare.archive.services.media import media_path
from townsquare.archive.services.package_proof import package_verify
from townsquare.archive.services.requests import (
    records_request_add_records,
    records_request_create,
)
from townsquare.core.models import AuditEvent

from .conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _export_root(settings, tmp_path):
    settings.ARCHIVE_EXPORT_ROOT = tmp_path / "exports"


@pytest.fixture
def thread(capture):
    """A post with two citizen replies (Arabic and Chinese) and a photo."""
    post = capture("post-1", "Ferry timetable changes on Friday.", network="mastodon",
                   remote_id="100", author="Transport Agency", account_handle="@transport",
                   media=[(b"\x89PNG photo", "image/png")],
                   metadata={"in_reply_to": "", "conversation_id": "c-1"},
                   remote_created_at=T0)
    reply_ar = capture("reply-ar", "متى تبدأ العبارة الجديدة؟", network="mastodon",
                       remote_id="101", author="سارة", record_type="inbound_item",
                       metadata={"in_reply_to": "100", "conversation_id": "c-1"},
                       remote_created_at=T0.replace(hour=10))
    reply_zh = capture("reply-zh", "渡轮时刻表什么时候更新？", network="mastodon",
                       remote_id="102", author="王伟", record_type="inbound_item",
                       metadata={"in_reply_to": "100", "conversation_id": "c-1"},
                       remote_created_at=T0.replace(hour=11))
    return [post.record, reply_ar.record, reply_zh.record]


@pytest.fixture
def records_request(rita, government, thread):
    request = records_request_create(
        actor=rita, organisation=government["transport"], reference="FOI-2026-7",
        requester_name="Sam Citizen", requester_contact="sam@example.org",
        description="Ferry timetable posts", received_on=T0.date())
    records_request_add_records(actor=rita, request=request, records=thread)
    return request


def _build(rita, django_capture_on_commit_callbacks, **kwargs) -> ExportPackage:
    with django_capture_on_commit_callbacks(execute=True):
        package = export_package_start(actor=rita, **kwargs)
    package.refresh_from_db()
    return package


def _read(package: ExportPackage) -> zipfile.ZipFile:
    return zipfile.ZipFile(package_path(package))


def test_package_holds_every_part_and_verifies(rita, records_request, thread,
                                               django_capture_on_commit_callbacks):
    package = _build(rita, django_capture_on_commit_callbacks, request=records_request,
                     include_warc=True)
    assert package.state == PackageState.COMPLETE, package.error
    assert package.records_done == 3 and package.percent == 100
    with _read(package) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        lines = [json.loads(x) for x in archive.read("records.jsonl").splitlines()]
    photo = thread[0].versions.get().media.get().sha256
    assert {"records.jsonl", "records.csv", "records.warc", "manifest.json",
            f"media/{photo}"} <= names
    assert any(n.startswith("threads/") and n.endswith(".pdf") for n in names)
    assert [line["id"] for line in lines] == sorted(r.pk for r in thread)
    assert lines[0]["versions"][0]["media"] == [photo]
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == names - {"manifest.json"}
    assert {p["id"] for p in manifest["records"]} == {r.pk for r in thread}
    assert manifest["checkpoints"] and manifest["chain"]
    report = package_verify(package_path(package))
    assert report.records == 3 and report.key_from_package
    assert not workdir(package).exists()  # partial files are cleaned up once published
    assert AuditEvent.objects.filter(action="archive.export_completed").exists()


def test_redactions_are_applied_everywhere_and_listed(rita, records_request, thread,
                                                      django_capture_on_commit_callbacks):
    record_redact(actor=rita, record=thread[1], content="متى تبدأ ██؟",
                  reason="Personal data, Records Act s.40")
    package = _build(rita, django_capture_on_commit_callbacks, request=records_request)
    with _read(package) as archive:
        text = archive.read("records.jsonl").decode()
        table = archive.read("records.csv").decode()
        manifest = json.loads(archive.read("manifest.json"))
    assert "العبارة الجديدة" not in text and "العبارة الجديدة" not in table
    assert "متى تبدأ ██؟" in table
    [redaction] = manifest["redactions"]
    assert redaction["record_id"] == thread[1].pk
    assert redaction["by"] == "rita" and redaction["legal_basis"].startswith("Personal data")
    original = thread[1].versions.get(redacts__isnull=True)
    assert redaction["version_id"] == original.pk
    package_verify(package_path(package))  # the withheld original is proven by its entry


def test_csv_cells_cannot_start_formulas():
    for dangerous in ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("Buses =fine") == "Buses =fine"
    assert safe_cell(None) == ""


def test_names_lose_bidi_controls_and_show_control_characters():
    assert visible_name("evil\u202egnp.exe") == "evilgnp.exe"
    assert visible_name("a\u2066b\u2069c\u200fd") == "abcd"
    assert visible_name("bell\x07tab\tnl\n") == "bell\u2407tab\u2409nl\u240a"
    assert visible_name("del\x7fc1\x85") == "del\u2421c1<U+0085>"
    assert visible_name("سارة 王伟") == "سارة 王伟"


def test_csv_file_is_rfc4180_and_safe(capture, rita, government,
                                      django_capture_on_commit_callbacks):
    made = capture("evil", '=HYPERLINK("http://x","click")\nsecond line, "quoted"',
                   author="@admin\u202e", account_handle="-cmd\x07")
    request = records_request_create(
        actor=rita, organisation=government["transport"], reference="R-1",
        requester_name="x", requester_contact="y", description="z", received_on=T0.date())
    records_request_add_records(actor=rita, request=request, records=[made.record])
    package = _build(rita, django_capture_on_commit_callbacks, request=request)
    with _read(package) as archive:
        raw = archive.read("records.csv")
    assert b"\r\n" in raw and raw.count(b"\r\n") == 2  # header and one record (CRLF ends)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    header, row = rows
    cells = dict(zip(header, row, strict=True))
    assert cells["content"].startswith("'=HYPERLINK")
    assert "second line" in cells["content"]  # the newline stays inside the quoted cell
    assert cells["author"] == "'@admin"
    assert cells["account"] == "'-cmd\u2407"


def test_thread_pdf_renders_arabic_and_chinese_with_noto_fonts(
        rita, records_request, django_capture_on_commit_callbacks):
    from pypdf import PdfReader

    package = _build(rita, django_capture_on_commit_callbacks, request=records_request)
    with _read(package) as archive:
        pdfs = [n for n in archive.namelist() if n.startswith("threads/")]
        assert len(pdfs) == 1  # the post and both replies share a conversation
        reader = PdfReader(io.BytesIO(archive.read(pdfs[0])))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Ferry timetable changes" in text
    assert "渡轮时刻表" in text
    assert "العبارة" in text
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("Noto-Sans-Arabic" in f or "NotoSansArabic" in f or "Naskh" in f for f in fonts)
    assert any("CJK" in f for f in fonts)


def _line(record_id: int, author: str, content: str) -> dict:
    return {"id": record_id, "author": author, "account_handle": "@harbour",
            "remote_created_at": "2026-03-01T09:00:00.000000Z", "first_captured_at": "",
            "versions": [{"content": content, "withheld": ""}], "deleted": False,
            "redacted": False}


def test_thread_names_and_times_are_isolated_from_the_line_around_them():
    # Unicode isolates (not <bdi> elements) keep a right-to-left name from reordering the
    # account and time after it; a name's own bidi overrides are removed first, so a name
    # cannot close the isolate early.
    lines = [_line(1, "سارة", "Ferry timetable"),
             _line(2, "Eve\u202e\u2069evil", "متى تبدأ العبارة الجديدة؟")]
    html = unescape(thread_html(lines=lines, title="Thread", language="en"))
    assert ("\u2068سارة\u2069 · \u2066@harbour\u2069 · "
            "\u20662026-03-01T09:00:00.000000Z\u2069") in html
    assert "\u2068Eveevil\u2069" in html
    assert "\u202e" not in html
    assert '<p class="content" dir="rtl">متى' in html
    assert '<html lang="ar" dir="rtl">' in thread_html(lines=lines, title="T", language="ar")


def test_warc_file_follows_warc_1_1(rita, records_request, thread,
                                    django_capture_on_commit_callbacks):
    package = _build(rita, django_capture_on_commit_callbacks, request=records_request,
                     include_warc=True)
    with _read(package) as archive:
        data = archive.read("records.warc")
    records = []
    position = 0
    while position < len(data):
        head_end = data.index(b"\r\n\r\n", position)
        head = data[position:head_end].decode("utf-8").split("\r\n")
        assert head[0] == "WARC/1.1"
        fields = dict(line.split(": ", 1) for line in head[1:])
        length = int(fields["Content-Length"])
        block = data[head_end + 4:head_end + 4 + length]
        assert fields["WARC-Block-Digest"] == warc_digest(block)
        assert data[head_end + 4 + length:head_end + 8 + length] == b"\r\n\r\n"
        records.append((fields, block))
        position = head_end + 8 + length
    assert records[0][0]["WARC-Type"] == "warcinfo"
    resources = [(f, b) for f, b in records if f["WARC-Type"] == "resource"]
    assert len(resources) == 3
    assert all(f["WARC-Record-ID"].startswith("<urn:uuid:") for f, _b in resources)
    assert json.loads(resources[0][1])["id"] == thread[0].pk


def test_crash_in_the_middle_resumes_to_the_same_package(
        rita, capture, government, monkeypatch, django_capture_on_commit_callbacks):
    made = [capture(f"post-{i}", f"Notice number {i}", remote_id=str(i)).record
            for i in range(7)]
    request = records_request_create(
        actor=rita, organisation=government["transport"], reference="R-crash",
        requester_name="x", requester_contact="y", description="z", received_on=T0.date())
    records_request_add_records(actor=rita, request=request, records=made)
    monkeypatch.setattr(exports_module, "CHUNK", 3)
    calls = {"n": 0}
    real = exports_module._write_record

    def crash_on_fifth(package, folder, parts, line):
        calls["n"] += 1
        real(package, folder, parts, line)
        if calls["n"] == 5:  # mid second chunk: bytes written past the saved point
            raise RuntimeError("worker killed")

    monkeypatch.setattr(exports_module, "_write_record", crash_on_fifth)
    package = export_package_start(actor=rita, request=request)  # task not run (no commit)
    with pytest.raises(RuntimeError):
        export_package_build(package_id=package.pk)
    package.refresh_from_db()
    assert package.state == PackageState.BUILDING and package.cursor == made[2].pk
    assert not package_path(package).exists()  # nothing is published half-built
    assert package.records_done == 3
    monkeypatch.setattr(exports_module, "_write_record", real)
    export_package_build(package_id=package.pk)
    package.refresh_from_db()
    assert package.state == PackageState.COMPLETE and package.attempts == 2
    with _read(package) as archive:
        resumed = archive.read("records.jsonl"), archive.read("records.csv")
    clean = export_package_start(actor=rita, request=request)
    export_package_build(package_id=clean.pk)
    clean.refresh_from_db()
    with _read(clean) as archive:
        assert (archive.read("records.jsonl"), archive.read("records.csv")) == resumed
    assert len(resumed[0].splitlines()) == 7
    package_verify(package_path(package))


def test_a_stalled_package_is_picked_up_again(rita, records_request, monkeypatch,
                                             django_capture_on_commit_callbacks):
    package = export_package_start(actor=rita, request=records_request)  # task lost
    assert export_packages_resume() == 0  # just queued: its task may still come
    monkeypatch.setattr(exports_module, "thread_key", _explode)
    with pytest.raises(RuntimeError):
        export_package_build(package_id=package.pk)
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert export_packages_resume() == 1
    package.refresh_from_db()
    assert package.state == PackageState.COMPLETE and package.attempts == 2
    assert export_packages_resume() == 0


def _explode(*args, **kwargs):
    raise RuntimeError("worker killed")


def test_missing_media_fails_the_package_with_a_clear_message(
        rita, records_request, thread, django_capture_on_commit_callbacks):
    sha = thread[0].versions.get().media.get().sha256
    media_path(sha).unlink()
    package = _build(rita, django_capture_on_commit_callbacks, request=records_request)
    assert package.state == PackageState.FAILED
    assert sha in package.error and "archive_verify" in package.error
    assert not package_path(package).exists()


def test_export_from_a_search(rita, government, thread, capture,
                              django_capture_on_commit_callbacks):
    capture("other", "Road works on the bridge")
    package = _build(rita, django_capture_on_commit_callbacks,
                     organisation=government["transport"], query="ferry",
                     filters={"record_type": "published_post"})
    assert package.state == PackageState.COMPLETE, package.error
    with _read(package) as archive:
        lines = archive.read("records.jsonl").splitlines()
    assert [json.loads(x)["id"] for x in lines] == [thread[0].pk]
    with pytest.raises(ValidationError):
        export_package_start(actor=rita, organisation=government["transport"], query='"open')
    with pytest.raises(ValidationError):
        export_package_start(actor=rita, organisation=government["transport"], query="zzzz")


def test_deleted_records_are_exported_with_their_deletion(
        rita, records_request, thread, government, django_capture_on_commit_callbacks):
    record_mark_deleted(source="test", source_id="post-1", organisation=government["transport"],
                        record_type="published_post")
    package = _build(rita, django_capture_on_commit_callbacks, request=records_request)
    with _read(package) as archive:
        first = json.loads(archive.read("records.jsonl").splitlines()[0])
    assert first["deleted"] is True
    assert [e["kind"] for e in first["events"]] == ["created", "deleted_on_network"]
    assert csv_row(first)[12] == "yes"
    package_verify(package_path(package))


@pytest.fixture
def built(rita, records_request, django_capture_on_commit_callbacks):
    return _build(rita, django_capture_on_commit_callbacks, request=records_request)


def test_only_records_officers_export_and_download(alice, rita, records_request, built,
                                                   client_for):
    with pytest.raises(PermissionDenied):
        export_package_start(actor=alice, request=records_request)  # administrator only
    url = reverse("archive:package_download", args=[built.pk])
    assert client_for(alice).get(url).status_code == 403
    response = client_for(rita).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert AuditEvent.objects.filter(action="archive.export_downloaded",
                                     actor=rita).count() == 1


def test_another_agency_sees_no_package(carol, built, client_for):
    client = client_for(carol)
    for name in ("archive:package", "archive:package_status", "archive:package_download"):
        assert client.get(reverse(name, args=[built.pk])).status_code == 404
    assert b"FOI-2026-7" not in client.get(reverse("archive:packages")).content


def test_package_page_polls_until_done(rita, records_request, client_for):
    package = export_package_start(actor=rita, request=records_request)
    page = client_for(rita).get(reverse("archive:package", args=[package.pk]))
    assert page.status_code == 200
    assert b'hx-trigger="every 2s"' in page.content
    export_package_build(package_id=package.pk)
    fragment = client_for(rita).get(reverse("archive:package_status", args=[package.pk]))
    assert b"hx-trigger" not in fragment.content
    assert reverse("archive:package_download", args=[package.pk]).encode() in fragment.content


def test_start_from_the_console(rita, records_request, client_for,
                                django_capture_on_commit_callbacks):
    client = client_for(rita)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("archive:request_export", args=[records_request.pk]),
                               {"include_warc": "on"})
    package = ExportPackage.objects.get()
    assert response.status_code == 302 and package.include_warc
    assert response["Location"] == reverse("archive:package", args=[package.pk])
    search = client.get(reverse("archive:search_use"), {"q": "ferry"})
    assert search.status_code == 200
    bad = client.get(reverse("archive:search_use"), {"q": '"unclosed'})
    assert bad.status_code == 400
