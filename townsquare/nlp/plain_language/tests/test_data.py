"""The shipped word lists: big enough, well formed, and each entry found by the checker."""

from __future__ import annotations

import json

import pytest

from townsquare.nlp.plain_language import check
from townsquare.nlp.plain_language.lexicon import DATA_DIR, entries

LISTS = {
    "en_avoid": 300,
    "ar_stock_phrases": 100,
    "ar_formal_words": 50,
    "zh_stock_phrases": 80,
    "zh_formal_words": 40,
}


@pytest.mark.parametrize(("name", "minimum"), LISTS.items())
def test_lists_are_substantial_and_well_formed(name, minimum):
    payload = json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert payload["about"]
    listed = entries(name)
    assert len(listed) >= minimum
    for phrase, suggestion in listed.items():
        assert phrase == phrase.strip() and "  " not in phrase
        assert suggestion != phrase


def test_every_english_entry_is_found():
    for phrase in entries("en_avoid"):
        text = f"Note: {phrase} here."
        hits = [h for h in check(text, "en").hints if h.kind == "avoid_word"]
        assert any(text[h.start : h.end].lower() == phrase for h in hits), phrase


@pytest.mark.parametrize(
    ("name", "kind"), [("ar_stock_phrases", "stock_phrase"), ("ar_formal_words", "rare_word")]
)
def test_every_arabic_entry_is_found(name, kind):
    for phrase in entries(name):
        # A phrase ending in a joined letter (بـ) needs a word to join.
        written = phrase[:-1] + "إرسال" if phrase.endswith("ـ") else phrase
        text = f"نعلن {written} اليوم."
        report = check(text, "ar")
        covering = [
            h
            for h in report.hints
            if h.start <= text.index(written) < h.end and h.kind in ("stock_phrase", "rare_word")
        ]
        assert covering, phrase


@pytest.mark.parametrize("name", ["zh_stock_phrases", "zh_formal_words"])
def test_every_chinese_entry_is_found(name):
    for phrase in entries(name):
        text = f"关于{phrase}。"
        assert any(
            h.start <= 2 < h.end for h in check(text, "zh").hints if h.kind != "long_sentence"
        ), phrase
