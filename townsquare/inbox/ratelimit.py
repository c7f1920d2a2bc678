"""Per-address limits on the citizen pages (tracking lookups, contact form).

Counts live in the shared cache so every web process counts together; addresses are
stored only as keyed hashes. A fixed window is enough here: the aim is to make guessing
tracking numbers hopeless (30**6 of them) and floods of the form expensive.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache

from townsquare.core.request_context import current_origin

TRACK_LIMIT = (20, 600)  # lookups per 10 minutes per address
CONTACT_LIMIT = (5, 3600)  # messages per hour per address


def _key(scope: str, address: str) -> str:
    secret = hashlib.sha256(f"townsquare.inbox:{settings.SECRET_KEY}".encode()).digest()
    digest = hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]
    return f"inbox:rate:{scope}:{digest}"


def allow(scope: str, limit: tuple[int, int]) -> bool:
    """Count one attempt from the current address; False once over the limit."""
    origin = current_origin()
    address = (origin.ip_address if origin else None) or "unknown"
    key = _key(scope, address)
    most, window = limit
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return count <= most
