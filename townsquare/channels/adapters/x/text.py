"""X's weighted character count, after the published twitter-text configuration v3.

    {"version": 3, "maxWeightedTweetLength": 280, "scale": 100, "defaultWeight": 200,
     "emojiParsingEnabled": true, "transformedURLLength": 23,
     "ranges": [{"start": 0, "end": 4351, "weight": 100},
                {"start": 8192, "end": 8205, "weight": 100},
                {"start": 8208, "end": 8223, "weight": 100},
                {"start": 8242, "end": 8247, "weight": 100}]}

The text is NFC-normalised; every URL counts 23; an emoji sequence (with its modifiers,
variation selectors and ZWJ joins) counts 2; other code points count 1 inside the ranges
(Latin, Greek, Cyrillic, Arabic, Hebrew, Devanagari… up to U+10FF and some punctuation)
and 2 outside them (CJK, Hangul, most symbols). URL detection covers http(s) links and
bare domains (a two-letter country domain only with a path, as twitter-text does); it
does not carry twitter-text's full TLD list, so an exotic bare domain may be counted as
plain text.
"""

from __future__ import annotations

import re
import unicodedata

MAX_WEIGHTED_LENGTH = 280
SCALE = 100
DEFAULT_WEIGHT = 200
URL_LENGTH = 23
RANGES = ((0, 4351, 100), (8192, 8205, 100), (8208, 8223, 100), (8242, 8247, 100))

_GENERIC_TLDS = (
    "com|org|net|gov|edu|int|mil|info|biz|io|app|dev|news|online|site|xyz|blog|shop|"
    "travel|museum|africa|asia|health|global"
)
_URL = re.compile(
    r"(?<![\w@.#$/])"
    r"(?:(?:https?://)[^\s<>\"]+"
    r"|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:" + _GENERIC_TLDS + r")\b(?::\d+)?(?:/[^\s<>\"]*)?"
    r"|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2}(?::\d+)?/[^\s<>\"]*)",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\")]}"

_ZWJ = 0x200D
_VARIATION = (0xFE0E, 0xFE0F)
_KEYCAP = 0x20E3


def _is_pictographic(cp: int) -> bool:
    return (
        0x1F000 <= cp <= 0x1FAFF
        or 0x1FC00 <= cp <= 0x1FFFD
        or 0x2600 <= cp <= 0x27BF
        or 0x2300 <= cp <= 0x23FF
        or 0x2B00 <= cp <= 0x2BFF
        or 0x2190 <= cp <= 0x21FF
        or cp in (0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299)
    )


def _is_modifier(cp: int) -> bool:
    return 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F or cp in _VARIATION


def _emoji_end(cps: list[int], i: int) -> int:
    """End index of the emoji sequence starting at ``i``, or ``i`` when there is none."""
    cp = cps[i]
    n = len(cps)
    nxt = cps[i + 1] if i + 1 < n else -1
    if 0x1F1E6 <= cp <= 0x1F1FF:  # a flag is a pair of regional indicators
        return i + 2 if 0x1F1E6 <= nxt <= 0x1F1FF else i + 1
    if chr(cp) in "0123456789#*":  # keycaps: 1️⃣
        j = i + 1 + (nxt == 0xFE0F)
        return j + 1 if j < n and cps[j] == _KEYCAP else i
    if cp in (0xA9, 0xAE):  # © and ® are emoji only with the emoji presentation selector
        return i + 2 if nxt == 0xFE0F else i
    if not _is_pictographic(cp):
        return i
    j = i + 1
    while True:
        while j < n and _is_modifier(cps[j]):
            j += 1
        if j + 1 < n and cps[j] == _ZWJ and _is_pictographic(cps[j + 1]):
            j += 2
            continue
        return j


def _url_spans(text: str) -> dict[int, int]:
    """Start → end (code point indices) of each URL."""
    spans: dict[int, int] = {}
    for match in _URL.finditer(text):
        url = match.group(0)
        end = match.end()
        while url and url[-1] in _TRAILING:
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break
            url = url[:-1]
            end -= 1
        if url:
            spans[match.start()] = end
    return spans


def _weight(cp: int) -> int:
    for start, end, weight in RANGES:
        if start <= cp <= end:
            return weight
    return DEFAULT_WEIGHT


def weighted_length(text: str) -> int:
    """The length X checks against 280."""
    text = unicodedata.normalize("NFC", text)
    urls = _url_spans(text)
    cps = [ord(char) for char in text]
    total = 0
    i = 0
    while i < len(cps):
        if i in urls:
            total += URL_LENGTH * SCALE
            i = urls[i]
            continue
        end = _emoji_end(cps, i)
        if end > i:
            total += DEFAULT_WEIGHT
            i = end
            continue
        total += _weight(cps[i])
        i += 1
    return total // SCALE


def fits(text: str) -> bool:
    return weighted_length(text) <= MAX_WEIGHTED_LENGTH
