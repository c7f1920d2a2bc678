"""Bluesky's grapheme count (the 300-character limit)."""

from __future__ import annotations

import pytest

from townsquare.channels.adapters.bluesky.text import grapheme_count


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello", 5),
        ("مرحبا بِكُم", 9),  # Arabic letters with harakat: marks join their letter
        ("你好世界", 4),
        ("한국어", 3),
        ("\u1100\u1161\u11a8", 1),  # conjoining Hangul jamo
        ("👍🏽", 1),  # skin tone modifier
        ("👩‍👩‍👧‍👦", 1),  # ZWJ family
        ("❤️‍🔥", 1),
        ("🏴󠁧󠁢󠁳󠁣󠁴󠁿", 1),  # tag sequence flag
        ("🇸🇦🇨🇳🇺", 3),  # two flags and a lone regional indicator
        ("1️⃣", 1),  # keycap
        ("e\u0301", 1),
        ("\r\n", 1),
        ("a\u200db", 2),  # ZWJ joins its preceding character only
        ("", 0),
    ],
)
def test_grapheme_count(text: str, expected: int) -> None:
    assert grapheme_count(text) == expected
