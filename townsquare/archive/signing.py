"""The Ed25519 key that signs checkpoints (from settings.ARCHIVE_SIGNING_KEY)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings


class SigningKeyError(ValueError):
    """ARCHIVE_SIGNING_KEY is not a base64 raw 32-byte Ed25519 private key."""


def private_key_from_base64(value: str) -> Ed25519PrivateKey:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SigningKeyError("ARCHIVE_SIGNING_KEY is not valid base64") from exc
    if len(raw) != 32:
        raise SigningKeyError(
            f"ARCHIVE_SIGNING_KEY must decode to 32 bytes (an Ed25519 private key), not {len(raw)}"
        )
    return Ed25519PrivateKey.from_private_bytes(raw)


def generate_key_base64() -> str:
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return base64.b64encode(raw).decode("ascii")


@cache
def _private_key(value: str) -> Ed25519PrivateKey:
    return private_key_from_base64(value)


def signing_key() -> Ed25519PrivateKey:
    return _private_key(settings.ARCHIVE_SIGNING_KEY)


def public_key_bytes(key: Ed25519PublicKey | None = None) -> bytes:
    key = key or signing_key().public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_base64() -> str:
    return base64.b64encode(public_key_bytes()).decode("ascii")


def key_id(public: bytes | None = None) -> str:
    return hashlib.sha256(public or public_key_bytes()).hexdigest()[:16]


def sign(message: bytes) -> str:
    return base64.b64encode(signing_key().sign(message)).decode("ascii")


def signature_valid(message: bytes, signature_b64: str, public: bytes | None = None) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        key = Ed25519PublicKey.from_public_bytes(public or public_key_bytes())
        key.verify(signature, message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
