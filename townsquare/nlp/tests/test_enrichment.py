"""enrich(): one call per text, on good and bad input, and the topic taxonomy."""

from __future__ import annotations

import pytest

from townsquare.nlp import Enrichment, enrich
from townsquare.nlp.lexicon import TermList, analyse
from townsquare.nlp.normalise import search_text
from townsquare.nlp.topics import DEFAULT_TAXONOMY, Taxonomy, TaxonomyError

RLO = "\u202e"


def test_enrich_reads_a_citizen_report():
    result = enrich(
        "🚨 URGENT: flooding on Corniche Street, cars stuck! #Flood @CityGov https://x.example/a."
    )
    assert isinstance(result, Enrichment)
    assert result.language == "en"
    assert result.urgent and not result.abusive and not result.spam
    assert ("urgent", "flooding") in result.flag_terms
    assert result.hashtags == ("flood",)
    assert result.mentions == ("citygov",)
    assert result.urls == ("https://x.example/a",)
    assert result.topic == "emergencies"
    assert "corniche" in result.keywords
    assert result.sentiment is not None


def test_enrich_arabic_and_chinese():
    arabic = enrich("حريق في مبنى بالقرب من المستشفى، نحتاج الإسعاف فورا")
    assert arabic.language == "ar"
    assert arabic.urgent
    assert {"اسعاف", "حريق"} <= {term for _, term in arabic.flag_terms}
    assert arabic.topic in {"emergencies", "health"}
    chinese = enrich("请问下周供水维修会影响哪些小区？")
    assert chinese.language == "zh"
    assert chinese.topic == "water"
    assert chinese.search_text == "请问 下周 供水 维修 会 影响 哪些 小区 ?"
    assert not chinese.urgent


def test_abuse_and_spam_in_three_languages():
    assert enrich("You idiots never fix anything").abusive
    assert enrich("يا حمار، متى تصلحون الطريق").abusive
    assert enrich("你们这些狗官什么都不管").abusive
    assert enrich("Click here for free money!!!").spam
    assert enrich("اربح الآن، اضغط هنا").spam
    assert enrich("加微信日赚500元").spam
    assert enrich("see https://a.example https://b.example https://c.example").spam
    assert not enrich("The streetlight on Elm Street has been out for a week").spam
    # Invisible characters cannot hide an abusive word.
    assert enrich("id\u200bi\u200dot").abusive


def test_arabic_terms_match_behind_clitics():
    terms = TermList(["إسعاف"])
    assert terms.find(analyse(search_text("نحتاج والإسعاف", "ar"))) == ["اسعاف"]
    assert terms.find(analyse(search_text("لا شيء هنا", "ar"))) == []


@pytest.mark.parametrize(
    "value",
    [
        "",
        "x" * 100_000,
        ("The bus is late again. " * 5000)[:100_000],
        b"\xff\xfe\xfd invalid utf-8 \xc3",
        "lone \ud800 surrogate \udfff",
        "nul \x00 bytes \x00",
        "😀🎉🔥",
        "https://example.com https://example.org/x",
        "الخدمة ممتازة thank you very much",
        f"{RLO}txet desrever thank you",
        "Привет, как дела? Всё хорошо",
        "Danke für die schnelle Hilfe",
        None,
    ],
)
def test_bad_input_never_raises_and_stays_storable(value):
    result = enrich(value)
    result.normalised.encode("utf-8")
    result.search_text.encode("utf-8")
    assert "\x00" not in result.normalised
    assert RLO not in result.normalised


def test_languages_without_a_model_get_no_sentiment_but_everything_else():
    russian = enrich("Привет, как дела? #новости @gov")
    assert russian.language == "und" and russian.sentiment is None
    assert russian.hashtags == ("новости",) and russian.mentions == ("gov",)
    german = enrich("Danke für die schnelle Hilfe")
    assert german.language == "de" and german.sentiment is None
    assert enrich("").sentiment is None
    assert enrich("https://example.com").sentiment is None
    # Only emoji: the English model learnt emoji from tweets.
    emoji = enrich("😡😡😡")
    assert emoji.language == "und" and emoji.sentiment is not None


def test_mixed_text_uses_its_largest_part():
    result = enrich("الخدمة ممتازة جدا وشكرا لكم على سرعة الاستجابة thanks")
    assert result.language == "ar"
    mixed = enrich("الخدمة ممتازة جدا thank you very much for this")
    assert mixed.language == "mixed" and set(mixed.languages) == {"ar", "en"}
    assert mixed.sentiment is not None


def test_taxonomy_round_trip_and_ties_follow_order():
    data = {
        "topics": [
            {"slug": "buses", "keywords": {"en": ["bus"], "ar": ["حافلة"], "zh": ["公交"]}},
            {"slug": "trains", "keywords": {"en": ["train"]}},
        ]
    }
    taxonomy = Taxonomy.from_dict(data)
    assert taxonomy.to_dict() == data
    assert enrich("bus or train?", taxonomy=taxonomy).topic == "buses"
    assert enrich("train and train station", taxonomy=taxonomy).topic == "trains"
    assert enrich("الحافلة متأخرة", taxonomy=taxonomy).topic == "buses"
    assert enrich("公交车晚点了", taxonomy=taxonomy).topic == "buses"
    assert enrich("nothing here", taxonomy=taxonomy).topic is None
    assert DEFAULT_TAXONOMY.classify(analyse("")).topic is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "object with a"),
        ({"topics": []}, "at least one topic"),
        ({"topics": ["x"]}, "topic 1 is not an object"),
        ({"topics": [{"slug": "Bad Slug", "keywords": {"en": ["a"]}}]}, "slug must be"),
        ({"topics": [{"slug": "a", "keywords": {}}]}, "keywords must map"),
        ({"topics": [{"slug": "a", "keywords": {"fr": ["bus"]}}]}, "unsupported language 'fr'"),
        ({"topics": [{"slug": "a", "keywords": {"en": ["", "x"]}}]}, "non-empty texts"),
        ({"topics": [{"slug": "a", "keywords": {"en": "bus"}}]}, "non-empty texts"),
        (
            {"topics": [{"slug": "a", "keywords": {"en": ["x"]}}] * 2},
            "its own slug",
        ),
    ],
)
def test_bad_taxonomies_are_refused_with_a_reason(data, message):
    with pytest.raises(TaxonomyError, match=message):
        Taxonomy.from_dict(data)
