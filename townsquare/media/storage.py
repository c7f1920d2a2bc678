"""Content-addressed file storage: MEDIA_ROOT/<first two hex digits>/<sha256>.

Files are named by the SHA-256 of their bytes, so the same cleaned file is stored once
however many agencies hold it, a name can never be chosen by an uploader, and a file can
be checked against its name at any time.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from django.conf import settings

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def root() -> Path:
    return Path(settings.MEDIA_ROOT)


def path_for(sha256: str) -> Path:
    if not _SHA256.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return root() / sha256[:2] / sha256


def store(content: bytes) -> str:
    """Write ``content`` once (atomically: temporary file, fsync, rename); return its hash."""
    digest = hashlib.sha256(content).hexdigest()
    target = path_for(digest)
    if target.exists() and target.stat().st_size == len(content):
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    # The temporary file sits in the same directory so the rename never crosses devices;
    # a reader therefore sees either no file or the whole file, never part of one.
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return digest


def read(sha256: str) -> bytes:
    return path_for(sha256).read_bytes()
