"""Property tests: on any text, hints stay inside it, on whole graphemes, off links."""

from __future__ import annotations

import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from townsquare.nlp.plain_language import check

GRAPHEME = regex.compile(r"\X", regex.DOTALL)

LINKS = [
    "https://example.gov/utilise?prior=to",
    "www.example.gov/in-order-to",
    "gov.uk/DVLA",
    "help@utilise.example.gov",
    "https://例子.中国/特此通知",
    "https://example.gov/بناء-على",
]
# Pieces that trigger every kind of hint, mixed with arbitrary text around them.
PIECES = [
    "utilise",
    "in order to",
    "was approved",
    "DVLA",
    "بناءً على ما تقدم",
    "يرجى التكرم بإرسال",
    "وَعَلَيْهِ فَإِنَّ",
    "特此通知",
    "予以",
    "👩🏽‍⚕️",
    "\u200d",
    "\u202e",
    "\u0651",
    ". ",
    "。",
    "\n",
    " ",
]

fragments = st.one_of(
    st.sampled_from(PIECES),
    st.text(max_size=8),
    st.text(alphabet="abcDEFG أبتثةىـًٌ 你好。!?.#@:/", max_size=8),
)


@st.composite
def texts_with_links(draw):
    parts: list[str] = []
    links: list[tuple[int, int]] = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        if draw(st.booleans()) and draw(st.booleans()):
            link = draw(st.sampled_from(LINKS))
            parts.append(" ")
            start = sum(map(len, parts))
            parts.append(link)
            links.append((start, start + len(link)))
            parts.append(" ")
        else:
            parts.append(draw(fragments))
    return "".join(parts), links


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts_with_links(),
    st.sampled_from(["en", "ar", "zh"]),
    st.lists(
        st.sampled_from(["hall", "تقدم", "通知", "x y", "DVLA", "c++", "[x]", "(a|b)"]), max_size=3
    ),
)
def test_hints_inside_text_on_graphemes_and_off_links(sample, language, agency):
    text, links = sample
    report = check(text, language, extra_avoid=agency)
    edges = {m.start() for m in GRAPHEME.finditer(text)} | {len(text)}
    assert 0 <= report.score <= 100
    assert report.long_sentences <= report.sentences
    for hint in report.hints:
        assert 0 <= hint.start < hint.end <= len(text)
        assert hint.start in edges and hint.end in edges
        for start, end in links:
            assert hint.end <= start or hint.start >= end, (hint, text[start:end])
        assert hint.message
