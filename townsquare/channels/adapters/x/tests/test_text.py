"""X's weighted character count (twitter-text configuration v3)."""

from __future__ import annotations

import pytest

from townsquare.channels.adapters.x.text import fits, weighted_length


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, world", 12),
        ("مرحبا بكم في الوزارة", 20),  # Arabic is inside the weight-1 range (up to U+10FF)
        ("شُكْرًا", 7),  # harakat are code points of weight 1 too
        ("你好世界", 8),  # CJK weighs 2
        ("안녕하세요", 10),
        ("😀", 2),
        ("👍🏽", 2),  # a skin tone sequence is one emoji
        ("👨‍👩‍👧‍👦", 2),  # a ZWJ family is one emoji
        ("🏳️‍🌈", 2),
        ("🇸🇦🇨🇳", 4),  # two flags
        ("1️⃣", 2),
        ("e\u0301", 1),  # NFC turns e + combining acute into é
        ("Read https://transport.gov.example/a/very/long/path/to/a/page?x=1 now", 32),
        ("Read https://t.co/x.", 29),  # trailing full stop is not part of the link
        ("go to example.com today", 35),  # a bare domain is a link too
        ("“quoted” – dash", 15),  # general punctuation U+2010–U+201F weighs 1
        ("…", 2),  # U+2026 is outside the ranges
        ("", 0),
    ],
)
def test_weighted_length(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


def test_the_280_limit() -> None:
    assert fits("a" * 280)
    assert not fits("a" * 281)
    assert fits("你" * 140)
    assert not fits("你" * 141)
    assert fits("👩‍👩‍👧" * 140)


def test_urls_count_23_however_long() -> None:
    long_url = "https://example.org/" + "y" * 500
    assert weighted_length(long_url) == 23
    assert weighted_length("a" * 257 + " " + long_url) == 281
