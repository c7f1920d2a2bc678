"""Sentiment models: a linear model over hashed n-gram features, run in pure NumPy.

A model file is a NumPy ``.npz`` archive read with ``allow_pickle=False``: a weight
matrix (features x labels, float16), a bias per label, the label names and a JSON
string with the feature configuration and training facts. Nothing in it can run code.

Binary models (the Chinese data has no neutral class) call a text neutral when the two
sides are close; ``neutral_band`` in the file says how close. The score is the
polarity, P(positive) - P(negative), from -1 to 1.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from townsquare.nlp.features import FeatureConfig, hashed_batch, prepare, unit_rows

MODEL_DIR = Path(__file__).resolve().parent / "models"
FORMAT = "townsquare-linear-v1"
SENTIMENT_LANGUAGES = ("en", "ar", "zh")
_LABELS = frozenset({"negative", "neutral", "positive"})


class ModelError(Exception):
    """A model file is missing, unreadable or not a Townsquare model."""


@dataclass(frozen=True)
class Sentiment:
    label: str  # negative, neutral or positive
    score: float  # polarity from -1 (negative) to 1 (positive)
    confidence: float  # the model's probability for the label


@dataclass
class SentimentModel:
    language: str
    labels: tuple[str, ...]
    weights: npt.NDArray[np.float16]  # (n_features, n_labels)
    bias: npt.NDArray[np.float32]  # (n_labels,)
    config: FeatureConfig
    neutral_band: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    # Optional per-feature scale (idf) applied before each text's vector is scaled to
    # unit length; None: features are used as hashed.
    scale: npt.NDArray[np.float16] | None = None

    def __post_init__(self) -> None:
        if not set(self.labels) <= _LABELS or len(set(self.labels)) != len(self.labels):
            raise ModelError(f"unexpected labels {self.labels}")
        if "negative" not in self.labels or "positive" not in self.labels:
            raise ModelError("a sentiment model needs negative and positive labels")
        expected = (self.config.n_features, len(self.labels))
        if self.weights.shape != expected or self.bias.shape != (len(self.labels),):
            raise ModelError(f"weights {self.weights.shape} do not match {expected}")
        if self.scale is not None and self.scale.shape != (self.config.n_features,):
            raise ModelError(f"scale {self.scale.shape} does not match the features")
        self._neg = self.labels.index("negative")
        self._pos = self.labels.index("positive")

    # --- files ---------------------------------------------------------------------
    def save(self, path: Path) -> None:
        meta = {
            "format": FORMAT,
            "language": self.language,
            "features": self.config.to_dict(),
            "neutral_band": self.neutral_band,
            "info": self.info,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, npt.NDArray[Any]] = {
            "weights": self.weights.astype(np.float16),
            "bias": self.bias.astype(np.float32),
            "labels": np.array(self.labels),
            "meta": np.array(json.dumps(meta, sort_keys=True)),
        }
        if self.scale is not None:
            arrays["scale"] = self.scale.astype(np.float16)
        with path.open("wb") as handle:
            np.savez_compressed(handle, allow_pickle=False, **arrays)

    @classmethod
    def load(cls, path: Path) -> SentimentModel:
        try:
            with np.load(path, allow_pickle=False) as archive:
                meta = json.loads(str(archive["meta"]))
                weights = archive["weights"]
                bias = archive["bias"]
                labels = tuple(str(label) for label in archive["labels"])
                scale = archive["scale"] if "scale" in archive.files else None
        except FileNotFoundError as exc:
            raise ModelError(f"model file not found: {path} (run `make models`)") from exc
        except (OSError, KeyError, ValueError, json.JSONDecodeError) as exc:
            raise ModelError(f"{path} is not a readable model file: {exc}") from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ModelError(f"{path} is not a {FORMAT} model")
        if (
            weights.dtype != np.float16
            or bias.dtype != np.float32
            or (scale is not None and scale.dtype != np.float16)
        ):
            raise ModelError(f"{path} has unexpected array types")
        try:
            config = FeatureConfig.from_dict(meta["features"])
            return cls(
                language=str(meta["language"]),
                labels=labels,
                weights=weights,
                bias=bias,
                scale=scale,
                config=config,
                neutral_band=float(meta.get("neutral_band", 0.0)),
                info=dict(meta.get("info", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{path} has an invalid description: {exc}") from exc

    # --- inference -----------------------------------------------------------------
    def _softmax(self, scores: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        scores = scores + self.bias
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        return scores

    def probabilities(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """P(label) for each text, shape (len(texts), len(labels))."""
        return self.prepared_probabilities([prepare(text, self.config) for text in texts])

    def prepared_probabilities(self, prepared: list[str]) -> npt.NDArray[np.float32]:
        """``probabilities`` of texts already through ``features.prepare``.

        The whole batch is hashed in one NumPy pass and scored with one gather of the
        weights. Each row is summed by ``bincount`` in the order of its own features
        (float64 accumulator), so a text gets exactly the same numbers alone as in any
        batch: enrich() and enrich_many() agree to the last bit.
        """
        rows, indices, values = hashed_batch(prepared, self.config)
        if self.scale is not None:
            values = unit_rows(rows, indices, values, self.scale, len(prepared))
        n_labels = len(self.labels)
        sums = np.zeros((len(prepared), n_labels), dtype=np.float32)
        if len(indices):
            contributions = self.weights[indices].astype(np.float32) * values[:, None]
            for k in range(n_labels):
                sums[:, k] = np.bincount(rows, weights=contributions[:, k], minlength=len(prepared))
        return self._softmax(sums)

    def _sentiment(self, probs: npt.NDArray[np.float32]) -> Sentiment:
        polarity = float(probs[self._pos] - probs[self._neg])
        best = int(probs.argmax())
        label = self.labels[best]
        confidence = float(probs[best])
        if "neutral" not in self.labels and abs(polarity) < self.neutral_band:
            label, confidence = "neutral", 1.0 - abs(polarity)
        return Sentiment(label=label, score=round(polarity, 4), confidence=round(confidence, 4))

    def classify(self, text: str) -> Sentiment:
        return self.classify_prepared(prepare(text, self.config))

    def classify_prepared(self, prepared: str) -> Sentiment:
        """``classify`` of a text already through ``features.prepare``."""
        return self.classify_prepared_many([prepared])[0]

    def classify_prepared_many(self, prepared: list[str]) -> list[Sentiment]:
        return [self._sentiment(row) for row in self.prepared_probabilities(prepared)]

    def classify_many(self, texts: list[str]) -> list[Sentiment]:
        return [self._sentiment(row) for row in self.probabilities(texts)]

    def predict(self, texts: list[str]) -> list[str]:
        """The label of each text (binary models never say neutral here: this is what
        the published binary accuracy measures)."""
        probs = self.probabilities(texts)
        return [self.labels[i] for i in probs.argmax(axis=1)]


def model_path(language: str, directory: Path = MODEL_DIR) -> Path:
    return directory / f"sentiment-{language}.npz"


@functools.cache
def shipped_model(language: str) -> SentimentModel:
    """The model shipped for a language, loaded once per process."""
    if language not in SENTIMENT_LANGUAGES:
        raise ModelError(f"no sentiment model for language {language!r}")
    return SentimentModel.load(model_path(language))
