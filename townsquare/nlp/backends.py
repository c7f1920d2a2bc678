"""Sentiment backends: the shipped linear models, or a transformer the operator provides.

Enrichment asks the active backend for the sentiment of a batch of texts in one
language. The default (``linear``) is the NumPy models shipped in ``nlp/models``; the
optional ``onnx`` backend (``nlp/onnx_backend.py``) runs a transformer exported to ONNX
from a directory the operator provides. The choice comes from two environment variables,
read here rather than from Django settings because the ingest pipeline runs enrichment in
worker processes that never set Django up (they inherit the environment):

- ``NLP_SENTIMENT_BACKEND``: ``linear`` (default) or ``onnx``;
- ``NLP_ONNX_MODEL_DIR``: the model directory for ``onnx``.

``settings.py`` calls ``check_configuration`` at start-up so that a wrong value stops the
server with a clear message instead of failing on the first message.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from townsquare.nlp.features import prepare_for
from townsquare.nlp.normalise import folded
from townsquare.nlp.sentiment import SENTIMENT_LANGUAGES, Sentiment, shipped_model

BACKEND_VARIABLE = "NLP_SENTIMENT_BACKEND"
MODEL_DIR_VARIABLE = "NLP_ONNX_MODEL_DIR"
BACKENDS = ("linear", "onnx")


class BackendError(Exception):
    """A sentiment backend cannot be used; the message says why and what to do."""


@runtime_checkable
class SentimentBackend(Protocol):
    """What enrichment needs from a sentiment model."""

    name: str

    def supports(self, language: str) -> bool:
        """Whether the backend reads texts in this language."""
        ...

    def classify_many(self, texts: Sequence[str], language: str) -> list[Sentiment]:
        """Sentiment of each text (already through ``normalise.normalise``), in order."""
        ...


class LinearBackend:
    """The shipped hashed-n-gram models (``sentiment.SentimentModel``), one per language."""

    name = "linear"

    def supports(self, language: str) -> bool:
        return language in SENTIMENT_LANGUAGES

    def classify_many(self, texts: Sequence[str], language: str) -> list[Sentiment]:
        return self.classify_folded_many([folded(text) for text in texts], language)

    def classify_folded_many(
        self,
        texts: Sequence[str],
        language: str,
        segmented: Sequence[str] | None = None,
    ) -> list[Sentiment]:
        """``classify_many`` of texts already through ``normalise.folded`` (enrichment
        folds every text once and shares it), with their Chinese-segmented search forms
        when the caller has them."""
        if not texts:
            return []
        model = shipped_model(language)
        config = model.config
        if segmented is None:
            prepared = [prepare_for(text, config) for text in texts]
        else:
            prepared = [
                prepare_for(text, config, segmented=cut)
                for text, cut in zip(texts, segmented, strict=True)
            ]
        return model.classify_prepared_many(prepared)


def load_backend(name: str, model_dir: str | None = None) -> SentimentBackend:
    """The backend called ``name``, loaded and checked (raises ``BackendError``)."""
    if name == "linear":
        return LinearBackend()
    if name == "onnx":
        if not model_dir:
            raise BackendError(
                f"{BACKEND_VARIABLE}=onnx needs {MODEL_DIR_VARIABLE}, the directory holding "
                "model.onnx, tokenizer.json, labels.json and config.json"
            )
        from townsquare.nlp.onnx_backend import OnnxBackend

        return OnnxBackend.load(Path(model_dir))
    raise BackendError(f"{BACKEND_VARIABLE} must be one of {', '.join(BACKENDS)}, not {name!r}")


def _from_environment(environ: Mapping[str, str]) -> tuple[str, str | None]:
    name = environ.get(BACKEND_VARIABLE, "").strip().lower() or "linear"
    return name, environ.get(MODEL_DIR_VARIABLE, "").strip() or None


def check_configuration(environ: Mapping[str, str] | None = None) -> str:
    """Checks the backend settings without loading a model (cheap enough for start-up):
    the name, the directory and its files, and that the optional packages are
    installed. Returns the backend name; raises ``BackendError``."""
    name, model_dir = _from_environment(os.environ if environ is None else environ)
    if name not in BACKENDS:
        raise BackendError(f"{BACKEND_VARIABLE} must be one of {', '.join(BACKENDS)}, not {name!r}")
    if name == "onnx":
        if not model_dir:
            raise BackendError(f"{BACKEND_VARIABLE}=onnx needs {MODEL_DIR_VARIABLE}")
        from townsquare.nlp.onnx_backend import check_model_dir

        check_model_dir(Path(model_dir))
    return name


_lock = threading.Lock()
_active: SentimentBackend | None = None


def active_backend() -> SentimentBackend:
    """The backend chosen by the environment, loaded once per process."""
    global _active  # noqa: PLW0603 - one loaded backend per process
    if _active is None:
        with _lock:
            if _active is None:
                _active = load_backend(*_from_environment(os.environ))
    return _active


def use_backend(backend: SentimentBackend | None) -> None:
    """Makes ``backend`` the active one (``None``: choose again from the environment).
    For embedding Townsquare's NLP in another program and for tests."""
    global _active  # noqa: PLW0603
    with _lock:
        _active = backend
