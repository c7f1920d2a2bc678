"""The optional transformer sentiment backend: an ONNX model the operator provides.

Install the extra (``pip install townsquare[transformer]``: onnxruntime and tokenizers),
export a fine-tuned sentiment classifier to ONNX (for example with Hugging Face Optimum)
and put four files in one directory:

- ``model.onnx``: inputs ``input_ids`` (int64, batch x tokens) and, if the model has
  them, ``attention_mask`` and ``token_type_ids``; first output: one score (logit) per
  label, batch x labels;
- ``tokenizer.json``: the model's tokenizer, as the ``tokenizers`` library saves it;
- ``labels.json``: the labels in output order, a list of ``negative``, ``neutral``
  and ``positive`` (negative and positive required), e.g. ``["negative", "neutral",
  "positive"]``;
- ``config.json``: ``{"languages": ["en", "ar", "zh"], "max_length": 128}`` and
  optionally ``"neutral_band"`` (binary models: a text is neutral when
  P(positive) - P(negative) is within this) and ``"pad_id"``.

Then set ``NLP_SENTIMENT_BACKEND=onnx`` and ``NLP_ONNX_MODEL_DIR=<directory>``. Every
problem (missing file, wrong label count, corrupt model, extra not installed) is a
``BackendError`` whose message names the file and the fix.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from townsquare.nlp.backends import BackendError
from townsquare.nlp.sentiment import Sentiment

FILES = ("model.onnx", "tokenizer.json", "labels.json", "config.json")
LABELS = frozenset({"negative", "neutral", "positive"})
MAX_LENGTH_LIMIT = 4096
BATCH_SIZE = 64  # texts per session run: bounded memory for long posts


@dataclass(frozen=True)
class OnnxConfig:
    languages: frozenset[str]
    max_length: int
    labels: tuple[str, ...]
    neutral_band: float = 0.0
    pad_id: int | None = None


def _missing_packages() -> list[str]:
    return [
        name for name in ("onnxruntime", "tokenizers") if importlib.util.find_spec(name) is None
    ]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackendError(f"{path} is not readable JSON: {exc}") from exc


def check_model_dir(directory: Path) -> OnnxConfig:
    """Checks the directory, its small files and the optional packages without loading
    the model (cheap enough for start-up). Returns the parsed configuration."""
    missing = _missing_packages()
    if missing:
        raise BackendError(
            f"the onnx sentiment backend needs {' and '.join(missing)}: install the "
            "optional extra with `pip install townsquare[transformer]`"
        )
    if not directory.is_dir():
        raise BackendError(f"NLP_ONNX_MODEL_DIR {directory} is not a directory")
    absent = [name for name in FILES if not (directory / name).is_file()]
    if absent:
        raise BackendError(f"{directory} lacks {', '.join(absent)} (needs {', '.join(FILES)})")
    labels = _read_json(directory / "labels.json")
    if (
        not isinstance(labels, list)
        or not all(isinstance(label, str) for label in labels)
        or not set(labels) <= LABELS
        or len(set(labels)) != len(labels)
        or not {"negative", "positive"} <= set(labels)
    ):
        raise BackendError(
            f"{directory / 'labels.json'} must list the output labels in order, each one "
            'of "negative", "neutral", "positive" once (negative and positive required)'
        )
    config = _read_json(directory / "config.json")
    if not isinstance(config, dict):
        raise BackendError(f"{directory / 'config.json'} must be a JSON object")
    languages = config.get("languages")
    if (
        not isinstance(languages, list)
        or not languages
        or not all(isinstance(lang, str) and lang for lang in languages)
    ):
        raise BackendError(
            f'{directory / "config.json"}: "languages" must list language codes, e.g. ["en"]'
        )
    max_length = config.get("max_length", 128)
    if not isinstance(max_length, int) or not 1 <= max_length <= MAX_LENGTH_LIMIT:
        raise BackendError(
            f'{directory / "config.json"}: "max_length" must be a whole number from 1 to '
            f"{MAX_LENGTH_LIMIT}"
        )
    band = config.get("neutral_band", 0.0)
    if not isinstance(band, int | float) or not 0 <= band < 1:
        raise BackendError(f'{directory / "config.json"}: "neutral_band" must be from 0 to 1')
    pad_id = config.get("pad_id")
    if pad_id is not None and (not isinstance(pad_id, int) or pad_id < 0):
        raise BackendError(f'{directory / "config.json"}: "pad_id" must be a token id')
    return OnnxConfig(
        languages=frozenset(languages),
        max_length=max_length,
        labels=tuple(labels),
        neutral_band=float(band),
        pad_id=pad_id,
    )


class OnnxBackend:
    """A transformer classifier run by onnxruntime on the CPU."""

    name = "onnx"

    def __init__(self, directory: Path, config: OnnxConfig, session: Any, tokenizer: Any):
        self.directory = directory
        self.config = config
        self._session = session
        self._tokenizer = tokenizer
        self._inputs = {i.name for i in session.get_inputs()}
        self._neg = config.labels.index("negative")
        self._pos = config.labels.index("positive")

    @classmethod
    def load(cls, directory: Path) -> OnnxBackend:
        config = check_model_dir(directory)
        import onnxruntime
        from tokenizers import Tokenizer

        try:
            tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        except Exception as exc:  # tokenizers raises plain Exception on bad files
            raise BackendError(f"{directory / 'tokenizer.json'} is not a tokenizer: {exc}") from exc
        pad_id = config.pad_id
        if pad_id is None:
            pad_id = tokenizer.token_to_id("[PAD]")
            pad_id = tokenizer.token_to_id("<pad>") if pad_id is None else pad_id
        tokenizer.enable_truncation(max_length=config.max_length)
        tokenizer.enable_padding(pad_id=pad_id or 0)
        options = onnxruntime.SessionOptions()
        # Ingest runs one enrichment process per core: one thread each, no oversubscription.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            session = onnxruntime.InferenceSession(
                str(directory / "model.onnx"), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own Exception subclasses
            raise BackendError(
                f"{directory / 'model.onnx'} is not a usable ONNX model: {exc}"
            ) from exc
        names = {i.name for i in session.get_inputs()}
        if "input_ids" not in names:
            raise BackendError(
                f"{directory / 'model.onnx'} has no input_ids input (inputs: {sorted(names)})"
            )
        unknown = names - {"input_ids", "attention_mask", "token_type_ids"}
        if unknown:
            raise BackendError(
                f"{directory / 'model.onnx'} needs inputs we do not give: {sorted(unknown)}"
            )
        outputs = session.get_outputs()
        width = outputs[0].shape[-1] if outputs and outputs[0].shape else None
        if isinstance(width, int) and width != len(config.labels):
            raise BackendError(
                f"{directory / 'model.onnx'} gives {width} scores but labels.json names "
                f"{len(config.labels)} labels"
            )
        return cls(directory, config, session, tokenizer)

    def supports(self, language: str) -> bool:
        return language in self.config.languages

    def _logits(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids}
        if "attention_mask" in self._inputs:
            feeds["attention_mask"] = np.array([e.attention_mask for e in encodings], np.int64)
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        try:
            scores = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)
        except Exception as exc:
            raise BackendError(f"{self.directory / 'model.onnx'} failed to run: {exc}") from exc
        if scores.shape != (len(texts), len(self.config.labels)):
            raise BackendError(
                f"{self.directory / 'model.onnx'} gave scores of shape {scores.shape}; "
                f"expected ({len(texts)}, {len(self.config.labels)}) for labels.json"
            )
        return scores

    def classify_many(self, texts: Sequence[str], language: str) -> list[Sentiment]:
        out: list[Sentiment] = []
        for start in range(0, len(texts), BATCH_SIZE):
            batch = [text or " " for text in texts[start : start + BATCH_SIZE]]
            scores = self._logits(batch)
            scores -= scores.max(axis=1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=1, keepdims=True)
            out.extend(self._sentiment(row) for row in probs)
        return out

    def _sentiment(self, probs: npt.NDArray[np.float32]) -> Sentiment:
        polarity = float(probs[self._pos] - probs[self._neg])
        best = int(probs.argmax())
        label, confidence = self.config.labels[best], float(probs[best])
        if "neutral" not in self.config.labels and abs(polarity) < self.config.neutral_band:
            label, confidence = "neutral", 1.0 - abs(polarity)
        return Sentiment(label=label, score=round(polarity, 4), confidence=round(confidence, 4))
