"""Fitting a post to each network (townsquare.publishing.text_fit): pure functions, no
database. Example-based tests pin the rules; hypothesis checks the invariants on text
built from the pieces that break naive splitters."""

from __future__ import annotations

import pytest
import regex

from townsquare.channels.adapters.base import Network, TextLimit
from townsquare.channels.adapters.registry import ADAPTERS
from townsquare.channels.adapters.sms.text import is_gsm7, segment_count
from townsquare.channels.adapters.weibo.api import weibo_length
from townsquare.channels.adapters.x.text import weighted_length as x_adapter_length
from townsquare.publishing.tests.text_fit_helpers import (
    ARABIC_HARAKAT,
    CAPS,
    DEVANAGARI,
    FAMILY,
    FLAG_SA,
    KEYCAP_1,
    RAINBOW_FLAG,
    RLM,
    THUMB_DARK,
    URL,
    X_LIMIT,
    X,
    _assert_clean_cuts,
    _caps,
    _cut_offsets,
    _unnumbered,
)
from townsquare.publishing.text_fit import (
    BLUESKY_MAX_BYTES,
    EMPTY,
    GRAPHEME_TOO_LONG,
    TOO_LONG_NO_THREADS,
    TOO_MANY_PARTS,
    URL_TOO_LONG,
    FitResult,
    count_length,
    fit_text,
    network_length,
)

# --- Counting ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counting", "text", "expected"),
    [
        ("graphemes", FAMILY, 1),
        ("graphemes", ARABIC_HARAKAT, 8),  # 7 letters and a space; the harakat join them
        ("graphemes", FLAG_SA + THUMB_DARK, 2),
        ("code_points", FAMILY, 5),
        ("code_points", "e\u0301", 2),
        ("utf16_units", FAMILY, 8),  # three astral code points (2 units) and two ZWJ
        ("utf16_units", "مرحبا", 5),
        ("bytes", "a€😀", 1 + 3 + 4),
        ("bytes", "", 0),
    ],
)
def test_count_length_units(counting, text, expected):
    assert count_length(text, TextLimit(max_length=10, counting=counting)) == expected


def test_url_length_replaces_every_url():
    limit = TextLimit(max_length=500, counting="code_points", url_length=23)
    long_url = "https://example.gov/" + "a" * 200
    assert count_length(f"See {long_url} and https://a.gov.", limit) == 4 + 23 + 5 + 23 + 1
    # Only links with a scheme count as links on Mastodon: a bare domain is text.
    assert count_length("example.gov", limit) == 11


# Expected values reasoned from twitter-text's configuration v3 (the X adapter quotes it):
# code points in the ranges 0-4351, 8192-8205, 8208-8223 and 8242-8247 weigh 1, all
# others 2; an emoji sequence (modifiers, variation selectors, ZWJ) weighs 2 in total;
# every URL weighs transformedURLLength (23); the text is NFC-normalised first.
@pytest.mark.parametrize(
    ("text", "expected", "rule"),
    [
        ("Hello, world", 12, "Latin is in the range 0-4351: weight 1"),
        ("مرحبا بكم", 9, "Arabic (U+0600-U+06FF) is in the range 0-4351"),
        (ARABIC_HARAKAT, 14, "7 letters, 6 harakat and a space: weight 1 each"),
        ("你好世界", 8, "CJK is outside every range: default weight 2"),
        ("こんにちは", 10, "kana: default weight 2"),
        ("안녕", 4, "Hangul syllables: default weight 2"),
        ("\u1100\u1161", 2, "NFC composes the jamo into one syllable (weight 2)"),
        ("e\u0301", 1, "NFC composes e + combining acute into é (weight 1)"),
        ("—", 1, "U+2014 is in the range 8208-8223"),
        ("…", 2, "U+2026 is outside the ranges"),
        ("\u2032", 1, "U+2032 prime is in the range 8242-8247"),
        ("😀", 2, "an emoji weighs 2"),
        (FAMILY, 2, "a ZWJ sequence is one emoji: 2 in total, not 2+1+2+1+2"),
        (THUMB_DARK, 2, "a skin tone modifier belongs to its emoji"),
        (RAINBOW_FLAG, 2, "variation selector and ZWJ belong to the sequence"),
        (FLAG_SA, 2, "a flag is a pair of regional indicators: one emoji"),
        (KEYCAP_1, 2, "a keycap sequence is one emoji"),
        ("©", 1, "© without the emoji selector is text in the range 0-4351"),
        ("©\ufe0f", 2, "© with the emoji presentation selector is an emoji"),
        (URL, 23, "a URL weighs 23 whatever its length"),
        ("https://t.co/x", 23, "a short URL weighs 23 too"),
        ("see example.gov/a", 4 + 23, "bare domains with a known TLD are links on X"),
        ("example.gov.", 23 + 1, "trailing punctuation is not part of the URL"),
        ("a" * 280, 280, "280 light characters fill a post"),
        ("中" * 140, 280, "140 CJK characters fill a post"),
    ],
)
def test_weighted_counting_follows_twitter_text(text, expected, rule):
    assert count_length(text, X_LIMIT) == expected, rule
    # The X adapter checks posts with its own count before sending: they must agree.
    assert x_adapter_length(text) == expected, rule


def test_weighted_counting_without_url_length_counts_the_url_text():
    limit = TextLimit(max_length=280, counting="weighted")
    assert count_length("https://a.gov", limit) == len("https://a.gov")


def test_network_length_uses_the_networks_own_meaning_of_weighted():
    text = "Road works 道路施工 🚧"
    assert network_length(text, CAPS[Network.WEIBO]) == weibo_length(text)
    assert network_length(text, CAPS[Network.SMS]) == segment_count(text) == 1
    assert network_length(text, X) == count_length(text, X_LIMIT)


def test_bluesky_byte_cap_is_the_adapters():
    from townsquare.channels.adapters.bluesky.text import MAX_BYTES

    assert BLUESKY_MAX_BYTES == MAX_BYTES


# --- Fitting: simple cases -----------------------------------------------------------


@pytest.mark.parametrize("network", list(ADAPTERS))
def test_short_text_is_one_unchanged_part_on_every_network(network):
    text = f"Line 4 is diverted today {FAMILY} {FLAG_SA} مرحبا بكم 今天绕行 {URL}"
    result = fit_text(text, CAPS[network])
    assert result == FitResult(
        parts=(text,),
        lengths=(network_length(text, CAPS[network]),),
        split=False,
        truncated=False,
        problems=(),
    )


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t ", "\u3000"])
def test_empty_text_is_a_problem(text):
    result = fit_text(text, X)
    assert result.parts == ()
    assert result.problems == (EMPTY,)
    assert not result.split and not result.truncated


def test_outer_whitespace_is_trimmed():
    assert fit_text("\n  hello  \n", X).parts == ("hello",)


def test_a_leading_space_carrying_a_combining_mark_is_not_stripped():
    # " \u0301" is one grapheme cluster: dropping the space would orphan the mark.
    assert fit_text("  \u0301abc ", X).parts == (" \u0301abc",)


def test_thread_prefers_sentence_ends_and_numbers_parts():
    sentence = "The bridge on Harbour Road closes for repairs on Monday morning. "
    result = fit_text(sentence * 8, X)
    assert result.split and not result.truncated and result.problems == ()
    total = len(result.parts)
    for index, part in enumerate(result.parts, 1):
        body = _unnumbered(part, index, total)
        assert body.endswith("morning."), body  # cut after a sentence, not mid-way
        assert count_length(part, X_LIMIT) <= 280
    assert result.lengths == tuple(count_length(p, X_LIMIT) for p in result.parts)


def test_thread_prefers_paragraph_breaks():
    first = "Service update for the northern lines. " * 4  # 156 characters
    second = "Buses replace trains between Central and Airport. " * 4  # 204
    result = fit_text(first.strip() + "\n\n" + second.strip(), X, numbering=False)
    assert result.parts == (first.strip(), second.strip())


def test_chinese_without_spaces_cuts_after_sentence_punctuation():
    sentence = "由于道路施工，四号线公交车今天改道行驶。"  # 19 CJK (weight 2) + 2 marks (2)
    text = sentence * 20
    result = fit_text(text, X, numbering=False)
    assert result.split
    for part in result.parts:
        assert count_length(part, X_LIMIT) <= 280
        assert part.endswith("。")
    assert "".join(result.parts) == text


def test_chinese_without_punctuation_cuts_between_characters():
    text = "公共交通" * 200
    result = fit_text(text, CAPS[Network.WEIBO])
    assert result.truncated and result.problems == (TOO_LONG_NO_THREADS,)
    (part,) = result.parts
    assert part.endswith("…") and text.startswith(part[:-1])
    assert weibo_length(part) <= 140
    assert weibo_length(part) >= 139  # nothing wasted: a cut may fall between any two


def test_numbering_counts_in_the_limit_and_widens_past_nine_parts():
    words = " ".join(f"word{i:03d}" for i in range(600))
    result = fit_text(words, X)
    total = len(result.parts)
    assert total >= 10
    for index, part in enumerate(result.parts, 1):
        assert part.endswith(f" {index}/{total}")
        assert count_length(part, X_LIMIT) <= 280
    bodies = [_unnumbered(p, i, total) for i, p in enumerate(result.parts, 1)]
    assert " ".join(bodies) == words


def test_numbering_can_be_turned_off():
    result = fit_text("word " * 200, X, numbering=False)
    assert result.split
    assert all(not regex.search(r" \d+/\d+$", part) for part in result.parts)


def test_too_many_parts_is_reported_with_every_part_kept():
    text = "A sentence of modest length about the bus timetable. " * 200
    result = fit_text(text, X, max_parts=5)
    assert TOO_MANY_PARTS in result.problems
    assert len(result.parts) > 5
    _cut_offsets(
        text, [_unnumbered(p, i, len(result.parts)) for i, p in enumerate(result.parts, 1)]
    )


def test_ten_thousand_character_post_on_every_network():
    paragraph = (
        f"Roadworks on Harbour Road start on Monday {THUMB_DARK}. Buses 4 and 7 use "
        f"Station Street; see {URL} for the map. #RoadSafety "
        f"الطريق مغلق يوم الاثنين، يرجى استخدام شارع المحطة. 今天道路施工，请绕行。{FAMILY}\n\n"
    )
    text = (paragraph * (10_000 // len(paragraph) + 1))[:10_000].strip()
    for network, caps in CAPS.items():
        result = fit_text(text, caps, max_parts=100)
        fits = [network_length(p, caps) <= caps.text.max_length for p in result.parts]
        assert all(fits), network
        if caps.threads:
            assert result.split and not result.truncated, network
            total = len(result.parts)
            bodies = [_unnumbered(p, i, total) for i, p in enumerate(result.parts, 1)]
            _assert_clean_cuts(text, _cut_offsets(text, bodies))
        elif caps.text.max_length < 10_000 or network == Network.SMS:
            assert result.truncated and TOO_LONG_NO_THREADS in result.problems, network
            body = result.parts[0].removesuffix("…").removesuffix("...")
            _assert_clean_cuts(text, _cut_offsets(text, [body], whole=False))
        else:  # RSS, email, WeChat: 10,000 characters fit
            assert result.parts == (text,), network


def test_bluesky_byte_cap_splits_a_post_of_emoji():
    text = " ".join([FAMILY] * 250)  # 499 graphemes, 250 × 18 + 249 bytes
    result = fit_text(text, CAPS[Network.BLUESKY])
    assert result.split
    for part in result.parts:
        assert len(part.encode("utf-8")) <= BLUESKY_MAX_BYTES
        assert count_length(part, CAPS[Network.BLUESKY].text) <= 300


# --- URLs, hashtags, clusters -------------------------------------------------------


def test_one_giant_url_counts_23_on_x():
    giant = "https://example.gov/" + "a" * 5000
    assert fit_text(giant, X).parts == (giant,)


def test_one_giant_url_is_never_cut_where_urls_count_in_full():
    giant = "https://example.gov/" + "path/" * 100  # 520 graphemes
    result = fit_text(giant, CAPS[Network.BLUESKY])
    assert result.parts == (giant,)
    assert result.problems == (URL_TOO_LONG,)
    result = fit_text(giant, _caps(Network.INSTAGRAM, max_length=100))
    assert result.parts == (giant,)
    assert result.problems == (URL_TOO_LONG,)
    assert not result.truncated  # nothing was cut


def test_a_giant_url_first_on_a_network_without_threads_is_kept_whole():
    giant = "https://example.gov/" + "path/" * 100
    result = fit_text(f"{giant} and then more words", _caps(Network.INSTAGRAM, max_length=100))
    assert result.parts == (giant,)
    assert result.truncated
    assert result.problems == (TOO_LONG_NO_THREADS, URL_TOO_LONG)


def test_a_giant_url_inside_text_gets_its_own_overlong_part():
    giant = "https://example.gov/" + "x" * 400
    text = f"Read the notice first. {giant} Thank you for your patience."
    result = fit_text(text, CAPS[Network.BLUESKY], numbering=False)
    assert giant in result.parts
    assert result.problems == (URL_TOO_LONG,)
    assert result.parts[0] == "Read the notice first."


def test_url_is_not_cut_even_when_it_straddles_the_limit():
    text = "x " * 130 + URL + " tail"
    result = fit_text(text, CAPS[Network.BLUESKY], numbering=False)
    assert any(URL in part for part in result.parts)


def test_hashtag_is_kept_whole():
    caps = _caps(Network.MASTODON, max_length=40)
    text = "Please slow down near schools #RoadSafetyWeek2026 and stay safe"
    result = fit_text(text, caps, numbering=False)
    assert any("#RoadSafetyWeek2026" in part for part in result.parts)


def test_a_hashtag_longer_than_a_part_is_cut_as_a_last_resort():
    caps = _caps(Network.MASTODON, max_length=20)
    tag = "#" + "Very" * 10
    result = fit_text(tag, caps, numbering=False)
    assert "".join(result.parts) == tag
    assert all(len(part) <= 20 for part in result.parts)
    assert result.problems == ()


def test_grapheme_clusters_survive_a_tight_limit():
    caps = _caps(Network.MASTODON, max_length=7)  # code points: a family is 5 of them
    text = (FAMILY + THUMB_DARK + FLAG_SA + RAINBOW_FLAG) * 3
    result = fit_text(text, caps, numbering=False)
    assert "".join(result.parts) == text
    _assert_clean_cuts(text, _cut_offsets(text, result.parts))
    assert all(len(part) <= 7 for part in result.parts)


def test_a_cluster_longer_than_a_part_is_reported_not_broken():
    zalgo = "a" + "\u0301" * 30
    result = fit_text(zalgo + " ok", _caps(Network.MASTODON, max_length=10), numbering=False)
    assert result.parts == (zalgo, "ok")
    assert result.problems == (GRAPHEME_TOO_LONG,)


def test_arabic_with_harakat_and_devanagari_conjuncts_are_not_broken():
    text = (ARABIC_HARAKAT + DEVANAGARI) * 10
    caps = _caps(Network.TELEGRAM, max_length=9)
    result = fit_text(text, caps, numbering=False)
    _assert_clean_cuts(text, _cut_offsets(text, result.parts))


def test_mixed_direction_text_keeps_its_bidi_marks():
    text = " ".join([f"الخط 4 {RLM}(Line 4){RLM} متوقف حتى الساعة 5 مساءً، see {URL}."] * 12)
    result = fit_text(text, X, numbering=False)
    assert result.split
    joined = "".join(result.parts)
    for mark in (RLM, "\u200e", "\u202b", "\u202c", "\u2067", "\u2069"):
        assert joined.count(mark) == text.count(mark)
    assert joined.replace(" ", "") == text.replace(" ", "")


# --- Networks without threads -----------------------------------------------------


def test_truncation_cuts_at_a_word_and_appends_the_ellipsis_within_the_limit():
    text = "Temporary closure of the Harbour Road bridge " * 100
    caps = CAPS[Network.INSTAGRAM]
    result = fit_text(text, caps)
    (part,) = result.parts
    assert result.truncated and not result.split
    assert result.problems == (TOO_LONG_NO_THREADS,)
    assert len(part) <= 2200 and part.endswith("…")
    kept = part[:-1]
    assert text.startswith(kept) and text[len(kept)] == " "  # cut at a word boundary
    assert not kept.endswith(" ")


def test_truncation_honours_a_custom_ellipsis():
    result = fit_text("word " * 1000, _caps(Network.WHATSAPP, max_length=50), ellipsis=" [more]")
    assert result.parts[0].endswith(" [more]")
    assert len(result.parts[0]) <= 50


def test_sms_keeps_gsm7_text_in_gsm7():
    text = "Water supply interrupted in Zone 3 from 9:00 to 17:00 today. " * 40
    result = fit_text(text, CAPS[Network.SMS])
    (part,) = result.parts
    assert is_gsm7(part)  # "..." not "…", which would force UCS-2 (67 a segment)
    assert part.endswith("...")
    assert segment_count(part) == 10
    assert len(part) > 9 * 153  # GSM-7 capacity used, not UCS-2's 10 × 67


def test_sms_uses_a_gsm7_ellipsis_when_only_the_cut_off_end_is_not_gsm7():
    text = "Water supply interrupted in Zone 3 today. " * 40 + "انقطاع المياه"
    result = fit_text(text, CAPS[Network.SMS])
    (part,) = result.parts
    assert part.endswith("...") and is_gsm7(part)
    assert segment_count(part) <= 10


def test_sms_in_arabic_counts_ucs2_segments():
    text = "انقطاع المياه في المنطقة الثالثة اليوم من التاسعة حتى الخامسة. " * 30
    result = fit_text(text, CAPS[Network.SMS])
    (part,) = result.parts
    assert segment_count(part) <= 10
    assert len(part) <= 10 * 67 and len(part) > 9 * 67


def test_weibo_counts_two_half_width_characters_as_one():
    text = "Road works " * 40  # 440 half-width characters: 220 in Weibo's count
    result = fit_text(text, CAPS[Network.WEIBO])
    assert result.truncated
    assert 270 <= len(result.parts[0]) <= 280


@pytest.mark.parametrize("network", list(ADAPTERS))
def test_every_registered_network_gets_parts_that_fit(network):
    caps = CAPS[network]
    unit = f"Notice {FAMILY} مرحبا بِكُمْ 今天绕行。 #Update {URL}\n\n"
    text = unit * (caps.text.max_length // 20 + 2) if caps.text.max_length < 5000 else unit * 5
    result = fit_text(text, caps, max_parts=1000)
    assert all(network_length(p, caps) <= caps.text.max_length for p in result.parts)
    assert result.lengths == tuple(network_length(p, caps) for p in result.parts)
    assert URL_TOO_LONG not in result.problems
