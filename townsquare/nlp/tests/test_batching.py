"""Batched enrichment gives exactly what one text at a time gives.

enrich_many hashes a whole batch's n-grams in one NumPy pass, scores each language's
texts with one gather of the weights and counts scripts for language identification in
one pass; every one of those must leave each text's result unchanged, to the last bit.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from townsquare.nlp import datasets
from townsquare.nlp.enrichment import enrich, enrich_many
from townsquare.nlp.features import (
    FeatureConfig,
    featurise,
    featurise_many,
    hashed_batch,
    prepare,
    unit_rows,
)
from townsquare.nlp.langid import identify, identify_many
from townsquare.nlp.sentiment import shipped_model
from townsquare.nlp.train import DEFAULT_DATA_DIR

RLO = "\u202e"
PARTS = {
    "en": [
        "The number {n} bus has not come for 40 minutes",
        "Thank you for fixing the streetlight so quickly 👏🏽",
        "Why is the clinic closed again?? 😡😡 @CityGov",
        "Rubbish not collected for a week https://t.co/x{n} #waste",
        "sooooo good!!!",
    ],
    "ar": [
        "متى يعاد فتح مركز الصحة في الحي الشمالي؟ شكرا لكم",
        "الحافلة رقم {n} متأخرة جدا اليوم 😡",
        "انقطاع المياه منذ يومين #ماء",
        "والإسعاف تأخر كثيرا",
    ],
    "zh": [
        "请问下周供水维修会影响哪些小区？",
        "垃圾已经三天没人收了，太臭了 😷",
        "公交车又晚点了{n}分钟",
        "感谢工作人员这么快修好了路灯 👍",
    ],
    "other": [
        "",
        "😀🎉🔥",
        "https://example.com https://example.org/x",
        f"{RLO}txet desrever thank you",
        "Привет, как дела?",
        "Danke für die schnelle Hilfe",
        "nul \x00 bytes",
        "lone \ud800 surrogate",
        "日本語のテキストです",
    ],
}


def generated(count: int, seed: int = 5) -> list[str | bytes | None]:
    rng = random.Random(seed)
    out: list[str | bytes | None] = []
    for n in range(count):
        parts = [
            rng.choice(PARTS[rng.choice(list(PARTS))]).format(n=n) for _ in range(rng.randint(1, 3))
        ]
        text = " ".join(parts)
        if rng.random() < 0.05:
            text = text * 40  # a long post
        out.append(text)
    out += [None, b"\xff\xfe invalid \xc3 utf-8", "x" * 100_000]
    return out


def dev_texts(per_language: int = 150) -> list[str]:
    texts: list[str] = []
    for language in ("en", "ar", "zh"):
        try:
            _, dev = datasets.split(datasets.load(language, DEFAULT_DATA_DIR))
        except datasets.DataError:
            continue
        texts += dev.texts[:per_language]
    return texts


@pytest.mark.parametrize("source", ["generated", "dev"])
def test_enrich_many_equals_enrich_one_by_one(source):
    texts = generated(250) if source == "generated" else dev_texts()
    if not texts:
        pytest.skip("../shared/data is not here")
    one_by_one = [enrich(text) for text in texts]
    assert enrich_many(texts) == one_by_one
    # Any batch cut gives the same: a text's result does not depend on its neighbours.
    shuffled = list(range(len(texts)))
    random.Random(3).shuffle(shuffled)
    again = enrich_many([texts[i] for i in shuffled[:150]])
    assert again == [one_by_one[i] for i in shuffled[:150]]
    assert enrich_many([]) == []


def test_batch_features_equal_single_features():
    texts = [str(t) for t in generated(200) if isinstance(t, str)]
    for config in (
        FeatureConfig(n_features=2**12),
        FeatureConfig(n_features=2**12, word_ngrams=(0, 0), char_ngrams=(1, 3), binary=True),
        FeatureConfig(n_features=2**12, word_ngrams=(1, 3), char_ngrams=(0, 0)),
        FeatureConfig(n_features=2**12, segment=True, binary=True),
    ):
        indices, values, offsets = featurise_many(texts, config)
        for row, text in enumerate(texts):
            idx, val = featurise(text, config)
            start, end = offsets[row], offsets[row + 1]
            assert np.array_equal(indices[start:end], idx)
            assert np.array_equal(values[start:end], val)


def test_binary_counts_each_ngram_once_and_segment_cuts_chinese():
    config = FeatureConfig(n_features=2**16, word_ngrams=(1, 1), char_ngrams=(0, 0))
    binary = FeatureConfig(n_features=2**16, word_ngrams=(1, 1), char_ngrams=(0, 0), binary=True)
    assert len(featurise("good good good bad", config)[0]) == 4
    idx, val = featurise("good good good bad", binary)
    assert len(idx) == 2 and float((val**2).sum()) == pytest.approx(1.0)
    assert prepare("公交车又晚点了", FeatureConfig(segment=True)) == "公交车 又 晚点 了"
    assert prepare("公交车又晚点了", FeatureConfig()) == "公交车又晚点了"


def test_unit_rows_scale_and_normalise_each_row():
    rows = np.array([0, 0, 2], dtype=np.int64)
    indices = np.array([1, 2, 1], dtype=np.int64)
    values = np.array([1.0, 1.0, -2.0], dtype=np.float32)
    scale = np.array([0, 3, 4, 0], dtype=np.float16)
    out = unit_rows(rows, indices, values, scale, 3)
    assert out.tolist() == pytest.approx([0.6, 0.8, -1.0])
    rows, indices, values = hashed_batch(["", "  "], FeatureConfig())
    assert len(rows) == len(indices) == len(values) == 0


def test_identify_many_equals_identify():
    rng = random.Random(2)
    blocks = [(0x20, 0x250), (0x370, 0x800), (0x3040, 0x3100), (0x4E00, 0x4E80), (0xAC00, 0xAC80)]
    texts = generated(300)
    for _ in range(500):
        texts.append(
            "".join(chr(rng.randrange(*rng.choice(blocks))) for _ in range(rng.randrange(30)))
        )
    # Past the last script range: counted as no script, not as Han.
    texts += ["\U00031350\U0010fffd" * 5, "\U00020001" * 3]
    assert identify_many(texts) == [identify(t) for t in texts]
    assert identify("\U00031350\U0010fffd" * 5).language == "und"


def test_sentiment_of_a_batch_equals_one_at_a_time():
    for language, texts in (("en", PARTS["en"]), ("ar", PARTS["ar"]), ("zh", PARTS["zh"])):
        model = shipped_model(language)
        batch = model.classify_many([*texts, ""])
        assert batch == [model.classify(t) for t in [*texts, ""]]
        assert model.predict(texts) == [s_label(model, t) for t in texts]


def s_label(model, text):
    probs = model.probabilities([text])[0]
    return model.labels[int(probs.argmax())]


BAD_INPUT = [
    "",
    "The bus is late again. " * 4348,  # 100,000 characters
    b"\xff\xfe invalid \xc3 utf-8 bus",
    "lone \ud800 surrogate \udfff",
    "nul\x00bytes\x00here",
    "😀🎉🔥",
    "https://example.com https://example.org/x",
    "الخدمة ممتازة جدا thank you very much for this",
    f"{RLO}txet desrever thank you, great service",
    "Привет, как дела? Всё хорошо",
]


def test_bad_input_in_detail():
    empty, long, invalid, surrogate, nul, emoji, urls, mixed, rlo, russian = enrich_many(BAD_INPUT)
    assert empty.language == "und" and empty.sentiment is None and empty.keywords == ()
    # 100,000 characters: read in full for search, sampled for the language, bounded keywords.
    assert long.language == "en" and long.sentiment is not None
    assert len(long.search_text) > 90_000 and len(long.keywords) <= 10
    # Invalid UTF-8 becomes U+FFFD and the rest of the text is kept.
    assert "\ufffd" in invalid.normalised and "bus" in invalid.search_text.split()
    assert "\ufffd" in surrogate.normalised and "\ud800" not in surrogate.normalised
    surrogate.normalised.encode("utf-8")
    # NUL separates words rather than joining them.
    assert nul.normalised == "nul bytes here" and "bytes" in nul.keywords
    assert emoji.language == "und" and emoji.sentiment is not None  # the English model
    assert urls.language == "und" and urls.sentiment is None and urls.keywords == ()
    assert urls.urls == ("https://example.com", "https://example.org/x")
    assert mixed.language == "mixed" and set(mixed.languages) == {"ar", "en"}
    assert mixed.sentiment is not None
    assert RLO not in rlo.normalised and rlo.language == "en" and rlo.sentiment is not None
    assert russian.language == "und" and russian.sentiment is None
    # The same, one text at a time.
    assert [enrich(value) for value in BAD_INPUT] == [
        empty,
        long,
        invalid,
        surrogate,
        nul,
        emoji,
        urls,
        mixed,
        rlo,
        russian,
    ]
