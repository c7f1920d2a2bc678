import csv
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from townsquare.core.models import AuditEvent
from townsquare.engagement.models import Answer, Response
from townsquare.engagement.services import builder
from townsquare.engagement.uploads import file_clean
from townsquare.media import storage

from .conftest import options


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def pdf(body=b"/Type /Catalog /Pages 2 0 R"):
    return b"%PDF-1.4\n1 0 obj << " + body + b" >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png():
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "blue").save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps():
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def file_survey(government, alice, fresh_cache):
    survey = builder.survey_create(actor=alice, organisation=government["transport"],
                                   title="Report damage")
    page = builder.section_add(actor=alice, survey=survey, title="Damage")
    builder.question_add(actor=alice, section=page, kind="single", key="kind",
                         text="What is damaged?", options=options("Road", "Bus stop"))
    builder.question_add(actor=alice, section=page, kind="file", key="photo",
                         text="A photo or a letter", upload_types=["pdf", "jpeg", "png"],
                         upload_max_bytes=4096)
    builder.question_add(actor=alice, section=page, kind="file", key="plan", text="The plan",
                         upload_types=["pdf"],
                         condition={"question": "kind", "equals": "road"})
    builder.question_add(actor=alice, section=page, kind="text", key="where", text="Where?")
    return builder.survey_publish(actor=alice, survey=survey)


def url(name, *args):
    return reverse(f"engagement_public:{name}", args=args)


def started(survey):
    client = Client()
    assert client.post(url("survey", survey.slug)).status_code == 302
    return client


def upload(content, name="file.bin"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_a_photo_is_cleaned_stored_privately_kept_on_resume_and_listed(
        file_survey, alice, carol, dana, client_for):
    client = started(file_survey)
    page = client.get(url("page", file_survey.slug, 1)).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    assert 'accept="application/pdf,image/jpeg,image/png' in page
    sent = client.post(url("page", file_survey.slug, 1), {
        "q-kind": "bus-stop", "q-where": "Main St", "q-photo": upload(jpeg_with_gps(), "../x.JPG")})
    assert sent.status_code == 302, sent.content.decode()[:2000]
    value = Answer.objects.get(question__key="photo").value
    assert value["type"] == "image/jpeg" and value["name"] == "x.jpg"
    stored = storage.read(value["sha256"])
    assert not Image.open(io.BytesIO(stored)).getexif().get(0x8825)  # GPS removed
    assert str(storage.root()) not in reverse("engagement_public:survey", args=["x"])
    # Going back and saving again without choosing a file keeps the file.
    again = client.get(url("page", file_survey.slug, 1)).content.decode()
    assert "x.jpg" in again and "q-photo-remove" in again
    client.post(url("page", file_survey.slug, 1), {"q-kind": "bus-stop", "q-where": "Elm"})
    assert Answer.objects.get(question__key="photo").value == value
    assert client.post(url("review", file_survey.slug)).status_code == 302
    assert Response.objects.get().submitted_at
    # Results count the file; the manager lists and downloads it (audited), others cannot.
    results = client_for(alice).get(reverse("engagement:results", args=[file_survey.pk]))
    assert "1 file received" in results.content.decode()
    listing = client_for(alice).get(reverse("engagement:survey_files",
                                            args=[file_survey.pk,
                                                  file_survey.questions.get(key="photo").pk]))
    assert "x.jpg" in listing.content.decode() and value["sha256"] in listing.content.decode()
    answer = Answer.objects.get(question__key="photo")
    address = reverse("engagement:survey_file", args=[file_survey.pk, answer.pk])
    download = client_for(alice).get(address)
    assert download.status_code == 200 and b"".join(download.streaming_content) == stored
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
    assert download["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(action="survey.file_downloaded").count() == 1
    assert client_for(carol).get(address).status_code == 404  # another agency
    assert client_for(dana).get(address).status_code in (403, 404)  # not a manager
    # The CSV export lists the name and SHA-256.
    export = client_for(alice).get(reverse("engagement:export", args=[file_survey.pk]))
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert f"x.jpg sha256:{value['sha256']}" in rows[1]


def test_removing_the_file_deletes_the_answer(file_survey):
    client = started(file_survey)
    client.post(url("page", file_survey.slug, 1), {"q-photo": upload(png(), "a.png")})
    assert Answer.objects.filter(question__key="photo").exists()
    client.post(url("page", file_survey.slug, 1), {"q-photo-remove": "1"})
    assert not Answer.objects.filter(question__key="photo").exists()


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"x" * 5000, "too large"),
    (pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "active content"),
    (pdf(b"/Names << /EmbeddedFiles 3 0 R >>"), "active content"),
    (b"<html>" + pdf(), "damaged"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>", "PDF, JPEG, PNG"),
    (b"GIF89a" + b"\x00" * 20, "PDF, JPEG, PNG"),
    (b"PK\x03\x04 a zip", "PDF, JPEG, PNG"),
])
def test_bad_files_are_refused_and_the_other_answers_are_kept(file_survey, content, message):
    client = started(file_survey)
    bad = client.post(url("page", file_survey.slug, 1), {
        "q-kind": "bus-stop", "q-where": "Typed by hand", "q-photo": upload(content)})
    assert bad.status_code == 400
    body = bad.content.decode()
    assert message in body and 'href="#q-photo"' in body
    assert "Typed by hand" in body and re.search(r'value="bus-stop"\s+checked', body)
    assert not Answer.objects.exists()


def test_a_question_limited_to_pdf_refuses_images_and_hidden_file_answers_are_dropped(
        file_survey):
    client = started(file_survey)
    bad = client.post(url("page", file_survey.slug, 1),
                      {"q-kind": "road", "q-plan": upload(png(), "plan.png")})
    assert bad.status_code == 400 and "one of these types: PDF." in bad.content.decode()
    # "plan" is shown only for roads: a file sent for it with another answer is discarded.
    ok = client.post(url("page", file_survey.slug, 1),
                     {"q-kind": "bus-stop", "q-plan": upload(pdf(), "plan.pdf")})
    assert ok.status_code == 302
    assert not Answer.objects.filter(question__key="plan").exists()
    ok = client.post(url("page", file_survey.slug, 1),
                     {"q-kind": "road", "q-plan": upload(pdf(), "plan.pdf")})
    assert Answer.objects.get(question__key="plan").value["type"] == "application/pdf"


def test_the_installation_limit_caps_every_question(settings):
    settings.ENGAGEMENT_UPLOAD_MAX_BYTES = 2048
    with pytest.raises(ValidationError, match="too large"):
        file_clean(png() + b"\x00" * 3000, types=["png"], limit=2048)
    assert file_clean(png(), types=["png"], limit=2048)[1] == "image/png"


def test_the_builder_checks_file_limits(government, alice, fresh_cache, settings, client_for):
    settings.ENGAGEMENT_UPLOAD_MAX_BYTES = 1024 * 1024
    survey = builder.survey_create(actor=alice, organisation=government["transport"], title="T")
    page = builder.section_add(actor=alice, survey=survey, title="P")
    with pytest.raises(ValidationError, match="PDF, JPEG and PNG"):
        builder.question_add(actor=alice, section=page, kind="file", text="F",
                             upload_types=["exe"])
    with pytest.raises(ValidationError, match="between 1 KB"):
        builder.question_add(actor=alice, section=page, kind="file", text="F",
                             upload_max_bytes=5 * 1024 * 1024)
    response = client_for(alice).post(
        reverse("engagement:question_new", args=[page.pk]),
        {"kind": "file", "text": "Your letter", "max_length": 1000, "upload_types": ["pdf"],
         "upload_max_mb": "0.5"})
    assert response.status_code == 302
    question = survey.questions.get(kind="file")
    assert question.upload_types == ["pdf"] and question.upload_max_bytes == 512 * 1024
    edit = client_for(alice).get(reverse("engagement:question_edit", args=[question.pk]))
    assert edit.status_code == 200
