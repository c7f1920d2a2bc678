"""Encryption of network credentials at rest (Fernet: AES-128-CBC + HMAC-SHA256).

Keys come from settings.CHANNEL_ENCRYPTION_KEYS, newest first. Old keys still decrypt,
so a new key can be put in front and `manage.py rotate_channel_keys` re-encrypts every
stored credential with it before the old key is removed.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from townsquare.channels.adapters.base import Credentials


class CredentialDecryptionError(RuntimeError):
    """Stored credentials cannot be read with any configured key."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def cipher() -> MultiFernet:
    return _fernet(tuple(settings.CHANNEL_ENCRYPTION_KEYS))


def encrypt_text(value: str) -> str:
    return cipher().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    try:
        return cipher().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise CredentialDecryptionError("stored credentials cannot be decrypted") from exc


def rotate_text(token: str) -> str:
    """The same plaintext, encrypted with the newest key."""
    try:
        return cipher().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise CredentialDecryptionError("stored credentials cannot be decrypted") from exc


def encrypt_credentials(credentials: Credentials) -> str:
    payload = {
        "access_token": credentials.access_token,
        "refresh_token": credentials.refresh_token,
        "expires_at": credentials.expires_at.isoformat() if credentials.expires_at else None,
        "extra": dict(credentials.extra),
    }
    return encrypt_text(json.dumps(payload))


def decrypt_credentials(token: str) -> Credentials:
    payload = json.loads(decrypt_text(token))
    expires = payload.get("expires_at")
    return Credentials(
        access_token=payload.get("access_token", ""),
        refresh_token=payload.get("refresh_token", ""),
        expires_at=dt.datetime.fromisoformat(expires) if expires else None,
        extra=payload.get("extra") or {},
    )
