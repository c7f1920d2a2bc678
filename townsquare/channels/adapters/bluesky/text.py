"""Bluesky text rules: length in grapheme clusters, rich-text facets in UTF-8 byte offsets.

Pure functions, no network: ``build_facets`` takes a resolver for @handles so the caller
decides how (and whether) a handle becomes a DID.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from atproto_client.models.utils import get_model_as_dict
from atproto_client.utils import facet_detection

MAX_GRAPHEMES = 300
MAX_BYTES = 3000  # the lexicon's maxLength for app.bsky.feed.post#text

_ZWJ = 0x200D


def _is_extend(code_point: int, char: str) -> bool:
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")  # Extend and SpacingMark
        or 0x1F3FB <= code_point <= 0x1F3FF  # emoji skin tone modifiers
        or 0xE0020 <= code_point <= 0xE007F  # emoji tag sequences (subdivision flags)
        or code_point == 0x200C
    )


def _is_pictographic(code_point: int) -> bool:
    # An approximation of Extended_Pictographic good enough for counting emoji sequences.
    return (
        0x1F000 <= code_point <= 0x1FAFF
        or 0x1FC00 <= code_point <= 0x1FFFD
        or 0x2600 <= code_point <= 0x27BF
        or 0x2300 <= code_point <= 0x23FF
        or 0x2B00 <= code_point <= 0x2BFF
        or code_point in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D)
    )


def _hangul_type(code_point: int) -> str:
    if 0x1100 <= code_point <= 0x115F or 0xA960 <= code_point <= 0xA97C:
        return "L"
    if 0x1160 <= code_point <= 0x11A7 or 0xD7B0 <= code_point <= 0xD7C6:
        return "V"
    if 0x11A8 <= code_point <= 0x11FF or 0xD7CB <= code_point <= 0xD7FB:
        return "T"
    if 0xAC00 <= code_point <= 0xD7A3:
        return "LV" if (code_point - 0xAC00) % 28 == 0 else "LVT"
    return ""


def _joins_hangul(previous: str, current: str) -> bool:
    return (
        (previous == "L" and current in ("L", "V", "LV", "LVT"))
        or (previous in ("LV", "V") and current in ("V", "T"))
        or (previous in ("LVT", "T") and current == "T")
    )


def _joins(previous: int, cp: int, char: str, after_pictographic_zwj: bool, regional: int) -> bool:
    """Whether ``cp`` continues the grapheme cluster that ``previous`` belongs to."""
    if previous == -1 or (previous in (0x0D, 0x0A) and not (previous == 0x0D and cp == 0x0A)):
        return False
    if previous == 0x0D:
        return True  # CR LF
    if cp == _ZWJ or _is_extend(cp, char):
        return True
    if after_pictographic_zwj and _is_pictographic(cp):
        return True
    return 0x1F1E6 <= cp <= 0x1F1FF and regional % 2 == 1


def grapheme_count(text: str) -> int:
    """User-perceived characters, following the main rules of Unicode UAX #29.

    Handles combining marks (Arabic harakat, Devanagari vowel signs), CR LF, Hangul
    jamo, emoji modifiers, ZWJ sequences (👩‍👩‍👧 is one) and flag pairs. Bluesky counts the
    300-character limit of a post this way.
    """
    count = 0
    previous_cp = -1
    previous_hangul = ""
    after_zwj_of_pictographic = False
    base_is_pictographic = False
    regional_run = 0
    for char in text:
        cp = ord(char)
        hangul = _hangul_type(cp)
        joins = _joins(previous_cp, cp, char, after_zwj_of_pictographic, regional_run)
        if not joins and previous_hangul and hangul:
            joins = _joins_hangul(previous_hangul, hangul)
        if not joins:
            count += 1
            base_is_pictographic = _is_pictographic(cp)
        elif _is_pictographic(cp) and after_zwj_of_pictographic:
            base_is_pictographic = True
        after_zwj_of_pictographic = cp == _ZWJ and base_is_pictographic
        regional_run = regional_run + 1 if 0x1F1E6 <= cp <= 0x1F1FF else 0
        previous_hangul = hangul
        previous_cp = cp
    return count


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8", errors="surrogatepass"))


def build_facets(text: str, resolve_handle: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """Link, tag and mention facets with byte offsets into the UTF-8 encoded text.

    Links and tags are found by the atproto library's port of the official detector;
    mentions are kept only when ``resolve_handle`` turns the handle into a DID.
    """
    facets: list[dict[str, Any]] = [
        get_model_as_dict(facet) for facet in facet_detection.detect_facets(text)
    ]
    resolved: dict[str, str | None] = {}
    for mention in facet_detection.detect_mentions(text):
        handle = mention.handle.lower()
        if handle not in resolved:
            resolved[handle] = resolve_handle(handle)
        did = resolved[handle]
        if did is None:
            continue
        facets.append(
            {
                "$type": "app.bsky.richtext.facet",
                "index": {"byteStart": mention.byte_start, "byteEnd": mention.byte_end},
                "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}],
            }
        )
    facets.sort(key=lambda facet: int(facet["index"]["byteStart"]))
    return facets
