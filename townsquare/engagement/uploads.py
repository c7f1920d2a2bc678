"""File questions: a citizen attaches one PDF, JPEG or PNG, treated as hostile.

The checks are the ones formal consultation responses get (``engagement.attachments`` and
the media library's ``inspection``), not a copy of them:

- the size is checked before the file is read (the question's limit, never above
  ``ENGAGEMENT_UPLOAD_MAX_BYTES``); an empty file is refused;
- the type comes from the content's signature, never the name or the browser's claim, and
  must be one the question accepts;
- images are decoded and encoded again (only pixels survive: no EXIF/GPS, no appended
  payload, so a picture that is also an HTML page or a ZIP is no longer one);
- PDFs carrying active content (JavaScript, launch actions, embedded files, forms) are
  refused with a message saying how to make a plain one; bytes before ``%PDF-`` (how
  polyglots are built) are refused too.

Files live in the private content-addressed store (``media.storage``), which no URL serves;
staff download them through ``upload_views`` (scope-checked and audited). The stored answer
is ``{"name", "sha256", "size", "type"}``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from townsquare.engagement.attachments import check_pdf
from townsquare.engagement.models import Question
from townsquare.media import inspection, storage
from townsquare.media.services import clean_filename

FILE_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


class _Keep:
    """No file sent and no removal asked: the stored file (if any) stays as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


class FormWithFiles:
    """The submitted fields and files as one thing, so answers are read in one place."""

    def __init__(self, data: Any, files: Any) -> None:
        self.data, self.files = data, files

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def getlist(self, key: str) -> list[Any]:
        return list(self.data.getlist(key))


def accepted_types(question: Question) -> list[str]:
    chosen = [t for t in (question.upload_types or []) if t in FILE_TYPES]
    return chosen or list(FILE_TYPES)


def upload_limit(question: Question) -> int:
    limit = settings.ENGAGEMENT_UPLOAD_MAX_BYTES
    return min(question.upload_max_bytes or limit, limit)


def accept_attribute(question: Question) -> str:
    """The ``accept`` hint for the file picker (the server decides; this only helps)."""
    types = accepted_types(question)
    return ",".join([FILE_TYPES[t] for t in types] + [EXTENSIONS[FILE_TYPES[t]] for t in types]
                    + ([".jpeg"] if "jpeg" in types else []))


def _type_message(types: list[str]) -> str:
    names = {"pdf": "PDF", "jpeg": "JPEG", "png": "PNG"}
    return _("Attach a file of one of these types: %(types)s.") % {
        "types": ", ".join(names[t] for t in types)}


def _too_large(size: int, limit: int) -> ValidationError:
    return ValidationError(_("This file is too large (%(size)s). The limit is %(limit)s.")
                           % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
                           code="too_large")


def file_clean(content: bytes, *, types: list[str], limit: int) -> tuple[bytes, str]:
    """The bytes to store and their type; ValidationError with a clear message otherwise."""
    if not content:
        raise ValidationError(_("The file is empty."), code="empty")
    if len(content) > limit:
        raise _too_large(len(content), limit)
    if content.startswith(b"%PDF-"):
        if "pdf" not in types:
            raise ValidationError(_type_message(types), code="type")
        check_pdf(content)
        return content, FILE_TYPES["pdf"]
    if b"%PDF-" in content[:1024]:
        raise ValidationError(_("This PDF is damaged or incomplete."), code="corrupt")
    try:
        mime_type = inspection.sniff(content)
    except ValidationError:
        mime_type = ""
    wanted = {FILE_TYPES[t] for t in types if t != "pdf"}
    if mime_type not in wanted:
        raise ValidationError(_type_message(types), code="type")
    cleaned = inspection.clean_image(content, max_pixels=settings.MEDIA_MAX_PIXELS)
    if cleaned.mime_type not in wanted:  # the cleaner may change the format; stay in the list
        raise ValidationError(_type_message(types), code="type")
    return cleaned.content, cleaned.mime_type


def read_file_answer(question: Question, data: Any) -> Any:
    """The answer to store for a file question: a new file's record, None when the
    citizen removes the file, or KEEP when nothing was sent (resume keeps the file)."""
    name = f"q-{question.key}"
    files = getattr(data, "files", None)
    upload = files.get(name) if files is not None else None
    if upload is None:
        return None if data.get(f"{name}-remove") else KEEP
    limit = upload_limit(question)
    # Refused on its declared size before any of it is read into memory.
    if upload.size is not None and upload.size > limit:
        raise _too_large(upload.size, limit)
    content = upload.read(limit + 1)
    content, mime_type = file_clean(content, types=accepted_types(question), limit=limit)
    base = clean_filename(upload.name or "").rsplit(".", 1)[0][:200] or "upload"
    return {"name": base + EXTENSIONS[mime_type], "sha256": storage.store(content),
            "size": len(content), "type": mime_type}


def is_file_answer(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("sha256"), str) \
        and len(value["sha256"]) == 64
