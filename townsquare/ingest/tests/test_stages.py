"""The pure stages: decode and validate every kind of bad input, dedupe, enrich."""

import json

import pytest

from townsquare.ingest.enrichment import enrich_texts
from townsquare.ingest.stages import (
    Candidate,
    Rejected,
    decode,
    dedupe,
    pack,
    raw_bytes,
    unpack,
    validate,
)
from townsquare.nlp import enrich


def _check(raw, max_chars=40_000):
    message = decode(raw)
    if isinstance(message, Rejected):
        return message
    return validate(message, raw_bytes(raw), max_chars=max_chars)


def _json(text, **extra):
    return json.dumps({"account_id": 1, "remote_id": "r1", "text": text, **extra}).encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"account_id": 1, "remote_id": "r1", "text": "caf\xe9"}', "invalid_utf8"),
        (b'{"account_id": 1, "remote_id": "r1", "text": "bad \\ud800 half"}', "lone_surrogate"),
        (b'{"account_id": 1, "remote_id": "r1", "text": "nul \\u0000 here"}', "nul_character"),
        (_json(""), "empty_text"),
        (_json("   \n\t "), "empty_text"),
        (_json("\u202e\u200b"), "empty_text"),  # only invisible characters
        (_json("x" * 100_000), "text_too_long"),
        (b'{"account_id": 1, "remote_id": "r1", "text": "unclosed', "malformed_json"),
        (b"[1, 2]", "not_an_object"),
        (_json("hi", remote_id=""), "missing_remote_id"),
        (json.dumps({"remote_id": "r1", "text": "hi"}).encode(), "missing_account"),
        (_json("hi", kind="tweet"), "bad_field"),
        (_json("hi", created_at="yesterday"), "bad_field"),
        (_json(42), "bad_field"),
        (_json("hi", author_name={"a": 1}), "bad_field"),
    ],
)
def test_bad_input_is_rejected_with_a_reason_and_the_raw_bytes(raw, reason):
    result = _check(raw)
    assert isinstance(result, Rejected)
    assert result.reason == reason
    assert result.detail
    assert result.raw == raw  # nothing lost, byte for byte


def test_a_lone_surrogate_in_a_python_mapping_is_rejected_and_kept_escaped():
    result = _check({"account_id": 1, "remote_id": "r9", "text": "half \ud83d"})
    assert isinstance(result, Rejected)
    assert result.reason == "lone_surrogate"
    assert result.remote_id == "r9"
    assert b"\\ud83d" in result.raw


@pytest.mark.parametrize(
    "text",
    [
        "😡😡😡🚌",  # only emoji
        "https://example.org/a https://example.org/b",  # only links
        "\u202eمرحبا hello",  # right-to-left override
        "Bonjour, le bus est en retard",  # a language without a sentiment model
        "الحافلة متأخرة again today",  # mixed Arabic and English
        "y" * 40_000,  # long, but within the limit
    ],
)
def test_odd_but_valid_texts_are_accepted_unchanged(text):
    result = _check(_json(text))
    assert isinstance(result, Candidate)
    assert result.text == text


def test_the_enrichment_of_odd_texts():
    emoji, links, french = enrich_texts(
        ["😡😡😡", "https://a.example https://b.example", "Bonjour le bus est en retard"]
    )
    # No letters: the English model (which learnt emoji from tweets) reads it.
    assert emoji["language"] == "und" and emoji["sentiment"] != ""
    assert links["urls"] == ["https://a.example", "https://b.example"]
    assert (
        french["language"] == "fr"
        and french["sentiment"] == ""
        and french["sentiment_score"] is None
    )


def test_enrichment_values_match_enrich():
    text = "🚨 Flooding on Corniche Street, cars stuck #flood @CityGov"
    (values,) = enrich_texts([text])
    expected = enrich(text)
    assert values["search_text"] == expected.search_text
    assert values["sentiment_score"] == expected.sentiment.score
    assert values["hashtags"] == list(expected.hashtags)
    assert values["urgent"] is expected.urgent


def test_validate_reads_optional_fields():
    result = _check(
        _json(
            "hi", created_at="2026-03-01T10:00:00Z", author_handle="@a", is_own=False, remote_id=77
        )
    )
    assert isinstance(result, Candidate)
    assert result.remote_id == "77"
    assert result.created_at.isoformat() == "2026-03-01T10:00:00+00:00"
    assert result.fields["author_handle"] == "@a"


def test_dedupe_keeps_the_first_of_each_key():
    def candidate(remote_id, text):
        c = _check(_json(text, remote_id=remote_id))
        c.network = "mastodon"
        return c

    unique, repeats = dedupe(
        [candidate("a", "one"), candidate("b", "two"), candidate("a", "again")]
    )
    assert [c.text for c in unique] == ["one", "two"]
    assert repeats == 1


def test_pack_and_unpack_keep_any_bytes():
    raws = [b"\xff\xfe not utf-8", "texte", {"text": "\ud800"}]
    assert unpack(pack(raws)) == [raw_bytes(r) for r in raws]
