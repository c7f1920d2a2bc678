"""Recognising and cleaning files: pure functions of bytes, no database."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from townsquare.media import inspection
from townsquare.media.tests import samples

MAX = 10_000_000


def _code(exc: pytest.ExceptionInfo[ValidationError]) -> str | None:
    return exc.value.code


@pytest.mark.parametrize(
    ("content", "mime"),
    [
        (samples.jpeg(), "image/jpeg"),
        (samples.png(), "image/png"),
        (samples.animated_gif(), "image/gif"),
        (samples.mp4(), "video/mp4"),
        (samples.webm(), "video/webm"),
    ],
)
def test_type_comes_from_the_content(content, mime):
    assert inspection.sniff(content) == mime


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty"),
        (samples.SVG_WITH_SCRIPT, "svg"),
        (b"  <svg onload='alert(1)'></svg>", "svg"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "markup"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heic"),
        (b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00mif1avif", "avif"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", "quicktime"),
        (b"\x1a\x45\xdf\xa3\x88\x42\x82\x88matroska", "matroska"),
        (b"%PDF-1.7\n", "unknown_type"),
        (b"PK\x03\x04 a zip", "unknown_type"),
        (b"BM" + b"\x00" * 60, "unknown_type"),
    ],
)
def test_unaccepted_types_are_refused_with_a_reason(content, code):
    with pytest.raises(ValidationError) as exc:
        inspection.sniff(content)
    assert _code(exc) == code
    assert exc.value.messages[0]


def test_svg_message_explains_why():
    with pytest.raises(ValidationError) as exc:
        inspection.sniff(samples.SVG_WITH_SCRIPT)
    assert "scripts" in exc.value.messages[0]


def test_exif_and_gps_are_stripped_and_orientation_applied():
    original = samples.jpeg_with_gps()
    assert b"SecretCam" in original and b"SERIAL-12345" in original
    cleaned = inspection.clean_image(original, max_pixels=MAX)
    assert b"SecretCam" not in cleaned.content
    assert b"SERIAL-12345" not in cleaned.content
    assert b"Exif" not in cleaned.content
    image = Image.open(io.BytesIO(cleaned.content))
    assert not image.getexif()
    assert "exif" not in image.info and "icc_profile" not in image.info
    # 80×40 with orientation 6 is displayed (and now stored) as 40×80.
    assert (cleaned.width, cleaned.height) == image.size == (40, 80)


@pytest.mark.parametrize("tail", [samples.ZIP_TAIL, samples.HTML_TAIL])
def test_polyglot_tail_is_removed(tail):
    cleaned = inspection.clean_image(samples.jpeg() + tail, max_pixels=MAX)
    assert tail not in cleaned.content
    assert b"PK\x03\x04" not in cleaned.content and b"<script" not in cleaned.content
    assert cleaned.content.endswith(b"\xff\xd9")
    assert cleaned.mime_type == "image/jpeg"


def test_xmp_and_icc_payloads_are_removed():
    out = io.BytesIO()
    payload = b"<x:xmpmeta>SECRET-XMP</x:xmpmeta>"
    Image.new("RGB", (20, 20), "red").save(
        out, "JPEG", xmp=payload, icc_profile=b"NOT-A-PROFILE-" + b"\x00" * 200
    )
    assert b"SECRET-XMP" in out.getvalue()
    cleaned = inspection.clean_image(out.getvalue(), max_pixels=MAX)
    assert b"SECRET-XMP" not in cleaned.content
    assert b"NOT-A-PROFILE" not in cleaned.content


def test_png_text_chunks_are_removed():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(out, "PNG", pnginfo=info)
    cleaned = inspection.clean_image(out.getvalue(), max_pixels=MAX)
    assert b"<script>" not in cleaned.content
    assert cleaned.mime_type == "image/png"


def test_decompression_bomb_is_refused_before_decoding():
    bomb = samples.png_bomb()
    assert len(bomb) < 200
    with pytest.raises(ValidationError) as exc:
        inspection.clean_image(bomb, max_pixels=MAX)
    assert _code(exc) == "too_many_pixels"
    assert "10 megapixels" in exc.value.messages[0]


def test_pixel_limit_is_our_setting_not_pillows():
    with pytest.raises(ValidationError) as exc:
        inspection.clean_image(samples.png((200, 100)), max_pixels=19_999)
    assert _code(exc) == "too_many_pixels"
    assert inspection.clean_image(samples.png((200, 100)), max_pixels=20_000).width == 200


@pytest.mark.parametrize("cut", [100, 400, -40])
def test_truncated_images_are_refused(cut):
    content = samples.noisy_png()
    with pytest.raises(ValidationError) as exc:
        inspection.clean_image(content[:cut], max_pixels=MAX)
    assert _code(exc) == "corrupt"


def test_corrupt_jpeg_body_is_refused():
    content = bytearray(samples.jpeg((300, 300)))
    del content[200:]
    with pytest.raises(ValidationError):
        inspection.clean_image(bytes(content), max_pixels=MAX)


def test_animated_gif_stays_animated_without_comment():
    cleaned = inspection.clean_image(samples.animated_gif(3), max_pixels=MAX)
    image = Image.open(io.BytesIO(cleaned.content))
    assert image.n_frames == 3
    assert b"hidden comment" not in cleaned.content
    assert image.info.get("loop") == 0


def test_animation_with_too_many_pixels_in_all_frames_is_refused():
    # 32×24 = 768 pixels per frame; 8 frames exceed a budget of 4 × 800 = 3200 pixels.
    assert inspection.clean_image(samples.animated_gif(4), max_pixels=800).kind == "image"
    with pytest.raises(ValidationError) as exc:
        inspection.clean_image(samples.animated_gif(8), max_pixels=800)
    assert _code(exc) == "too_many_frames"


def test_mp4_details_are_read_from_its_boxes():
    checked = inspection.check_video(samples.mp4(9000, 1000), "video/mp4")
    assert checked.duration_seconds == 9.0
    assert (checked.width, checked.height) == (640, 360)
    assert checked.content == samples.mp4(9000, 1000)


@pytest.mark.parametrize(
    "content",
    [
        samples.mp4()[:-100],  # truncated in the mdat box
        samples.mp4() + samples.ZIP_TAIL,  # something appended
        samples.mp4()[:40],  # cut inside moov
    ],
)
def test_damaged_mp4_is_refused(content):
    with pytest.raises(ValidationError) as exc:
        inspection.check_video(content, "video/mp4")
    assert _code(exc) == "corrupt_video"


def test_webm_is_stored_as_uploaded():
    checked = inspection.check_video(samples.webm(), "video/webm")
    assert checked.content == samples.webm()
    assert checked.duration_seconds is None


def _saved(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "mime"),
    [
        (_saved(Image.new("RGB", (30, 20), "red"), "WEBP"), "image/webp"),
        (_saved(Image.new("CMYK", (30, 20), (0, 255, 0, 0)), "JPEG"), "image/jpeg"),
        (_saved(Image.new("P", (30, 20), 3), "PNG", transparency=3), "image/png"),
        (_saved(Image.new("LA", (30, 20), (10, 100)), "PNG"), "image/png"),
        (_saved(Image.new("L", (30, 20), 10), "GIF"), "image/gif"),
        (_saved(Image.new("I;16", (30, 20), 1000), "PNG"), "image/png"),
    ],
)
def test_common_image_modes_survive_cleaning(content, mime):
    cleaned = inspection.clean_image(content, max_pixels=MAX)
    assert cleaned.mime_type == mime
    reopened = Image.open(io.BytesIO(cleaned.content))
    reopened.load()
    assert reopened.size == (30, 20) == (cleaned.width, cleaned.height)


def test_a_real_colour_profile_is_applied_then_dropped():
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    content = _saved(Image.new("RGB", (10, 10), (200, 30, 30)), "JPEG", icc_profile=profile)
    assert Image.open(io.BytesIO(content)).info.get("icc_profile")
    cleaned = inspection.clean_image(content, max_pixels=MAX)
    reopened = Image.open(io.BytesIO(cleaned.content))
    assert "icc_profile" not in reopened.info
    assert reopened.mode == "RGB"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animated_png_and_webp_stay_animated(fmt):
    frames = [Image.new("RGBA", (20, 20), c) for c in ("red", "green", "blue")]
    content = _saved(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100,
                     loop=0)
    cleaned = inspection.clean_image(content, max_pixels=MAX)
    reopened = Image.open(io.BytesIO(cleaned.content))
    assert reopened.format == fmt and reopened.n_frames == 3


def test_srgb_profile_is_converted_and_dropped():
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    content = _saved(Image.new("RGB", (10, 10), (200, 30, 30)), "PNG", icc_profile=profile)
    cleaned = inspection.clean_image(content, max_pixels=MAX)
    reopened = Image.open(io.BytesIO(cleaned.content)).convert("RGB")
    assert "icc_profile" not in Image.open(io.BytesIO(cleaned.content)).info
    red, green, blue = reopened.getpixel((5, 5))
    assert abs(red - 200) <= 2 and abs(green - 30) <= 2 and abs(blue - 30) <= 2
