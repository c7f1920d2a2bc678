"""Offsets on hard text (emoji, ZWJ, marks, mixed direction, links) and bad input."""

from __future__ import annotations

import pytest
import regex

from townsquare.nlp.plain_language import MAX_TEXT_CHARS, Hint, Report, check

from .helpers import flagged, kinds

GRAPHEME = regex.compile(r"\X", regex.DOTALL)


def boundaries(text: str) -> set[int]:
    return {m.start() for m in GRAPHEME.finditer(text)} | {len(text)}


def assert_well_formed(report: Report, text: str) -> None:
    edges = boundaries(text)
    for hint in report.hints:
        assert isinstance(hint, Hint)
        assert 0 <= hint.start < hint.end <= len(text)
        assert hint.start in edges and hint.end in edges, hint
    assert 0 <= report.score <= 100
    assert list(report.hints) == sorted(report.hints, key=lambda h: (h.start, h.end, h.kind))


def test_offsets_after_emoji_and_zwj_sequences():
    text = "👩🏽‍⚕️👨‍👩‍👧‍👦 🇬🇧 We will utilise the hall."
    report = check(text, "en")
    assert flagged(report, text) == ["utilise"]
    assert_well_formed(report, text)


def test_word_followed_by_skin_tone_keeps_the_cluster_whole():
    text = "Please utilise👍🏽 it."
    report = check(text, "en")
    assert_well_formed(report, text)
    assert flagged(report, text)[0].startswith("utilise")


def test_offsets_in_mixed_direction_text():
    text = "Visit the مكتب البريد office prior to 5pm. بناءً على ما تقدم"
    report = check(text, "en")
    assert flagged(report, text) == ["prior to"]
    ar = check(text, "ar")
    assert flagged(ar, text) == ["بناءً على ما تقدم"]
    assert_well_formed(ar, text)


def test_arabic_marks_before_a_hint():
    text = "مَرْحَبًا بِكُمْ. وَعَلَيْهِ فَإِنَّ المكتب مغلق."
    report = check(text, "ar")
    assert flagged(report, text) == ["وَعَلَيْهِ فَإِنَّ"]
    assert_well_formed(report, text)


def test_rlo_and_other_direction_controls():
    text = "\u202eWe will utilise\u202c the \u2067hall\u2069 prior to May."
    report = check(text, "en")
    assert flagged(report, text) == ["utilise", "prior to"]
    assert_well_formed(report, text)


@pytest.mark.parametrize(
    "link",
    [
        "https://example.gov/utilise-prior-to/DVLA?in_order_to=1",
        "www.example.gov/commence",
        "WWW.EXAMPLE.XYZ/commence",
        "http://localhost:8000/utilise",
        "gov.uk/utilise",
        "utilise@example.gov",
        "@utilise@social.example.gov",
        "#UtiliseTheDVLA",
    ],
)
def test_links_and_addresses_are_never_flagged_or_counted(link):
    text = f"See {link} now."
    report = check(text, "en")
    assert report.hints == ()
    assert report.words == 2


def test_link_ends_before_sentence_punctuation():
    text = "Apply at https://example.gov/apply. We will utilise it."
    report = check(text, "en")
    assert report.sentences == 2
    assert flagged(report, text) == ["utilise"]


def test_phrase_is_not_matched_across_a_link():
    text = "Read in order https://example.gov to apply."
    assert "avoid_word" not in kinds(check(text, "en"))


def test_long_sentence_highlight_avoids_links():
    words = " ".join(["word"] * 14)
    text = f"{words} https://example.gov/a {words} more."
    report = check(text, "en")
    (hint,) = report.hints
    assert hint.kind == "long_sentence"
    assert "https" not in text[hint.start : hint.end]


def test_empty_and_blank_text():
    for text in ("", "   \n\t "):
        report = check(text, "en")
        assert report == Report(
            language="en", score=100, grade=None, sentences=0, words=0, long_sentences=0, hints=()
        )


def test_only_emoji_and_only_links():
    for text in ("🎉🎉👩‍👩‍👧", "https://example.gov https://example.org/x help@example.gov"):
        for language in ("en", "ar", "zh"):
            report = check(text, language)
            assert report.words == 0
            assert report.hints == ()
            assert report.score == 100


def test_nul_and_lone_surrogates_do_not_break_the_check():
    text = "We will\x00 utilise \ud800the hall\udfff prior to May."
    report = check(text, "en")
    assert flagged(report, text) == ["utilise", "prior to"]
    assert_well_formed(report, text)


def test_hundred_thousand_characters():
    chunk = "We will utilise the hall. بناءً على ما تقدم. 特此通知。 https://example.gov/x "
    text = (chunk * (100_000 // len(chunk) + 1))[:100_000]
    for language in ("en", "ar", "zh"):
        report = check(text, language)
        assert report.hints
        assert_well_formed(report, text)


def test_too_long_text_is_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="too long"):
        check("a" * (MAX_TEXT_CHARS + 1), "en")


@pytest.mark.parametrize("language", ["fr", "", "zh-hant", "english", "xx-en"])
def test_unsupported_language(language):
    with pytest.raises(ValueError, match="unsupported language"):
        check("Hello.", language)


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("en-GB", "en"),
        ("en_US", "en"),
        ("ar", "ar"),
        ("ar-AE", "ar"),
        ("zh", "zh-hans"),
        ("zh_Hans", "zh-hans"),
        ("zh-Hans", "zh-hans"),
        ("zh-CN", "zh-hans"),
    ],
)
def test_language_aliases(language, code):
    assert check("Hi.", language).language == code


def test_wrong_argument_types():
    with pytest.raises(TypeError, match="text must be a string"):
        check(b"bytes", "en")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="language"):
        check("Hi", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="list of words"):
        check("Hi", "en", extra_avoid="synergy")
    with pytest.raises(TypeError, match="must be strings"):
        check("Hi", "en", extra_avoid=["ok", 3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="longer than"):
        check("Hi", "en", extra_avoid=["x" * 101])


def test_agency_words():
    text = "Our Customer Journey team will Touchpoint you. The touchpoint is ready."
    report = check(text, "en", extra_avoid=["touchpoint", "customer journey", "  ", ""])
    hints = [h for h in report.hints if h.kind == "agency_word"]
    assert [text[h.start : h.end] for h in hints] == [
        "Customer Journey",
        "Touchpoint",
        "touchpoint",
    ]
    assert all(h.code == "agency_word" for h in hints)
    assert hints[1].params == {"word": "touchpoint"}
    # The built-in list also has "customer journey": the agency's entry replaces it.
    assert "avoid_word" not in kinds(report)


def test_agency_words_in_arabic_and_chinese():
    text = "نُفيدكُم بالتعميم. 请各单位抓紧落实。"
    report = check(text, "ar", extra_avoid=["نفيدكم", "抓紧落实"])
    assert flagged(report, text, "agency_word") == ["نُفيدكُم", "抓紧落实"]


def test_agency_word_is_whole_word_in_spaced_scripts():
    report = check("The category is new.", "en", extra_avoid=["cat"])
    assert report.hints == ()


def test_agency_words_with_pattern_characters_are_literal():
    text = "We use c++ and [x] here, not cxx or x."
    report = check(text, "en", extra_avoid=["c++", "[x]", "(a|b)"])
    assert flagged(report, text, "agency_word") == ["c++", "[x]"]
