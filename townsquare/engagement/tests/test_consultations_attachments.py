# ruff: noqa: F811 (the shared fixtures are imported from consultation_helpers by name)
import io
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image

from townsquare.engagement.attachments import attachment_clean
from townsquare.engagement.consultation_models import FormalResponse
from townsquare.media import storage

from .consultation_helpers import consultation, signed_in_client, url  # noqa: F401


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def pdf(body=b"/Type /Catalog /Pages 2 0 R"):
    return b"%PDF-1.4\n1 0 obj << " + body + b" >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def jpeg_with_gps():
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_plain_pdfs_and_images_are_accepted_and_images_cleaned():
    content, kind = attachment_clean(pdf(b"/URI (https://example.org)"))
    assert kind == "application/pdf" and content.startswith(b"%PDF-")
    original = jpeg_with_gps()
    cleaned, kind = attachment_clean(original + b"<html><script>x</script>")
    assert kind == "image/jpeg" and b"<script>" not in cleaned
    assert not Image.open(io.BytesIO(cleaned)).getexif().get(0x8825)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "active content"),
    (pdf(b"/AA << /O << /S /Launch /F (cmd.exe) >> >>"), "active content"),
    (pdf(b"/Names << /J#61vaScript 3 0 R >>"), "active content"),
    (pdf(b"/Names << /EmbeddedFiles 3 0 R >>"), "active content"),
    (b"%PDF-1.7\n1 0 obj << /Length 99 >>\nstream\n"
     + zlib.compress(b"<< /S /JavaScript /JS (x) >>") + b"\nendstream\n%%EOF", "active content"),
    (b"%PDF-1.4\n1 0 obj << >> endobj\n", "damaged"),
    (b"<html>" + pdf(), "damaged"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>", "PDF or an image"),
    (b"PK\x03\x04 a zip file", "PDF or an image"),
    (jpeg_with_gps()[:200], "damaged"),
])
def test_hostile_or_broken_files_are_refused_clearly(content, message):
    with pytest.raises(ValidationError, match=message):
        attachment_clean(content)


def test_too_large_files_are_refused(settings):
    settings.CONSULTATION_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match="too large"):
        attachment_clean(pdf(b"/Pad (" + b"x" * 2000 + b")"))


def test_a_formal_response_with_a_refused_file_keeps_the_text(
        consultation, django_capture_on_commit_callbacks):
    client = signed_in_client(consultation, django_capture_on_commit_callbacks)
    empty = client.post(url("consultation_respond", consultation.slug), {"body": "  "})
    assert empty.status_code == 400 and "Write your response." in empty.content.decode()
    evil = io.BytesIO(pdf(b"/JS (app.alert(1))"))
    evil.name = "response.pdf"
    page = client.post(url("consultation_respond", consultation.slug),
                       {"body": "Our full response", "attachment": evil})
    html = page.content.decode()
    assert page.status_code == 400 and "active content" in html
    assert "Our full response" in html and FormalResponse.objects.count() == 0
    good = io.BytesIO(pdf())
    good.name = "response.pdf"
    page = client.post(url("consultation_respond", consultation.slug),
                       {"body": "Our full response", "attachment": good,
                        "as_organisation": "on"})
    assert page.status_code == 302
    saved = FormalResponse.objects.get()
    assert saved.organisation_name == "Harbour Cyclists"
    assert saved.attachment_type == "application/pdf"
    assert storage.read(saved.attachment_sha256) == pdf()
    # A second one (double submission) is refused with a clear message.
    again = client.post(url("consultation_respond", consultation.slug), {"body": "Again"})
    assert "already sent" in again.content.decode() and FormalResponse.objects.count() == 1


def test_staff_download_attachments_safely_and_only_their_own(
        consultation, alice, carol, client_for, django_capture_on_commit_callbacks):
    client = signed_in_client(consultation, django_capture_on_commit_callbacks)
    upload = io.BytesIO(pdf())
    upload.name = "r.pdf"
    client.post(url("consultation_respond", consultation.slug),
                {"body": "Text", "attachment": upload})
    saved = FormalResponse.objects.get()
    address = reverse("engagement:consultation_attachment", args=[consultation.pk, saved.pk])
    response = client_for(alice).get(address)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == pdf()
    assert client_for(carol).get(address).status_code == 404
    listing = client_for(alice).get(reverse("engagement:consultation_responses",
                                            args=[consultation.pk]))
    assert "Harbour Cyclists" not in listing.content.decode()  # not sent on its behalf
    assert "Amal" in listing.content.decode()
