"""Sentiment backends: the interface, start-up checks and the ONNX backend with a tiny
model built here (embedding bag + linear layer over a word-level tokenizer)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from townsquare.nlp import backends
from townsquare.nlp.backends import (
    BackendError,
    LinearBackend,
    SentimentBackend,
    check_configuration,
    load_backend,
    use_backend,
)
from townsquare.nlp.enrichment import enrich, enrich_many
from townsquare.nlp.sentiment import shipped_model

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("tokenizers")

VOCAB = ["[PAD]", "[UNK]", "good", "great", "bad", "awful", "bus", "late", "جيد", "سيء"]
# Embedding: one dimension per label (negative, neutral, positive); each word votes.
VOTES = {
    "good": (0, 0, 3),
    "great": (0, 0, 4),
    "جيد": (0, 0, 3),
    "bad": (3, 0, 0),
    "awful": (4, 0, 0),
    "سيء": (3, 0, 0),
    "bus": (0, 2, 0),
    "late": (1, 1, 0),
}


DIMENSIONS = ("negative", "neutral", "positive")


def build_model(path: Path, labels: tuple[str, ...] = DIMENSIONS) -> None:
    """input_ids, attention_mask -> masked mean of embeddings -> linear -> logits."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    dim = 3
    embedding = np.zeros((len(VOCAB), dim), dtype=np.float32)
    for word, votes in VOTES.items():
        embedding[VOCAB.index(word)] = votes
    n_labels = len(labels)
    weight = np.zeros((dim, n_labels), dtype=np.float32)
    bias = np.zeros(n_labels, dtype=np.float32)
    for column, label in enumerate(labels):
        weight[DIMENSIONS.index(label), column] = 1.0
        bias[column] = 0.5 if label == "neutral" else 0.0  # no words at all: neutral
    nodes = [
        helper.make_node("Gather", ["embedding", "input_ids"], ["vectors"]),
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "axis_2"], ["mask_3d"]),
        helper.make_node("Mul", ["vectors", "mask_3d"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis_1"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask_f", "axis_1"], ["count"], keepdims=1),
        helper.make_node("Max", ["count", "one"], ["safe_count"]),
        helper.make_node("Div", ["summed", "safe_count"], ["mean"]),
        helper.make_node("MatMul", ["mean", "weight"], ["projected"]),
        helper.make_node("Add", ["projected", "bias"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny-sentiment",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", n_labels])],
        initializer=[
            numpy_helper.from_array(embedding, "embedding"),
            numpy_helper.from_array(weight, "weight"),
            numpy_helper.from_array(bias, "bias"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "axis_1"),
            numpy_helper.from_array(np.array([2], dtype=np.int64), "axis_2"),
            numpy_helper.from_array(np.array([1.0], dtype=np.float32), "one"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def build_tokenizer(path: Path) -> None:
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.normalizers import Lowercase
    from tokenizers.pre_tokenizers import Whitespace

    tokenizer = Tokenizer(WordLevel({w: i for i, w in enumerate(VOCAB)}, unk_token="[UNK]"))
    tokenizer.normalizer = Lowercase()
    tokenizer.pre_tokenizer = Whitespace()
    tokenizer.save(str(path))


def make_model_dir(root: Path, *, labels: list[str] | None = None, **config: object) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    labels = labels or list(DIMENSIONS)
    build_model(root / "model.onnx", tuple(labels))
    build_tokenizer(root / "tokenizer.json")
    (root / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    settings = {"languages": ["en", "ar"], "max_length": 16, **config}
    (root / "config.json").write_text(json.dumps(settings), encoding="utf-8")
    return root


@pytest.fixture
def model_dir(tmp_path):
    return make_model_dir(tmp_path / "tiny")


@pytest.fixture
def restore_backend():
    yield
    use_backend(None)


def test_onnx_backend_predicts_with_the_tiny_model(model_dir):
    backend = load_backend("onnx", str(model_dir))
    assert isinstance(backend, SentimentBackend)
    assert backend.supports("en") and backend.supports("ar") and not backend.supports("zh")
    found = backend.classify_many(
        ["Great, good bus", "awful and bad", "the bus is late", "", "جيد جدا", "سيء"], "en"
    )
    assert [s.label for s in found] == [
        "positive",
        "negative",
        "neutral",
        "neutral",
        "positive",
        "negative",
    ]
    assert found[0].score > 0 > found[1].score
    assert 0 < found[0].confidence <= 1
    # Longer than max_length: truncated, not an error; batches larger than one run.
    many = backend.classify_many(["good " * 500] + ["bad"] * 150, "en")
    assert len(many) == 151 and many[0].label == "positive" and many[-1].label == "negative"


def test_enrichment_uses_the_active_backend(model_dir, restore_backend):
    use_backend(load_backend("onnx", str(model_dir)))
    result = enrich("The bus was great, good job")
    assert result.sentiment is not None and result.sentiment.label == "positive"
    # Chinese is not in this model's languages: no sentiment rather than a guess.
    assert enrich("公交车又晚点了").sentiment is None
    texts = ["awful bus", "good", "公交车又晚点了"]
    assert enrich_many(texts) == [enrich(t) for t in texts]


def test_linear_backend_is_the_default_and_matches_the_models(restore_backend, monkeypatch):
    monkeypatch.delenv(backends.BACKEND_VARIABLE, raising=False)
    use_backend(None)
    backend = backends.active_backend()
    assert isinstance(backend, LinearBackend) and isinstance(backend, SentimentBackend)
    text = "Thank you, the new bus service is excellent"
    assert backend.classify_many([text], "en")[0] == shipped_model("en").classify(text)
    assert not backend.supports("fr")


def test_binary_model_gets_a_neutral_band(tmp_path):
    directory = make_model_dir(
        tmp_path / "binary", labels=["negative", "positive"], neutral_band=0.3
    )
    backend = load_backend("onnx", str(directory))
    found = backend.classify_many(["good bad", "great", "awful"], "en")
    assert [s.label for s in found] == ["neutral", "positive", "negative"]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"NLP_SENTIMENT_BACKEND": "bert"}, "must be one of linear, onnx"),
        ({"NLP_SENTIMENT_BACKEND": "onnx"}, "needs NLP_ONNX_MODEL_DIR"),
        (
            {"NLP_SENTIMENT_BACKEND": "onnx", "NLP_ONNX_MODEL_DIR": "/nonexistent/model"},
            "is not a directory",
        ),
    ],
)
def test_configuration_errors_are_clear(environ, message):
    with pytest.raises(BackendError, match=message):
        check_configuration(environ)


def test_configuration_is_checked_without_loading(model_dir):
    assert check_configuration({}) == "linear"
    assert check_configuration({"NLP_SENTIMENT_BACKEND": " Linear "}) == "linear"
    environ = {"NLP_SENTIMENT_BACKEND": "onnx", "NLP_ONNX_MODEL_DIR": str(model_dir)}
    assert check_configuration(environ) == "onnx"
    with pytest.raises(BackendError, match="must be one of"):
        load_backend("bert")
    with pytest.raises(BackendError, match="needs NLP_ONNX_MODEL_DIR"):
        load_backend("onnx", None)


def test_missing_files_are_named(model_dir):
    (model_dir / "tokenizer.json").unlink()
    (model_dir / "labels.json").unlink()
    with pytest.raises(BackendError, match=r"lacks tokenizer\.json, labels\.json"):
        load_backend("onnx", str(model_dir))


@pytest.mark.parametrize(
    ("labels", "config", "message"),
    [
        ('["negative", "positive", "angry"]', None, "each one of"),
        ('["negative", "negative", "positive"]', None, "each one of"),
        ('["neutral", "positive"]', None, "negative and positive required"),
        ("{not json", None, "not readable JSON"),
        (None, '{"languages": []}', '"languages" must list'),
        (None, '{"languages": ["en"], "max_length": 0}', '"max_length"'),
        (None, '{"languages": ["en"], "neutral_band": 2}', '"neutral_band"'),
        (None, '{"languages": ["en"], "pad_id": -1}', '"pad_id"'),
        (None, "[1, 2]", "must be a JSON object"),
    ],
)
def test_bad_small_files_are_refused(model_dir, labels, config, message):
    if labels is not None:
        (model_dir / "labels.json").write_text(labels, encoding="utf-8")
    if config is not None:
        (model_dir / "config.json").write_text(config, encoding="utf-8")
    with pytest.raises(BackendError, match=message):
        load_backend("onnx", str(model_dir))


def test_wrong_label_count_is_refused(model_dir):
    # The model gives three scores; labels.json names two.
    (model_dir / "labels.json").write_text('["negative", "positive"]', encoding="utf-8")
    with pytest.raises(BackendError, match=r"gives 3 scores but labels\.json names 2 labels"):
        load_backend("onnx", str(model_dir))


def test_corrupt_model_and_tokenizer_are_refused(model_dir):
    (model_dir / "model.onnx").write_bytes(b"\x08\x07 this is not a protobuf model")
    with pytest.raises(BackendError, match="not a usable ONNX model"):
        load_backend("onnx", str(model_dir))
    build_model(model_dir / "model.onnx")
    (model_dir / "tokenizer.json").write_text('{"model": 1}', encoding="utf-8")
    with pytest.raises(BackendError, match="is not a tokenizer"):
        load_backend("onnx", str(model_dir))


def test_model_without_input_ids_is_refused(model_dir):
    import onnx

    model = onnx.load(str(model_dir / "model.onnx"))
    model.graph.input[0].name = "tokens"
    for node in model.graph.node:
        node.input[:] = ["tokens" if name == "input_ids" else name for name in node.input]
    onnx.save(model, str(model_dir / "model.onnx"))
    with pytest.raises(BackendError, match="no input_ids input"):
        load_backend("onnx", str(model_dir))


def test_missing_extra_is_reported(model_dir, monkeypatch):
    from townsquare.nlp import onnx_backend

    monkeypatch.setattr(onnx_backend, "_missing_packages", lambda: ["onnxruntime"])
    with pytest.raises(BackendError, match=r"pip install townsquare\[transformer\]"):
        check_configuration({"NLP_SENTIMENT_BACKEND": "onnx", "NLP_ONNX_MODEL_DIR": str(model_dir)})
