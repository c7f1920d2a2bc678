"""Attachments of formal consultation responses: a PDF or an image, treated as hostile.

- The size is checked first (``CONSULTATION_ATTACHMENT_MAX_BYTES``).
- The type is decided by the content's signature (never the name or the browser's type).
- Images go through the media library's cleaner: decoded and encoded again, so only
  pixels survive (no EXIF/GPS, no appended payloads), decompression bombs refused.
- PDFs cannot be cleaned without a PDF library in production, so they are refused when
  they carry active content: JavaScript, launch actions, automatic actions, embedded
  files, rich media, XFA forms or form submission. Names are compared after undoing the
  ``#xx`` escapes that hide them (``/J#61vaScript``), and compressed streams (where object
  streams hide dictionaries) are inflated, within a bound, and searched too.
- Staff download attachments through a view that sends them as downloads with a sandbox
  CSP and ``nosniff``; citizens never get them back.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from townsquare.media import inspection, storage

# Plain links (/URI) are allowed: responses cite sources. /OpenAction alone is usually a
# zoom setting; what it could run is caught by the names below.
ACTIVE_PDF_NAMES = frozenset({b"/javascript", b"/js", b"/launch", b"/aa", b"/embeddedfile",
                              b"/embeddedfiles", b"/richmedia", b"/xfa", b"/submitform",
                              b"/importdata", b"/gotoe", b"/gotor"})
_NAME = re.compile(rb"/[^\s/<>\[\]()%{}]+")
_HEX_ESCAPE = re.compile(rb"#([0-9a-fA-F]{2})")
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
# Inflated streams are searched up to this many bytes in all (a zip bomb stops here).
MAX_INFLATED = 50 * 1024 * 1024


@dataclass(frozen=True)
class StoredAttachment:
    sha256: str
    mime_type: str
    size: int


def _unescape(name: bytes) -> bytes:
    return _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name).lower()


def _active_names(data: bytes) -> set[bytes]:
    found = set()
    for match in _NAME.finditer(data):
        name = _unescape(match.group(0))
        if name in ACTIVE_PDF_NAMES:
            found.add(name)
    return found


def _inflated_streams(data: bytes) -> list[bytes]:
    out, budget = [], MAX_INFLATED
    for match in _STREAM.finditer(data):
        inflater = zlib.decompressobj()
        try:
            chunk = inflater.decompress(match.group(1), budget)
        except zlib.error:
            continue  # not Flate-compressed (images, fonts): nothing to search
        budget -= len(chunk)
        out.append(chunk)
        if budget <= 0 or inflater.unconsumed_tail:
            raise ValidationError(_("This PDF is too complex to check. Save it again as a "
                                    "simple PDF (print to PDF) and try again."), code="complex")
    return out


def check_pdf(content: bytes) -> None:
    if b"%%EOF" not in content[-2048:]:
        raise ValidationError(_("This PDF is damaged or incomplete."), code="corrupt")
    found = _active_names(content)
    for stream in _inflated_streams(content):
        found |= _active_names(stream)
    if found:
        raise ValidationError(
            _("This PDF contains active content (scripts, links that run or open things, "
              "embedded files or forms), which we do not accept. Save it again as a simple "
              "PDF (print to PDF) and try again."), code="active_content")


def attachment_clean(content: bytes) -> tuple[bytes, str]:
    """The bytes to store and their type; ValidationError with a clear message otherwise."""
    limit = settings.CONSULTATION_ATTACHMENT_MAX_BYTES
    if not content:
        raise ValidationError(_("The file is empty."), code="empty")
    if len(content) > limit:
        raise ValidationError(_("This file is too large (%(size)s). The limit is %(limit)s.")
                              % {"size": filesizeformat(len(content)),
                                 "limit": filesizeformat(limit)}, code="too_large")
    if content.startswith(b"%PDF-"):
        check_pdf(content)
        return content, "application/pdf"
    if b"%PDF-" in content[:1024]:
        # Bytes before the header are how polyglot files (HTML + PDF) are built.
        raise ValidationError(_("This PDF is damaged or incomplete."), code="corrupt")
    try:
        mime_type = inspection.sniff(content)
    except ValidationError:
        mime_type = ""
    if not mime_type.startswith("image/"):
        raise ValidationError(_("Attach a PDF or an image (JPEG, PNG, GIF or WebP)."),
                              code="type")
    cleaned = inspection.clean_image(content, max_pixels=settings.MEDIA_MAX_PIXELS)
    return cleaned.content, cleaned.mime_type


def attachment_store(content: bytes) -> StoredAttachment:
    cleaned, mime_type = attachment_clean(content)
    return StoredAttachment(sha256=storage.store(cleaned), mime_type=mime_type,
                            size=len(cleaned))
