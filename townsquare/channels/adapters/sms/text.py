"""How long an SMS is: GSM-7 septets or UCS-2 code units, and how many segments.

A text made only of characters of the GSM 03.38 default alphabet (plus its extension
table, whose characters take two septets: an escape and the character) is sent in GSM-7:
160 septets in one message, 153 per segment once it is split (the user data header of a
concatenated message takes the rest). Any other character (Arabic, Chinese, emoji,
typographic quotes…) switches the whole message to UCS-2 (really UTF-16): 70 code units
in one message, 67 per segment; characters outside the BMP (most emoji) take two units.
Carriers never split an escape sequence or a surrogate pair across two segments, so the
segments are packed the same way here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# GSM 03.38 default alphabet (the escape character 0x1B itself is not text).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The default extension table: each of these is sent as ESC + character (two septets).
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE = 160
GSM7_SEGMENT = 153
UCS2_SINGLE = 70
UCS2_SEGMENT = 67
MAX_SEGMENTS = 10  # Twilio's recommendation; longer messages are refused before sending

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SmsLength:
    encoding: Encoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int  # 0 for an empty text
    per_segment: int  # capacity of each segment for this text
    remaining: int  # units still free in the last segment


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def _unit_sizes(text: str) -> tuple[Encoding, list[int]]:
    if is_gsm7(text):
        return "GSM-7", [2 if ch in GSM7_EXTENDED else 1 for ch in text]
    return "UCS-2", [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def sms_length(text: str) -> SmsLength:
    encoding, sizes = _unit_sizes(text)
    units = sum(sizes)
    single, multi = (
        (GSM7_SINGLE, GSM7_SEGMENT) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_SEGMENT)
    )
    if units == 0:
        return SmsLength(encoding, 0, 0, single, single)
    if units <= single:
        return SmsLength(encoding, units, 1, single, single - units)
    segments, used = 1, 0
    for size in sizes:  # greedy packing that never splits an escape or a surrogate pair
        if used + size > multi:
            segments += 1
            used = 0
        used += size
    return SmsLength(encoding, units, segments, multi, multi - used)


def segment_count(text: str) -> int:
    """The "weighted" length of an SMS (see SmsAdapter.capabilities): its segments."""
    return sms_length(text).segments
