"""Public, signed, expiring links to a media file, for networks that fetch media themselves.

Instagram's Graph API takes an image URL, not the bytes: the network downloads the file
while it builds the post. The link names the file's SHA-256 inside a signed token, so it
cannot be guessed or altered, and it stops working after ``PUBLIC_MEDIA_LINK_HOURS``.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core import signing
from django.urls import reverse

from townsquare.channels.adapters.base import Attachment

SALT = "townsquare.media.public"


def public_url_for_sha256(sha256: str) -> str:
    token = signing.TimestampSigner(salt=SALT).sign(sha256)
    return settings.SITE_URL.rstrip("/") + reverse("media_public", args=[token])


def public_url_for_attachment(attachment: Attachment) -> str:
    """What an adapter's ``public_media_url`` setting calls: the link to these exact bytes."""
    return public_url_for_sha256(hashlib.sha256(attachment.content).hexdigest())


def sha256_from_token(token: str) -> str | None:
    """The file a token names, or None when it was altered or has expired."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(
            token, max_age=settings.PUBLIC_MEDIA_LINK_HOURS * 3600
        )
    except signing.BadSignature:
        return None
    return value if len(value) == 64 and all(c in "0123456789abcdef" for c in value) else None
