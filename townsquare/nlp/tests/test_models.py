"""Training, the model file format, evaluation and the shipped models."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from townsquare.nlp import datasets, evaluate, train
from townsquare.nlp.features import FeatureConfig, featurise, featurise_many
from townsquare.nlp.metrics import accuracy, f1_pn, macro_recall
from townsquare.nlp.sentiment import ModelError, SentimentModel, model_path, shipped_model

POSITIVE = {
    "en": [
        "great service thank you",
        "love the new park",
        "excellent and fast help",
        "wonderful staff, very happy",
        "amazing work, thanks",
    ],
    "ar": ["خدمة ممتازة شكرا", "احب الحديقة الجديدة", "عمل رائع وسريع", "موظفون رائعون سعيد جدا"],
    "zh": ["服务很好，非常满意", "房间干净，推荐", "员工热情，很棒", "环境优美，喜欢"],
}
NEGATIVE = {
    "en": [
        "terrible service, awful",
        "hate the delays",
        "worst experience ever, angry",
        "broken again, useless",
        "bad and slow, disappointed",
    ],
    "ar": ["خدمة سيئة جدا", "اكره التأخير", "اسوأ تجربة غاضب", "معطل مرة اخرى سيء"],
    "zh": ["服务很差，非常失望", "房间太脏，糟糕", "员工态度恶劣", "环境很差，讨厌"],
}
NEUTRAL = {
    "en": [
        "the bus leaves at nine",
        "meeting on tuesday",
        "the office is on main street",
        "form number twelve",
        "schedule for next week",
    ],
    "ar": ["الحافلة تغادر الساعة التاسعة", "اجتماع يوم الثلاثاء", "المكتب في الشارع الرئيسي"],
}


def _rows(language: str, copies: int = 8) -> list[tuple[str, str]]:
    rows = []
    for n in range(copies):
        for label, texts in (("positive", POSITIVE), ("negative", NEGATIVE), ("neutral", NEUTRAL)):
            rows += [(label, f"{t} {n}") for t in texts.get(language, [])]
    return rows


def write_tiny_data(root: Path) -> Path:
    """The three training files, in their real layouts, with a few clear examples."""
    en = root / datasets.SOURCES["en"].relative_path
    en.parent.mkdir(parents=True)
    en.write_text(
        "id\tlabel\ttext\n"
        + "".join(f"{i}\t{label}\t{text}\n" for i, (label, text) in enumerate(_rows("en"))),
        encoding="utf-8",
    )
    ar = root / datasets.SOURCES["ar"].relative_path
    ar.parent.mkdir(parents=True)
    codes = {"positive": "POS", "negative": "NEG", "neutral": "NEU"}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["tweet", "sarcasm", "sentiment", "dialect"])
    writer.writerows([text, "FALSE", codes[label], "msa"] for label, text in _rows("ar"))
    ar.write_text(buffer.getvalue(), encoding="utf-8")
    zh = root / datasets.SOURCES["zh"].relative_path
    zh.parent.mkdir(parents=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["label", "review"])
    writer.writerows(["1" if label == "positive" else "0", text] for label, text in _rows("zh"))
    zh.write_text(buffer.getvalue(), encoding="utf-8")
    return root


@pytest.fixture
def tiny_data(tmp_path):
    return write_tiny_data(tmp_path / "data")


def test_features_are_deterministic_and_bounded():
    config = FeatureConfig(n_features=2**10)
    idx, val = featurise("Great service, thank you! 😀", config)
    idx2, val2 = featurise("Great service, thank you! 😀", config)
    assert np.array_equal(idx, idx2) and np.array_equal(val, val2)
    assert idx.min() >= 0 and idx.max() < 2**10
    # Two blocks (words, characters), each scaled to unit length.
    assert float((val**2).sum()) == pytest.approx(2.0, rel=1e-5)
    empty_idx, _ = featurise("", FeatureConfig(word_ngrams=(1, 2), char_ngrams=(0, 0)))
    assert len(empty_idx) == 0
    indices, _, offsets = featurise_many(["a b", "", "c"], config)
    assert offsets[0] == 0 and offsets[2] == offsets[1] and offsets[-1] == len(indices)
    with pytest.raises(ValueError, match="power of two"):
        FeatureConfig(n_features=1000)
    for bad in ((0, 2), (3, 2), (1, 16)):
        with pytest.raises(ValueError, match="n-gram ranges"):
            FeatureConfig(char_ngrams=bad)


def test_features_do_not_depend_on_the_process_hash_seed(tmp_path):
    import subprocess
    import sys

    code = (
        "from townsquare.nlp.features import FeatureConfig, featurise;"
        "print(featurise('hash me 地铁 مرحبا', FeatureConfig())[0].tolist())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
            cwd=Path(__file__).resolve().parents[3],
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1


def test_metrics():
    gold = ["positive", "negative", "neutral", "neutral"]
    predicted = ["positive", "neutral", "neutral", "negative"]
    assert accuracy(gold, predicted) == 0.5
    assert macro_recall(gold, predicted) == pytest.approx((1 + 0 + 0.5) / 3)
    assert f1_pn(gold, predicted) == pytest.approx((1 + 0) / 2)
    with pytest.raises(ValueError, match="no labels"):
        accuracy([], [])
    with pytest.raises(ValueError, match="predictions"):
        accuracy(["positive"], [])


def test_split_is_fixed_and_disjoint(tiny_data):
    data = datasets.load("en", tiny_data)
    train_a, dev_a = datasets.split(data)
    train_b, dev_b = datasets.split(data)
    assert dev_a == dev_b and train_a == train_b
    assert len(dev_a.texts) == round(len(data.texts) * datasets.DEV_SHARE)
    assert len(train_a.texts) + len(dev_a.texts) == len(data.texts)
    assert datasets.split(data, seed=1)[1] != dev_a


@pytest.mark.parametrize("language", ["en", "ar", "zh"])
def test_training_is_deterministic_and_saves_a_pickle_free_model(tiny_data, tmp_path, language):
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    shipped = train.SETTINGS[language]
    small = replace(shipped, features=replace(shipped.features, n_features=2**12))
    result_a = train.train_language(language, data_dir=tiny_data, out_dir=out_a, settings=small)
    result_b = train.train_language(language, data_dir=tiny_data, out_dir=out_b, settings=small)
    assert result_a.score == result_b.score
    assert result_a.score >= 0.9  # the tiny examples are unmistakable
    a, b = (model_path(language, out) for out in (out_a, out_b))
    with np.load(a, allow_pickle=False) as first, np.load(b, allow_pickle=False) as second:
        expected = ["bias", "labels", "meta", "weights"]
        if small.scaling == "idf-l2":
            expected = ["bias", "labels", "meta", "scale", "weights"]
        assert sorted(first.files) == expected
        assert all(first[k].dtype != object for k in first.files)
        assert np.array_equal(first["weights"], second["weights"])
        assert first["weights"].dtype == np.float16
    card = a.with_suffix(".md").read_text()
    assert "Development split" in card and f"{100 * result_a.score:.1f}" in card
    # The SVM baseline is trained in the same run on the same split and named in the card.
    assert result_a.baseline is not None and result_a.baseline.c in (0.1, 0.3, 1.0)
    assert "SVM baseline (this run, same split)" in card
    if small.c_grid:
        assert result_a.c in small.c_grid and result_a.cv_score is not None
        assert "cross-validation on the training part" in card
    model = SentimentModel.load(a)
    positive = POSITIVE[language][0]
    assert model.classify(positive).label == "positive"
    assert model.classify(NEGATIVE[language][0]).label == "negative"
    assert model.classify_many([positive, "", NEGATIVE[language][0]])[0].score > 0


def test_train_and_evaluate_commands(tiny_data, tmp_path, capsys):
    out = tmp_path / "models"
    assert train.main(["--data", str(tiny_data), "--out", str(out), "--lang", "zh"]) == 0
    assert "zh: accuracy" in capsys.readouterr().out
    assert evaluate.main(["--data", str(tiny_data), "--models", str(out), "--lang", "zh"]) == 0
    printed = capsys.readouterr().out
    assert "sentiment-zh" in printed and "BERT-class models about 95" in printed
    assert "SVM (same split)" in printed and "the SVM)" in printed
    assert (
        evaluate.main(
            ["--data", str(tiny_data), "--models", str(out), "--lang", "zh", "--no-baseline"]
        )
        == 0
    )
    assert "the SVM)" not in capsys.readouterr().out
    # A model that was never trained is reported, not a crash.
    assert evaluate.main(["--data", str(tiny_data), "--models", str(out), "--lang", "en"]) == 1
    assert "model file not found" in capsys.readouterr().out


def test_missing_or_empty_data_is_a_clear_error(tmp_path, capsys):
    assert train.main(["--data", str(tmp_path), "--out", str(tmp_path), "--lang", "en"]) == 1
    assert "data file not found" in capsys.readouterr().out
    path = tmp_path / datasets.SOURCES["zh"].relative_path
    path.parent.mkdir(parents=True)
    path.write_bytes(b"label,review\n7,unknown label\n\xff\xfe,broken\n")
    with pytest.raises(datasets.DataError, match="no labelled rows"):
        datasets.load("zh", tmp_path)
    with pytest.raises(datasets.DataError, match="no sentiment data"):
        datasets.load("fr", tmp_path)
    with pytest.raises(SystemExit):
        train.main(["--lang", "fr"])


def test_bad_model_files_are_refused(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        SentimentModel.load(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="not a readable model"):
        SentimentModel.load(junk)
    # An archive holding a pickled object array must not be unpickled.
    pickled = tmp_path / "pickled.npz"
    np.savez(
        pickled,
        weights=np.array([{"x": 1}], dtype=object),
        bias=np.zeros(2),
        labels=np.array(["negative", "positive"]),
        meta=np.array("{}"),
    )
    with pytest.raises(ModelError):
        SentimentModel.load(pickled)
    other = tmp_path / "other.npz"
    np.savez(
        other,
        weights=np.zeros((4, 2), np.float16),
        bias=np.zeros(2, np.float32),
        labels=np.array(["negative", "positive"]),
        meta=np.array('{"format": "other"}'),
    )
    with pytest.raises(ModelError, match="is not a townsquare-linear-v1 model"):
        SentimentModel.load(other)
    # A per-feature scale must be float16 and as long as the feature space.
    meta = (
        '{"format": "townsquare-linear-v1", "language": "en", "features": '
        '{"n_features": 4, "word_ngrams": [1, 1], "char_ngrams": [0, 0], '
        '"word_weight": 1.0, "char_weight": 1.0}}'
    )
    for scale, message in (
        (np.ones(4, np.float64), "unexpected array types"),
        (np.ones(3, np.float16), "scale"),
    ):
        scaled = tmp_path / "scaled.npz"
        np.savez(
            scaled,
            weights=np.zeros((4, 2), np.float16),
            bias=np.zeros(2, np.float32),
            labels=np.array(["negative", "positive"]),
            meta=np.array(meta),
            scale=scale,
        )
        with pytest.raises(ModelError, match=message):
            SentimentModel.load(scaled)
    assert zipfile.is_zipfile(other)


@pytest.mark.parametrize(
    ("language", "positive", "negative"),
    [
        (
            "en",
            "Thank you so much, the new bus service is excellent! Love it",
            "This is terrible, the worst service ever. I hate waiting, so angry",
        ),
        (
            "ar",
            "شكرا جزيلا، خدمة رائعة وممتازة، الله يعطيكم العافية",
            "خدمة سيئة جدا وفاشلة، حسبي الله ونعم الوكيل",
        ),
        ("zh", "服务非常好，房间干净舒适，下次还会再来", "太差了，房间又脏又吵，非常失望"),
    ],
)
def test_shipped_models_load_without_pickle_and_read_obvious_texts(language, positive, negative):
    model = shipped_model(language)
    assert model.language == language
    assert model.config.n_features <= 2**18
    assert model_path(language).stat().st_size < 5_000_000
    assert model.classify(positive).label == "positive"
    assert model.classify(negative).label == "negative"
    assert model.classify(positive).score > 0 > model.classify(negative).score
    with pytest.raises(ModelError, match="no sentiment model"):
        shipped_model("fr")
