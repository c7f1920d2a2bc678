"""The boolean query language: parsing, errors with positions, matching in three
languages, and bad input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from townsquare.listening.query import (
    MAX_DEPTH,
    MAX_QUERY_LENGTH,
    QueryError,
    document,
    matches,
    parse,
    positive_terms,
    render,
)
from townsquare.nlp.enrichment import enrich


def doc_of(text: str, author: str = ""):
    e = enrich(text, with_sentiment=False)
    return document(e.search_text, hashtags=e.hashtags, mentions=e.mentions, author=author)


def hit(query: str, text: str, author: str = "") -> bool:
    return matches(parse(query), doc_of(text, author))


@pytest.mark.parametrize(
    ("query", "shape"),
    [
        ("bus late", "(bus AND late)"),
        ("bus AND late OR train", "((bus AND late) OR train)"),
        ("bus AND (late OR cancelled)", "(bus AND (late OR cancelled))"),
        ("bus NOT school", "(bus AND NOT school)"),
        ("bus -school", "(bus AND NOT school)"),
        ('"ticket machine" broken', '("ticket machine" AND broken)'),
        ("#Bus @Metro_Harbour", "(#bus AND @metro_harbour)"),
        ("Bus or train", "(bus AND or AND train)"),  # lower-case "or" is a word
    ],
)
def test_parse_shapes(query, shape):
    assert render(parse(query)) == shape


@pytest.mark.parametrize(
    ("query", "code", "position"),
    [
        ("", "empty", 0),
        ("   ", "empty", 0),
        ('bus "late', "unclosed_quote", 4),
        ("(bus OR train", "unbalanced_parenthesis", 0),
        ("bus OR train)", "unbalanced_parenthesis", 12),
        ("bus AND", "dangling_operator", 4),
        ("OR bus", "dangling_operator", 0),
        ("bus OR OR train", "dangling_operator", 7),
        ("bus AND NOT", "dangling_operator", 8),
        ("(bus OR )", "dangling_operator", 5),
        ("bus ()", "empty_group", 4),
        ('bus ""', "empty_phrase", 4),
        ("# bus", "empty_hashtag", 0),
        ("NOT bus", "only_negative", 0),
        ("x" * (MAX_QUERY_LENGTH + 1), "too_long", MAX_QUERY_LENGTH),
        ("(" * (MAX_DEPTH + 3) + "bus" + ")" * (MAX_DEPTH + 3), "too_deep", MAX_DEPTH + 1),
        (" ".join(["w"] * 101), "too_long", 200),
        ("bus \ud800", "invalid_text", 4),
    ],
)
def test_errors_are_positioned(query, code, position):
    with pytest.raises(QueryError) as caught:
        parse(query)
    assert caught.value.code == code
    assert caught.value.position == position


def test_non_text_is_refused():
    with pytest.raises(QueryError) as caught:
        parse(b"bus")
    assert caught.value.code == "not_text"


def test_english_words_are_whole_and_case_insensitive():
    assert hit("bus late", "Bus 12 at the market is LATE again")
    assert not hit("bus late", "The business is late")  # "bus" is not "business"
    assert hit('"ticket machine"', "The Ticket  Machine at the station is broken")
    assert not hit('"ticket machine"', "machine for tickets")
    assert hit("bus OR train", "the train was cancelled")
    assert not hit("bus -cancelled", "bus cancelled today")


def test_arabic_is_matched_normalised():
    # Query without hamza and taa marbuta, text with them and with harakat.
    assert hit("الحافله متاخره", "الحافلةُ رقم ١٢ متأخرة مرة أخرى")
    assert hit("محطة", "آلة التذاكر في مَحطّة السوق معطلة")
    assert not hit("قطار", "الحافلة متأخرة")


def test_chinese_by_segmented_words_and_substring():
    assert hit("公交 晚点", "市场的12路公交又晚点了")
    assert hit("售票机", "车站的售票机坏了一个星期了")
    assert hit('"公交车"', "新的公交车很方便")
    assert not hit("地铁", "公交又晚点了")


def test_hashtags_and_accounts_are_not_plain_words():
    assert hit("#buses", "Fix the #Buses now")
    assert not hit("#buses", "fix the buses now")
    assert hit("@metro", "cc @Metro please")
    assert hit("@metro", "late again", author="@metro")
    assert not hit("@metro", "write to metro@example.org")
    assert hit("#الحافلات", "#الحافلات متأخرة")


def test_positive_terms_are_what_a_network_search_gets():
    node = parse('(bus OR "night bus") AND #late NOT school')
    assert positive_terms(node) == ["bus", '"night bus"', "#late"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x" * 100_000,
        b"bus \xff\xfe late",
        "bus \u202elate\u202c",  # right-to-left override inside
        "😤🚌😤",
        "\x00bus\x00late",
    ],
)
def test_bad_texts_never_break_matching(text):
    e = enrich(text, with_sentiment=False)
    doc = document(e.search_text, hashtags=e.hashtags, mentions=e.mentions)
    result = matches(parse("bus late OR 😤"), doc)
    assert isinstance(result, bool)


def test_rlo_and_invalid_utf8_still_match_their_words():
    assert hit("bus late", "bus \u202elate\u202c")
    e = enrich(b"bus \xff late", with_sentiment=False)
    assert matches(parse("bus late"), document(e.search_text))


def test_emoji_only_text_matches_an_emoji_term_only():
    assert hit("😤", "😤😤")
    assert not hit("bus", "😤😤")


_QUERY_ALPHABET = st.sampled_from(
    [*'()"#@-“” ANDORNOT', "AND", "OR", "NOT", " ", "bus", "حافلة", "公交", "\u202e",
     "\x00", "\ud800", "😤", "＃", "＠", "−"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_QUERY_ALPHABET, max_size=30).map("".join))
def test_parser_raises_only_query_error_on_structured_input(text):
    try:
        node = parse(text)
    except QueryError as exc:
        position = exc.position
    else:
        matches(node, document("bus حافله 公交"))
        return
    assert 0 <= position <= len(text)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200))
def test_parser_raises_only_query_error_on_any_text(text):
    try:
        parse(text)
    except QueryError as exc:
        position = exc.position
    else:
        return
    assert 0 <= position <= len(text)
