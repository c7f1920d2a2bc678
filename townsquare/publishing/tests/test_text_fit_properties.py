"""Hypothesis properties of fitting a post to each network: on text built from the pieces
that break naive splitters, parts always fit and rebuild the text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from townsquare.channels.adapters.base import Network
from townsquare.channels.adapters.x.text import weighted_length as x_adapter_length
from townsquare.publishing.tests.text_fit_helpers import (
    ARABIC_HARAKAT,
    DEVANAGARI,
    FAMILY,
    FLAG_SA,
    KEYCAP_1,
    RAINBOW_FLAG,
    RLM,
    THUMB_DARK,
    URL,
    X_LIMIT,
    _assert_clean_cuts,
    _caps,
    _cut_offsets,
    _unnumbered,
)
from townsquare.publishing.text_fit import (
    EMPTY,
    GRAPHEME_TOO_LONG,
    TOO_LONG_NO_THREADS,
    URL_TOO_LONG,
    count_length,
    fit_text,
    network_length,
)

# --- Properties --------------------------------------------------------------------

PIECES = [
    "word",
    "Transport",
    "a",
    " ",
    "  ",
    "\n",
    "\n\n",
    ". ",
    "? ",
    "، ",
    "؟ ",
    "。",
    "！",
    "，",
    FAMILY,
    THUMB_DARK,
    FLAG_SA,
    RAINBOW_FLAG,
    KEYCAP_1,
    ARABIC_HARAKAT,
    "مرحبا",
    DEVANAGARI,
    "公共交通",
    "道路施工",
    URL,
    "https://a.gov/x",
    "example.gov/path",
    "#RoadSafety",
    "#交通#",
    "#السلامة",
    RLM,
    "e\u0301",
    "(",
    ")",
]
texts = st.lists(st.sampled_from(PIECES), min_size=1, max_size=80).map("".join)
THREADED = [
    (Network.X, 60),
    (Network.X, 280),
    (Network.BLUESKY, 40),
    (Network.MASTODON, 50),
    (Network.TELEGRAM, 45),
]
UNTHREADED = [
    (Network.WEIBO, 30),
    (Network.SMS, 1),
    (Network.INSTAGRAM, 60),
    (Network.WHATSAPP, 45),
]
OVERSIZE = {URL_TOO_LONG, GRAPHEME_TOO_LONG}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, config=st.sampled_from(THREADED), numbering=st.booleans())
def test_property_thread_parts_fit_and_rebuild_the_text(text, config, numbering):
    network, limit = config
    caps = _caps(network, max_length=limit)
    result = fit_text(text, caps, numbering=numbering, max_parts=10_000)
    if not text.strip():
        assert result.problems == (EMPTY,)
        return
    parts = list(result.parts)
    if numbering and len(parts) > 1:
        parts = [_unnumbered(p, i, len(parts)) for i, p in enumerate(parts, 1)]
    offsets = _cut_offsets(text, parts)
    _assert_clean_cuts(text, offsets)
    for part, full in zip(parts, result.parts, strict=True):
        assert part == part.strip() or not part.strip()
        if not OVERSIZE & set(result.problems):
            assert network_length(full, caps) <= limit, full
    assert not result.truncated


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, config=st.sampled_from(UNTHREADED))
def test_property_truncated_text_fits_and_is_a_clean_prefix(text, config):
    network, limit = config
    caps = _caps(network, max_length=limit)
    result = fit_text(text, caps)
    if not text.strip():
        assert result.problems == (EMPTY,)
        return
    (part,) = result.parts
    if not result.truncated:
        assert part == text.strip()
        return
    assert TOO_LONG_NO_THREADS in result.problems
    if OVERSIZE & set(result.problems):
        kept = part
    else:
        assert network_length(part, caps) <= limit
        kept = part.removesuffix("…").removesuffix("...")
    offsets = _cut_offsets(text, [kept], whole=False)
    _assert_clean_cuts(text, offsets)


@settings(max_examples=200, deadline=None)
@given(text=texts)
def test_property_weighted_count_never_below_the_x_adapters_check(text):
    # A part that fits by this count must pass the X adapter's own check before sending.
    assert count_length(text, X_LIMIT) >= x_adapter_length(text)


@settings(max_examples=100, deadline=None)
@given(text=texts)
def test_property_fitting_twice_changes_nothing(text):
    once = fit_text(text, _caps(Network.MASTODON, max_length=60), numbering=False)
    for part in once.parts:
        again = fit_text(part, _caps(Network.MASTODON, max_length=60), numbering=False)
        if not OVERSIZE & set(once.problems):
            assert again.parts == (part,)


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=300), config=st.sampled_from(THREADED + UNTHREADED))
def test_property_any_unicode_text_fits_cleanly(text, config):
    network, limit = config
    caps = _caps(network, max_length=limit)
    result = fit_text(text, caps, numbering=False, max_parts=10_000)
    if not text.strip():
        assert result.problems == (EMPTY,)
        return
    pieces = list(result.parts)
    if result.truncated and not OVERSIZE & set(result.problems):
        ellipsis = "..." if network == Network.SMS else "…"
        pieces = [pieces[0].removesuffix(ellipsis)]
    _assert_clean_cuts(text, _cut_offsets(text, pieces, whole=not result.truncated))
    if not OVERSIZE & set(result.problems):
        assert all(network_length(p, caps) <= limit for p in result.parts)
