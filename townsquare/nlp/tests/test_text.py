"""Normalisation, segmentation, language identification and extraction on bad input."""

from __future__ import annotations

import pytest

from townsquare.nlp import keywords as kw
from townsquare.nlp.langid import identify
from townsquare.nlp.normalise import clean, normalise, normalise_arabic, search_text, to_text
from townsquare.nlp.segment import segment, words

RLO = "\u202e"
LONG = ("The bus to Harbour Road is late again. " * 2600)[:100_000]


def test_normalise_applies_nfkc_and_drops_invisible_and_direction_characters():
    assert normalise("ｕｒｇｅｎｔ　help ﬁre") == "urgent help fire"
    assert normalise(f"{RLO}evil\u200bname\u2066x\u2069") == "evilnamex"
    assert normalise("  a \t\t b  ") == "a b"
    assert normalise("line one\nline two") == "line one\nline two"


def test_arabic_normalisation_unifies_spellings():
    assert normalise_arabic("أَحْمَد إسعاف آمال") == "احمد اسعاف امال"
    assert normalise_arabic("مدرسة مستشفى جميـــل") == "مدرسه مستشفي جميل"
    assert normalise_arabic("مسؤول شاطئ ١٢٣") == "مسوول شاطي 123"
    assert normalise_arabic("plain english") == "plain english"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"caf\xc3\xa9 \xff\xfe ok", "café �� ok"),
        ("lone \ud800 surrogate", "lone � surrogate"),
        ("nul\x00byte", "nul byte"),
        (None, ""),
        ("", ""),
    ],
)
def test_bad_input_is_repaired_not_refused(value, expected):
    assert normalise(value) == expected
    result = search_text(value, "en")
    result.encode("utf-8")  # always storable


def test_to_text_keeps_valid_text_as_it_is():
    text = f"{RLO}keep me\u200b exactly"
    assert to_text(text) is text
    assert clean(text) == "keep me exactly"


def test_search_text_segments_chinese_lowercases_and_unifies_arabic():
    assert (
        search_text("请问下周供水维修会影响哪些小区", "zh")
        == "请问 下周 供水 维修 会 影响 哪些 小区"
    )
    assert search_text("The BUS is LATE", "en") == "the bus is late"
    assert search_text("إسعاف المدرسة", "ar") == "اسعاف المدرسه"
    mixed = search_text("Metro 地铁站很挤 today", None)
    assert mixed == "metro 地铁站 很挤 today"
    assert search_text("これは東京です", "ja") == "これは東京です"


def test_segmentation_and_words():
    assert segment("") == []
    assert segment("北京大学的学生") == ["北京大学", "的", "学生"]
    assert words("Don't stop 地铁站很挤 مرحبا!") == ["Don't", "stop", "地铁站", "很挤", "مرحبا"]


def test_long_text_is_handled():
    assert len(normalise(LONG)) == len(LONG.strip())
    assert identify(LONG).language == "en"
    assert search_text(LONG, "en").startswith("the bus")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hello, how are you today? The bus is late.", "en"),
        ("متى يعاد فتح مركز الصحة في الحي الشمالي؟ شكرا لكم", "ar"),
        ("请问下周供水维修会影响哪些小区？", "zh"),
        ("好", "zh"),
        ("Bonjour, merci pour votre aide", "fr"),
        ("Hola, gracias por la información", "es"),
        ("من امروز به دانشگاه رفتم و کتاب خریدم", "fa"),
        ("これは日本語の文章です", "ja"),
        ("안녕하세요 감사합니다", "ko"),
        ("Привет, как дела?", "und"),
        ("", "und"),
        ("😀😀😀🎉", "und"),
        ("https://example.com/a/very/long/path?x=1 www.gov.example", "und"),
        ("12345 !!! ???", "und"),
        ("ok", "und"),
        (f"{RLO}Hello my friends, thank you", "en"),
        (b"\xff\xfe thank you for the help", "en"),
        ("\ud800 thank you for the help", "en"),
        ("nul\x00 thank you for the help", "en"),
        ("شكرا @Transport_Gov على الرد https://t.co/abc", "ar"),
    ],
)
def test_language_identification(text, language):
    guess = identify(text)
    assert guess.language == language
    assert 0.0 <= guess.confidence <= 1.0


def test_mixed_arabic_english_lists_both_parts():
    guess = identify("الخدمة ممتازة جدا thank you very much for this")
    assert guess.language == "mixed"
    assert set(guess.languages) == {"ar", "en"}
    assert guess.supported
    # A loan word inside Arabic does not make the text mixed.
    assert identify("اشتريت iPhone جديد من المتجر اليوم وكان سعره مرتفعا").language == "ar"


def test_unsupported_language_is_named_but_not_supported():
    guess = identify("Danke für die schnelle Hilfe, sehr nett")
    assert guess.language == "de"
    assert not guess.supported


def test_hashtags_mentions_and_urls():
    text = (
        "Flood at #HarbourRoad #السيول_الآن #暴雨 @CityGov @ana@social.example "
        "see https://gov.example/a?b=1. and www.example.org/x, email me@example.com #1"
    )
    assert kw.hashtags(text) == ["harbourroad", "السيول_الآن", "暴雨"]
    assert kw.mentions(text) == ["citygov", "ana@social.example"]
    assert kw.urls(text) == ["https://gov.example/a?b=1", "www.example.org/x"]
    assert kw.hashtags("https://example.com/page#section") == []


def test_keywords_skip_function_words_and_count():
    st = search_text("The bus is late. The bus never comes. Bus drivers!", "en")
    assert kw.keywords(st)[:3] == ["bus", "late", "never"]
    assert kw.keywords(search_text("متى يعاد فتح مركز الصحة لكم", "ar")) == [
        "يعاد",
        "فتح",
        "مركز",
        "الصحه",
    ]
    assert kw.keywords("") == []
    assert kw.keywords("😀 https://a.example @bob") == []
