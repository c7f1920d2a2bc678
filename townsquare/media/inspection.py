"""Recognising and cleaning uploaded files. Pure functions of bytes: no database, no disk.

Uploads are hostile until proven otherwise. The type is decided from the first bytes of
the content (never from the file name or the browser's content type), images are decoded
and encoded again so that only pixels survive (no EXIF, GPS, XMP, ICC payloads, comments
or anything appended after the image), and sizes are checked before anything is decoded.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageFile, ImageOps, ImageSequence, UnidentifiedImageError

ACCEPTED_LABEL = "JPEG, PNG, GIF, WebP, MP4, WebM"

# Pillow format name → (MIME type, format to encode with).
IMAGE_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}
# ISO base media brands of still-image formats (HEIF/HEIC, AVIF) that share MP4's box layout.
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
AVIF_BRANDS = {b"avif", b"avis"}
QUICKTIME_BRANDS = {b"qt  "}
# An animation may hold this many times the pixels of the largest still image, in all frames.
ANIMATION_PIXEL_FACTOR = 4
MAX_FRAMES = 1000


@dataclass(frozen=True)
class CleanedFile:
    kind: str  # "image" | "video"
    mime_type: str
    content: bytes
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _looks_like_markup(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype", b"<html", b"<!--")) or (
        b"<svg" in head.lower()
    )


def sniff(content: bytes) -> str:
    """The MIME type decided from the content's signature; refuses what we do not accept."""
    if not content:
        raise _refuse(_("The file is empty."), "empty")
    head = content[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return _sniff_iso_media(head[8:12])
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return _sniff_ebml(content[:256])
    if _looks_like_markup(content[:1024]):
        if b"<svg" in content[:4096].lower():
            raise _refuse(
                _("SVG images are not accepted: they can contain scripts and links to other "
                  "sites, and social networks do not accept them. Export the image as PNG."),
                "svg",
            )
        raise _refuse(
            _("This is a web page or XML document, not an image or video."), "markup"
        )
    raise _refuse(
        _("This file type is not recognised. Accepted types: %(types)s.")
        % {"types": ACCEPTED_LABEL},
        "unknown_type",
    )


def _sniff_iso_media(brand: bytes) -> str:
    """MP4 and the formats that share its box layout (told apart by the major brand)."""
    if brand in HEIF_BRANDS:
        raise _refuse(
            _("HEIC/HEIF photos are not accepted: most networks cannot show them. "
              "Export the photo as JPEG and upload it again."),
            "heic",
        )
    if brand in AVIF_BRANDS:
        raise _refuse(_("AVIF images are not accepted. Export the image as JPEG or PNG."), "avif")
    if brand in QUICKTIME_BRANDS:
        raise _refuse(
            _("QuickTime (.mov) videos are not accepted. Export the video as MP4."), "quicktime"
        )
    return "video/mp4"


def _sniff_ebml(head: bytes) -> str:
    """WebM and Matroska share the EBML header; the DocType says which."""
    if b"webm" in head:
        return "video/webm"
    raise _refuse(
        _("Matroska (.mkv) videos are not accepted. Export the video as MP4 or WebM."),
        "matroska",
    )


# --- Images -------------------------------------------------------------------------


def _open_checked(content: bytes, max_pixels: int) -> Image.Image:
    """Open (header only) and refuse declared sizes that would be too costly to decode."""
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check is a backstop: ours below runs first, with our limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(max_pixels) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _refuse(
            _("This image is damaged or incomplete and cannot be read."), "corrupt"
        ) from exc
    width, height = image.size
    if width <= 0 or height <= 0:
        raise _refuse(_("This image has no pixels."), "no_pixels")
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels)
    if image.format not in IMAGE_FORMATS:
        raise _refuse(
            _("This file type is not recognised. Accepted types: %(types)s.")
            % {"types": ACCEPTED_LABEL},
            "unknown_type",
        )
    return image


def _too_many_pixels(max_pixels: int) -> ValidationError:
    return _refuse(
        _("This image is too large: at most %(pixels)s megapixels are accepted.")
        % {"pixels": f"{max_pixels / 1_000_000:g}"},
        "too_many_pixels",
    )


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert colours to sRGB using the embedded profile, which is then dropped."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=output_mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        # A broken or hostile profile: keep the pixels as they are, drop the profile.
        return image
    return converted if converted is not None else image


def _bare(image: Image.Image, keep: tuple[str, ...] = ()) -> Image.Image:
    """A copy holding only pixels (and the named harmless display keys)."""
    clean = image.copy()
    clean.info = {k: image.info[k] for k in keep if k in image.info}
    return clean


def _encode_still(image: Image.Image, fmt: str) -> bytes:
    image = ImageOps.exif_transpose(image) or image
    image = _to_srgb(image)
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        _bare(image).save(out, "JPEG", quality=90, optimize=True)
    elif fmt == "PNG":
        _bare(image, keep=("transparency",)).save(out, "PNG")
    elif fmt == "WEBP":
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA")
        _bare(image).save(out, "WEBP", quality=90)
    else:  # GIF, one frame
        _bare(image, keep=("transparency",)).save(out, "GIF")
    return out.getvalue()


def _encode_animation(image: Image.Image, fmt: str, max_pixels: int) -> bytes:
    """Animations stay animated: every frame is re-encoded, timing and looping kept."""
    width, height = image.size
    frames: list[Image.Image] = []
    durations: list[int] = []
    budget = max_pixels * ANIMATION_PIXEL_FACTOR
    for frame in ImageSequence.Iterator(image):
        if len(frames) >= MAX_FRAMES or (len(frames) + 1) * width * height > budget:
            raise _refuse(
                _("This animation has too many frames for its size."), "too_many_frames"
            )
        frames.append(_bare(frame.convert("RGBA")))
        durations.append(int(frame.info.get("duration", 100)) or 100)
    out = io.BytesIO()
    frames[0].save(
        out,
        fmt,
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=int(image.info.get("loop", 0)),
        disposal=2 if fmt == "GIF" else 0,
        **({"lossless": False, "quality": 90} if fmt == "WEBP" else {}),
    )
    return out.getvalue()


def clean_image(content: bytes, *, max_pixels: int) -> CleanedFile:
    # A library that sets this process-wide flag (WeasyPrint does on import) would make a
    # truncated image decode as a whole one; a damaged file must be refused here.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    image = _open_checked(content, max_pixels)
    fmt = str(image.format)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if getattr(image, "is_animated", False) and getattr(image, "n_frames", 1) > 1:
                cleaned = _encode_animation(image, fmt, max_pixels)
            else:
                image.load()
                cleaned = _encode_still(image, fmt)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(max_pixels) from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        # Pillow reports truncated data as OSError("image file is truncated …").
        raise _refuse(
            _("This image is damaged or incomplete and cannot be read."), "corrupt"
        ) from exc
    width, height = Image.open(io.BytesIO(cleaned)).size
    return CleanedFile(
        kind="image",
        mime_type=IMAGE_FORMATS[fmt],
        content=cleaned,
        width=width,
        height=height,
    )


# --- Video --------------------------------------------------------------------------


def _mp4_boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, box end) of each box between start and end; refuses bad sizes."""
    boxes = []
    pos = start
    while pos < end:
        if end - pos < 8:
            raise _refuse(_("This video is damaged or incomplete."), "corrupt_video")
        size, box_type = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            if end - pos < 16:
                raise _refuse(_("This video is damaged or incomplete."), "corrupt_video")
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
            header = 16
        elif size == 0:  # the box runs to the end of the file
            size = end - pos
        if size < header or pos + size > end:
            raise _refuse(_("This video is damaged or incomplete."), "corrupt_video")
        boxes.append((box_type, pos + header, pos + size))
        pos += size
    return boxes


def _mp4_details(data: bytes) -> tuple[float | None, int | None, int | None]:
    """Duration from ``mvhd`` and the first visual track size from ``tkhd``."""
    top = _mp4_boxes(data, 0, len(data))
    if not any(t == b"moov" for t, _s, _e in top):
        raise _refuse(_("This video is damaged or incomplete."), "corrupt_video")
    duration = width = height = None
    for box_type, start, end in top:
        if box_type != b"moov":
            continue
        for inner, istart, iend in _mp4_boxes(data, start, end):
            if inner == b"mvhd" and iend - istart >= 32:
                version = data[istart]
                if version == 1 and iend - istart >= 32:
                    timescale, length = struct.unpack(">IQ", data[istart + 20 : istart + 32])
                else:
                    timescale, length = struct.unpack(">II", data[istart + 12 : istart + 20])
                if timescale:
                    duration = length / timescale
            elif inner == b"trak" and width is None:
                for tbox, tstart, tend in _mp4_boxes(data, istart, iend):
                    if tbox == b"tkhd" and tend - tstart >= 84:
                        w, h = struct.unpack(">II", data[tend - 8 : tend])
                        if w >> 16 and h >> 16:
                            width, height = w >> 16, h >> 16
    return duration, width, height


def check_video(content: bytes, mime_type: str) -> CleanedFile:
    """Videos are stored as uploaded (no re-encoding); MP4's box structure is checked."""
    duration = width = height = None
    if mime_type == "video/mp4":
        duration, width, height = _mp4_details(content)
    return CleanedFile(
        kind="video",
        mime_type=mime_type,
        content=content,
        width=width,
        height=height,
        duration_seconds=duration,
    )
