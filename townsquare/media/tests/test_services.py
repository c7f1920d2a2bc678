"""Uploading, alt text, archiving and the per-network checks."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from PIL import Image

from townsquare.channels.adapters.base import Capabilities
from townsquare.channels.adapters.instagram.client import InstagramAdapter
from townsquare.channels.adapters.mastodon.client import MastodonAdapter
from townsquare.channels.adapters.telegram.client import TelegramAdapter
from townsquare.channels.adapters.x.client import XAdapter
from townsquare.core.models import AuditEvent
from townsquare.media import storage
from townsquare.media.models import MediaAsset
from townsquare.media.selectors import (
    asset_content,
    asset_get_for_user,
    assets_missing_alt_text,
    assets_visible_to,
)
from townsquare.media.services import (
    media_alt_text_update,
    media_archive,
    media_problems_for,
    media_upload,
)
from townsquare.media.tests import samples

pytestmark = pytest.mark.django_db


def _upload(user, org, content, name="file.jpg", alt=None):
    return media_upload(
        user=user, organisation=org, filename=name, content=content, alt_text=alt or {}
    )


def test_upload_stores_cleaned_bytes_by_hash(government, alice, settings):
    asset = _upload(alice, government["transport"], samples.jpeg_with_gps(), "holiday.jpg",
                    {"en": "  A green field  "})
    stored = asset_content(asset)
    assert hashlib.sha256(stored).hexdigest() == asset.sha256
    assert storage.path_for(asset.sha256) == (
        settings.MEDIA_ROOT / asset.sha256[:2] / asset.sha256
    )
    assert b"SecretCam" not in stored
    assert asset.kind == "image" and asset.mime_type == "image/jpeg"
    assert (asset.width, asset.height) == (40, 80)
    assert asset.byte_size == len(stored)
    assert asset.alt_text == {"en": "A green field"}
    assert asset.uploaded_by == alice
    event = AuditEvent.objects.get(action="media.upload")
    assert event.actor == alice and event.target_id == str(asset.pk)
    assert event.organisation == government["transport"]
    # No temporary file is left next to the stored one.
    assert [p.name for p in storage.path_for(asset.sha256).parent.iterdir()] == [asset.sha256]


def test_same_file_twice_in_one_agency_is_the_same_asset(government, alice, carol):
    first = _upload(alice, government["transport"], samples.jpeg(), "a.jpg")
    second = _upload(alice, government["transport"], samples.jpeg(), "b.jpg")
    assert second.pk == first.pk and second.already_in_library
    assert MediaAsset.objects.count() == 1
    assert AuditEvent.objects.filter(action="media.upload").count() == 1
    # Another agency gets its own asset (sharing the stored file).
    other = _upload(carol, government["health"], samples.jpeg(), "a.jpg")
    assert other.pk != first.pk and other.sha256 == first.sha256


def test_duplicate_of_an_archived_file_brings_it_back(government, alice):
    first = _upload(alice, government["transport"], samples.jpeg(), "a.jpg")
    media_archive(user=alice, asset=first)
    again = _upload(alice, government["transport"], samples.jpeg(), "a.jpg")
    assert again.pk == first.pk and not again.is_archived
    assert AuditEvent.objects.filter(action="media.restore").count() == 1


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (samples.SVG_WITH_SCRIPT, "SVG"),
        (samples.png_bomb(), "megapixels"),
        (samples.noisy_png()[:300], "damaged"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC"),
        (b"MZ\x90\x00 windows program", "not recognised"),
    ],
)
def test_bad_files_are_refused_clearly_and_nothing_is_stored(
    government, alice, settings, content, words
):
    with pytest.raises(ValidationError) as exc:
        _upload(alice, government["transport"], content, "photo.jpg")
    assert words in " ".join(exc.value.messages)
    assert not MediaAsset.objects.exists()
    assert not settings.MEDIA_ROOT.exists() or not any(settings.MEDIA_ROOT.rglob("*"))


def test_wrong_extension_does_not_matter(government, alice):
    asset = _upload(alice, government["transport"], samples.png(), "report.pdf")
    assert asset.mime_type == "image/png"
    with pytest.raises(ValidationError, match="SVG"):
        _upload(alice, government["transport"], samples.SVG_WITH_SCRIPT, "innocent.png")


def test_size_limits_per_kind(government, alice, settings):
    image = samples.noisy_png((120, 120))
    settings.MEDIA_MAX_IMAGE_BYTES = len(image) - 1
    with pytest.raises(ValidationError) as exc:
        _upload(alice, government["transport"], image)
    assert exc.value.code == "too_large"
    settings.MEDIA_MAX_IMAGE_BYTES = len(image)
    assert _upload(alice, government["transport"], image).byte_size > 0
    video = samples.mp4()
    settings.MEDIA_MAX_VIDEO_BYTES = len(video) - 1
    with pytest.raises(ValidationError):
        _upload(alice, government["transport"], video, "clip.mp4")
    settings.MEDIA_MAX_VIDEO_BYTES = len(video)
    asset = _upload(alice, government["transport"], video, "clip.mp4")
    assert asset.kind == "video" and asset.duration_seconds == 9.0


def test_pixel_limit_comes_from_settings(government, alice, settings):
    settings.MEDIA_MAX_PIXELS = 40 * 30 - 1
    with pytest.raises(ValidationError, match="megapixels"):
        _upload(alice, government["transport"], samples.png((40, 30)))


def test_responder_cannot_upload(government, bob):
    with pytest.raises(PermissionDenied):
        _upload(bob, government["transport"], samples.jpeg())


def test_other_agency_cannot_upload_into_transport(government, carol):
    with pytest.raises(PermissionDenied):
        _upload(carol, government["transport"], samples.jpeg())


def test_editor_can_upload(government, editor):
    assert _upload(editor, government["transport"], samples.jpeg()).uploaded_by == editor


@pytest.mark.parametrize(
    ("alt", "problem"),
    [
        ({"en": "Look \u202eevil"}, "override"),
        ({"ar": "صورة \u2067x\u2069"}, "override"),
        ({"en": "bell\x07"}, "control characters"),
        ({"en": "x" * 2001}, "at most 2000"),
        ({"fr": "Une image"}, "only"),
    ],
)
def test_bad_alt_text_is_refused_per_language(government, alice, alt, problem):
    with pytest.raises(ValidationError) as exc:
        _upload(alice, government["transport"], samples.jpeg(), alt=alt)
    code = next(iter(alt))
    assert problem in " ".join(exc.value.message_dict[code])
    assert not MediaAsset.objects.exists()


def test_alt_text_keeps_arabic_marks_and_multiple_lines(government, alice):
    text = "خريطة الحافلة \u200fرقم 42\u200f\nسطر ثانٍ"
    asset = _upload(alice, government["transport"], samples.jpeg(), alt={"ar": text})
    assert asset.alt_text["ar"] == text


def test_alt_text_update_sets_and_clears_languages(transport_image, alice):
    media_alt_text_update(
        user=alice, asset=transport_image, alt_text={"zh-hans": "黎明时的公交车站", "ar": " "}
    )
    transport_image.refresh_from_db()
    assert transport_image.alt_text == {"en": "A bus stop at dawn", "zh-hans": "黎明时的公交车站"}
    event = AuditEvent.objects.get(action="media.alt_text")
    assert event.details == {"languages": ["ar", "zh-hans"]}


def test_alt_text_update_needs_a_manager(transport_image, bob, carol):
    for user in (bob, carol):
        with pytest.raises(PermissionDenied):
            media_alt_text_update(user=user, asset=transport_image, alt_text={"en": "x"})


def test_selectors_respect_the_agency_boundary(transport_image, alice, bob, carol, dana):
    assert list(assets_visible_to(alice)) == [transport_image]
    assert list(assets_visible_to(bob)) == [transport_image]  # responders may look
    assert list(assets_visible_to(dana)) == [transport_image]  # the office sees all
    assert not assets_visible_to(carol).exists()
    from django.http import Http404

    with pytest.raises(Http404):
        asset_get_for_user(carol, transport_image.pk)
    with pytest.raises(Http404):
        asset_get_for_user(alice, "not-a-number")


def test_missing_alt_text_filter(government, alice, transport_image):
    bare = _upload(alice, government["transport"], samples.png(), alt={})
    video = _upload(alice, government["transport"], samples.mp4(), "clip.mp4")
    everything = assets_visible_to(alice)
    assert set(assets_missing_alt_text(everything)) == {transport_image, bare}  # no zh-hans
    assert set(assets_missing_alt_text(everything, "en")) == {bare}
    assert video not in assets_missing_alt_text(everything)


def _caps(adapter) -> Capabilities:
    return adapter.capabilities


def test_problems_for_a_ready_image(transport_image):
    for adapter in (MastodonAdapter, XAdapter, InstagramAdapter):
        assert media_problems_for(transport_image, _caps(adapter)) == []
    assert media_problems_for(transport_image, _caps(MastodonAdapter), language="ar") == []


def test_problems_for_missing_alt_text_in_the_needed_language(transport_image):
    problems = media_problems_for(transport_image, _caps(XAdapter), language="zh-hans")
    assert problems == ["This image has no alt text in Simplified Chinese."]


def test_problems_for_type_size_pixels_and_alt_length(government, alice):
    png = _upload(alice, government["transport"], samples.png(), alt={"en": "x" * 1200})
    instagram = media_problems_for(png, _caps(InstagramAdapter))
    assert any("does not accept this type" in p for p in instagram)  # JPEG only
    x = media_problems_for(png, _caps(XAdapter))
    assert x == ["The English alt text is too long for X (at most 1000 characters)."]
    assert media_problems_for(png, _caps(MastodonAdapter)) == []  # 1500 allowed
    png.byte_size = 6 * 1024 * 1024
    png.width, png.height = 8000, 5000
    x = media_problems_for(png, _caps(XAdapter))
    assert any("too large for X" in p for p in x)
    mastodon = media_problems_for(png, _caps(MastodonAdapter))
    assert any("too many pixels for Mastodon" in p for p in mastodon)


def test_problems_for_video(government, alice):
    video = _upload(alice, government["transport"], samples.mp4(), "clip.mp4")
    assert media_problems_for(video, _caps(MastodonAdapter)) == []
    assert any("does not accept" in p for p in media_problems_for(video, _caps(XAdapter)))
    assert media_problems_for(video, _caps(TelegramAdapter)) == []


def test_problems_are_translated(transport_image):
    from django.utils import translation

    with translation.override("ar"):
        problems = media_problems_for(transport_image, _caps(XAdapter), language="zh-hans")
    assert problems and problems[0] != "This image has no alt text in Simplified Chinese."


def test_stored_cleaned_image_decodes(transport_image):
    image = Image.open(io.BytesIO(asset_content(transport_image)))
    image.load()
    assert image.size == (64, 48)
