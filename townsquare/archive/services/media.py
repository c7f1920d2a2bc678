"""Media files stored once, by SHA-256, under ARCHIVE_MEDIA_ROOT/<aa>/<sha256>."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from townsquare.archive.models import MediaBlob

MIME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")
CHUNK = 1024 * 1024


def media_path(sha256: str) -> Path:
    return Path(settings.ARCHIVE_MEDIA_ROOT) / sha256[:2] / sha256


def clean_mime_type(value: object) -> str:
    mime = str(value or "").strip().lower()
    if not MIME_PATTERN.match(mime):
        raise ValidationError(
            _("“%(value)s” is not a media type such as image/jpeg."),
            params={"value": str(value)[:100]},
            code="bad_mime",
        )
    return mime


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_once(path: Path, data: bytes) -> None:
    """Write ``data`` at ``path`` atomically; an existing file is left as it is.

    An existing file is never replaced, not even when it no longer matches its name:
    overwriting it would hide tampering that archive_verify must report.
    """
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def media_store(*, data: bytes, mime_type: str) -> MediaBlob:
    """The blob for ``data``: written to disk the first time, found by hash afterwards.

    The file is written before the database row commits; if the transaction rolls back
    the file stays as an unreferenced copy, harmless because it is named by its content.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ValidationError(_("Media must be bytes."), code="bad_media")
    data = bytes(data)
    mime = clean_mime_type(mime_type)
    sha256 = hashlib.sha256(data).hexdigest()
    _write_once(media_path(sha256), data)
    blob = MediaBlob.objects.filter(pk=sha256).first()
    if blob is None:
        # Callers hold the chain lock, so no other worker is inserting the same blob.
        blob = MediaBlob.objects.create(sha256=sha256, size=len(data), mime_type=mime)
    return blob
