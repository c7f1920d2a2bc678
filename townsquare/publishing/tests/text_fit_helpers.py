"""Shared samples and checks of the text-fitting tests."""

from __future__ import annotations

import dataclasses

import regex

from townsquare.channels.adapters.base import Capabilities, Network
from townsquare.channels.adapters.registry import ADAPTERS, adapter_class
from townsquare.publishing.text_fit import (
    url_spans,
)

CAPS: dict[Network, Capabilities] = {net: adapter_class(net).capabilities for net in ADAPTERS}
X = CAPS[Network.X]
X_LIMIT = X.text
GRAPHEME = regex.compile(r"\X")

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467"  # 👩‍👩‍👧, one grapheme, 5 code points
THUMB_DARK = "\U0001f44d\U0001f3ff"  # 👍🏿
FLAG_SA = "\U0001f1f8\U0001f1e6"  # 🇸🇦
KEYCAP_1 = "1\ufe0f\u20e3"  # 1️⃣
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"  # 🏳️‍🌈
ARABIC_HARAKAT = "بِسْمِ ٱللَّهِ"  # letters carrying fatha, kasra, sukun, shadda
DEVANAGARI = "क्षत्रिय"  # a conjunct: क + virama + ष
URL = "https://transport.example.gov/notices/2026/road-works?line=4&stop=12"
RLM = "\u200f"


def _caps(network: Network, *, max_length: int, threads: bool | None = None) -> Capabilities:
    """A registered network's capabilities with a small limit, to force many cuts."""
    base = CAPS[network]
    return dataclasses.replace(
        base,
        text=dataclasses.replace(base.text, max_length=max_length),
        threads=base.threads if threads is None else threads,
    )


def _unnumbered(part: str, index: int, total: int) -> str:
    suffix = f" {index}/{total}"
    assert part.endswith(suffix), (part, suffix)
    return part[: -len(suffix)]


def _cut_offsets(
    original: str, pieces: tuple[str, ...] | list[str], *, whole: bool = True
) -> list[int]:
    """Walk the original text piece by piece (skipping whitespace between pieces) and
    return where each piece ends; fails if the pieces are not the original text (or,
    with ``whole=False``, the start of it)."""
    text = original.strip()
    position = 0
    ends = []
    for piece in pieces:
        while position < len(text) and text[position].isspace() and not piece[:1].isspace():
            position += 1
        assert text.startswith(piece, position), (text[position : position + 40], piece[:40])
        position += len(piece)
        ends.append(position)
    if whole:
        assert text[position:].strip() == ""
    return ends


def _boundaries(text: str) -> set[int]:
    return {m.end() for m in GRAPHEME.finditer(text)} | {0}


def _assert_clean_cuts(original: str, offsets: list[int]) -> None:
    text = original.strip()
    allowed = _boundaries(text)
    spans = url_spans(text)
    for offset in offsets:
        assert offset in allowed, f"cut inside a grapheme cluster at {offset}"
        for start, end in spans:
            assert not start < offset < end, f"cut inside the URL {text[start:end]!r}"
