"""Keeps secrets out of the logs."""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    re.compile(r"(?i)(authorization:\s*bearer\s+)[^\s'\"]+"),
    re.compile(r"(?i)((?:access_|refresh_)?token['\"]?\s*[:=]\s*['\"]?)[^\s'\",&}]+"),
    re.compile(r"(?i)((?:client_)?secret['\"]?\s*[:=]\s*['\"]?)[^\s'\",&}]+"),
    re.compile(r"(?i)(password['\"]?\s*[:=]\s*['\"]?)[^\s'\",&}]+"),
    re.compile(r"(tsq_)[A-Za-z0-9_\-]{8,}"),
]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(r"\1[redacted]", text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
