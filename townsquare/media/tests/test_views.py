"""Console pages and the file view: access, headers, per-file upload errors, audit."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from townsquare.core.models import AuditEvent
from townsquare.media.models import MediaAsset
from townsquare.media.tests import samples

pytestmark = pytest.mark.django_db


def _file(name, content, content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_library_lists_visible_assets_only(client_for, transport_image, alice, carol):
    page = client_for(alice).get(reverse("media:library"))
    assert page.status_code == 200
    assert "bus-stop.jpg" in page.content.decode()
    assert reverse("media:upload") in page.content.decode()
    other = client_for(carol).get(reverse("media:library"))
    assert "bus-stop.jpg" not in other.content.decode()


def test_library_filters(client_for, government, alice, transport_image):
    client = client_for(alice)
    url = reverse("media:library")
    assert "bus-stop.jpg" in client.get(url, {"kind": "image"}).content.decode()
    assert "bus-stop.jpg" not in client.get(url, {"kind": "video"}).content.decode()
    # Missing Chinese alt text: listed under "missing alt text".
    assert "bus-stop.jpg" in client.get(url, {"missing_alt_text": "on"}).content.decode()
    health = client.get(url, {"organisation": government["health"].pk})
    assert health.status_code == 200  # alice cannot pick Health: the filter is ignored
    archived = MediaAsset.objects.get()
    archived.is_archived = True
    archived.save()
    assert "bus-stop.jpg" not in client.get(url).content.decode()
    assert "bus-stop.jpg" in client.get(url, {"archived": "on"}).content.decode()


def test_nav_entry(client_for, alice):
    page = client_for(alice).get(reverse("console:home"))
    assert reverse("media:library") in page.content.decode()


def test_upload_one_file_redirects_to_it(client_for, government, alice):
    response = client_for(alice).post(
        reverse("media:upload"),
        {
            "organisation": government["transport"].pk,
            "uploads": _file("gps.jpg", samples.jpeg_with_gps()),
            "alt_en": "A field",
            "alt_ar": "حقل",
        },
    )
    asset = MediaAsset.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("media:detail", args=[asset.pk])
    assert asset.alt_text == {"en": "A field", "ar": "حقل"}


def test_upload_many_files_reports_each(client_for, government, alice):
    response = client_for(alice).post(
        reverse("media:upload"),
        {
            "organisation": government["transport"].pk,
            "uploads": [
                _file("good.png", samples.png(), "image/png"),
                _file("evil.png", samples.SVG_WITH_SCRIPT, "image/png"),
                _file("bomb.png", samples.png_bomb(), "image/png"),
                _file("empty.jpg", b""),
                _file("cut.png", samples.noisy_png()[:300], "image/png"),
            ],
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "good.png" in html and "added" in html
    assert "SVG images are not accepted" in html
    assert "megapixels" in html
    assert "The file is empty." in html
    assert "damaged or incomplete" in html
    assert MediaAsset.objects.count() == 1


def test_upload_keeps_typed_alt_text_when_refused(client_for, government, alice):
    response = client_for(alice).post(
        reverse("media:upload"),
        {
            "organisation": government["transport"].pk,
            "uploads": _file("good.jpg", samples.jpeg()),
            "alt_en": "Evil \u202e text",
        },
    )
    html = response.content.decode()
    assert "override" in html
    assert not MediaAsset.objects.exists()


def test_upload_without_file_is_a_form_error(client_for, government, alice):
    response = client_for(alice).post(
        reverse("media:upload"), {"organisation": government["transport"].pk}
    )
    assert response.status_code == 200
    assert "Choose at least one file." in response.content.decode()


def test_too_large_upload_is_not_read(client_for, government, alice, settings):
    settings.MEDIA_MAX_IMAGE_BYTES = settings.MEDIA_MAX_VIDEO_BYTES = 2000
    response = client_for(alice).post(
        reverse("media:upload"),
        {"organisation": government["transport"].pk,
         "uploads": _file("big.png", samples.noisy_png((100, 100)), "image/png")},
    )
    assert "too large" in response.content.decode()
    assert not MediaAsset.objects.exists()


def test_responder_cannot_upload(client_for, government, bob):
    client = client_for(bob)
    assert client.get(reverse("media:upload")).status_code == 403
    response = client.post(
        reverse("media:upload"),
        {"organisation": government["transport"].pk, "uploads": _file("a.jpg", samples.jpeg())},
    )
    assert response.status_code == 403
    assert not MediaAsset.objects.exists()


def test_carol_cannot_upload_into_transport(client_for, government, carol):
    response = client_for(carol).post(
        reverse("media:upload"),
        {"organisation": government["transport"].pk, "uploads": _file("a.jpg", samples.jpeg())},
    )
    assert response.status_code == 200  # the form refuses an agency she cannot choose
    assert not MediaAsset.objects.exists()


def test_file_view_sends_safe_headers(client_for, transport_image, alice):
    response = client_for(alice).get(reverse("media:file", args=[transport_image.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    body = b"".join(response.streaming_content)
    assert len(body) == transport_image.byte_size
    download = client_for(alice).get(
        reverse("media:file", args=[transport_image.pk]), {"download": "1"}
    )
    assert download["Content-Disposition"].startswith("attachment")


def test_carol_cannot_see_or_serve_transport_assets(client_for, transport_image, carol):
    client = client_for(carol)
    for name in ("media:detail", "media:file"):
        assert client.get(reverse(name, args=[transport_image.pk])).status_code == 404
    for name in ("media:alt_text", "media:archive"):
        assert client.post(reverse(name, args=[transport_image.pk]),
                           {"alt_en": "x"}).status_code == 404
    transport_image.refresh_from_db()
    assert not transport_image.is_archived


def test_anonymous_is_sent_to_sign_in(client, transport_image):
    response = client.get(reverse("media:file", args=[transport_image.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_detail_shows_preview_and_network_checks(client_for, government, alice,
                                                 transport_image):
    from townsquare.channels.services.accounts import account_create

    account_create(actor=alice, organisation=government["transport"], network="x",
                   handle="TransportAgency")
    html = client_for(alice).get(reverse("media:detail", args=[transport_image.pk])).content
    text = html.decode()
    assert reverse("media:file", args=[transport_image.pk]) in text
    assert 'alt="A bus stop at dawn"' in text
    assert "X</th>" in text and "Ready" in text
    assert 'name="alt_zh_hans"' in text


def test_responder_sees_detail_read_only(client_for, transport_image, bob):
    client = client_for(bob)
    text = client.get(reverse("media:detail", args=[transport_image.pk])).content.decode()
    assert 'name="alt_en"' not in text and "A bus stop at dawn" in text
    response = client.post(reverse("media:alt_text", args=[transport_image.pk]), {"alt_en": "x"})
    assert response.status_code == 403
    assert client.post(reverse("media:archive", args=[transport_image.pk])).status_code == 403


def test_alt_text_edit_is_saved_and_audited(client_for, transport_image, alice):
    response = client_for(alice).post(
        reverse("media:alt_text", args=[transport_image.pk]),
        {"alt_en": "A bus stop", "alt_ar": "موقف حافلات", "alt_zh_hans": "公交车站"},
    )
    assert response.status_code == 302
    transport_image.refresh_from_db()
    assert transport_image.alt_text["zh-hans"] == "公交车站"
    assert AuditEvent.objects.filter(action="media.alt_text", actor=alice).exists()


def test_bad_alt_text_edit_keeps_what_was_typed(client_for, transport_image, alice):
    typed = "x" * 2001
    response = client_for(alice).post(
        reverse("media:alt_text", args=[transport_image.pk]),
        {"alt_en": typed, "alt_ar": "موقف"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "at most 2000" in text and typed in text and "موقف" in text
    transport_image.refresh_from_db()
    assert transport_image.alt_text["en"] == "A bus stop at dawn"


def test_archive_and_restore(client_for, transport_image, alice):
    client = client_for(alice)
    client.post(reverse("media:archive", args=[transport_image.pk]))
    transport_image.refresh_from_db()
    assert transport_image.is_archived
    client.post(reverse("media:archive", args=[transport_image.pk]), {"restore": "1"})
    transport_image.refresh_from_db()
    assert not transport_image.is_archived
    actions = list(AuditEvent.objects.filter(action__startswith="media.").values_list(
        "action", flat=True))
    assert {"media.archive", "media.restore"} <= set(actions)


def test_pages_render_in_arabic(client_for, transport_image, alice):
    alice.language = "ar"
    alice.save()
    client = client_for(alice)
    for url in (reverse("media:library"), reverse("media:upload"),
                reverse("media:detail", args=[transport_image.pk])):
        response = client.get(url)
        assert response.status_code == 200
        assert 'dir="rtl"' in response.content.decode()


def test_invalid_utf8_alt_text_is_refused(client_for, transport_image, alice):
    body = "alt_en=caf%E9&alt_ar=&alt_zh_hans="
    response = client_for(alice).post(
        reverse("media:alt_text", args=[transport_image.pk]), body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "invalid characters" in response.content.decode()
    transport_image.refresh_from_db()
    assert transport_image.alt_text["en"] == "A bus stop at dawn"


def test_search_finds_files_in_visible_agencies_only(client_for, transport_image, alice, carol):
    from townsquare.core.navigation import search_everything

    assert [r.title for r in search_everything(alice, "bus-stop")] == ["bus-stop.jpg"]
    assert search_everything(carol, "bus-stop") == []
