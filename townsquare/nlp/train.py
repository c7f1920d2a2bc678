"""Train the shipped sentiment models from ``../shared/data``.

    python -m townsquare.nlp.train [--data ../shared/data] [--lang en|ar|zh] [--out DIR]

For each language: read the training file, hold out the fixed development split, fit a
logistic regression on hashed n-gram features (scikit-learn, needed only here), store
it as a NumPy archive (float16 weights, no pickle) with a model card beside it, and
score the stored model (not the in-memory one) on the development split. The same data
and seed always give the same files and scores: the split is seeded, the solver is
deterministic and nothing depends on the clock except the reported speed.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from townsquare.nlp import datasets
from townsquare.nlp.features import FeatureConfig, featurise_many
from townsquare.nlp.metrics import METRICS
from townsquare.nlp.sentiment import MODEL_DIR, SentimentModel, model_path

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@dataclass(frozen=True)
class TrainSettings:
    features: FeatureConfig = field(default_factory=FeatureConfig)
    c: float = 1.0  # inverse regularisation strength
    balanced: bool = True  # weight classes by inverse frequency (macro metrics need it)
    max_iter: int = 300
    neutral_band: float = 0.0


SETTINGS = {
    "en": TrainSettings(features=FeatureConfig(word_ngrams=(1, 2), char_ngrams=(2, 5)), c=1.0),
    "ar": TrainSettings(features=FeatureConfig(word_ngrams=(1, 2), char_ngrams=(2, 5)), c=1.0),
    # Chinese reviews: characters carry the words, no segmentation needed; the data is
    # binary, so a text is neutral when the sides are within 0.3 of each other.
    "zh": TrainSettings(
        features=FeatureConfig(word_ngrams=(0, 0), char_ngrams=(1, 3)),
        c=1.0,
        balanced=False,
        neutral_band=0.3,
    ),
}


@dataclass(frozen=True)
class TrainResult:
    language: str
    path: Path
    metric: str
    score: float
    n_train: int
    n_dev: int
    size_bytes: int
    texts_per_second: float


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def fit(train: datasets.Dataset, settings: TrainSettings) -> SentimentModel:
    """A model fitted on ``train`` (scikit-learn is imported here only)."""
    import scipy.sparse
    from sklearn.linear_model import LogisticRegression

    config = settings.features
    indices, values, offsets = featurise_many(train.texts, config)
    matrix = scipy.sparse.csr_matrix(
        (values, indices, offsets), shape=(len(train.texts), config.n_features)
    )
    matrix.sum_duplicates()
    labels = sorted(set(train.labels))
    if len(labels) < 2:
        raise datasets.DataError("training needs at least two different labels")
    learner = LogisticRegression(
        C=settings.c,
        class_weight="balanced" if settings.balanced else None,
        max_iter=settings.max_iter,
        solver="lbfgs",
    )
    learner.fit(matrix, train.labels)
    classes = [str(c) for c in learner.classes_]
    coef = learner.coef_.astype(np.float64)
    intercept = learner.intercept_.astype(np.float64)
    if len(classes) == 2:
        # A binary fit has one weight vector w for the second class; the softmax of
        # (-w/2, w/2) equals its logistic output, so one code path serves both.
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return SentimentModel(
        language=train.language,
        labels=tuple(classes),
        weights=coef.T.astype(np.float16),
        bias=intercept.astype(np.float32),
        config=config,
        neutral_band=settings.neutral_band,
    )


def measure_speed(model: SentimentModel, texts: list[str], *, limit: int = 2000) -> float:
    """Texts per second, one at a time as the pipeline sends them (single core)."""
    sample = texts[:limit]
    if not sample:
        return 0.0
    started = time.perf_counter()
    for text in sample:
        model.classify(text)
    return len(sample) / max(time.perf_counter() - started, 1e-9)


def train_language(
    language: str,
    *,
    data_dir: Path,
    out_dir: Path,
    settings: TrainSettings | None = None,
    write_card: bool = True,
) -> TrainResult:
    settings = settings or SETTINGS[language]
    dataset = datasets.load(language, data_dir)
    train, dev = datasets.split(dataset)
    model = fit(train, settings)
    model.info = {
        "data": dataset.name,
        "split_seed": datasets.SPLIT_SEED,
        "dev_share": datasets.DEV_SHARE,
        "n_train": len(train.texts),
        "n_dev": len(dev.texts),
        "c": settings.c,
        "balanced": settings.balanced,
    }
    path = model_path(language, out_dir)
    model.save(path)
    stored = SentimentModel.load(path)  # score what ships, float16 weights and all
    metric = METRICS[language]
    score = metric(dev.labels, stored.predict(dev.texts))
    result = TrainResult(
        language=language,
        path=path,
        metric=datasets.SOURCES[language].metric,
        score=score,
        n_train=len(train.texts),
        n_dev=len(dev.texts),
        size_bytes=path.stat().st_size,
        texts_per_second=measure_speed(stored, dev.texts),
    )
    if write_card:
        from townsquare.nlp.cards import write_model_card

        write_model_card(result, stored)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m townsquare.nlp.train", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--lang", choices=sorted(SETTINGS), action="append")
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    args = parser.parse_args(argv)
    status = 0
    for language in args.lang or list(SETTINGS):
        started = time.perf_counter()
        try:
            result = train_language(language, data_dir=args.data, out_dir=args.out)
        except datasets.DataError as exc:
            _say(f"{language}: {exc}")
            status = 1
            continue
        _say(
            f"{language}: {result.metric} {100 * result.score:.1f} on {result.n_dev} dev texts"
            f" (trained on {result.n_train}); {result.size_bytes / 1e6:.2f} MB;"
            f" {result.texts_per_second:,.0f} texts/s; {time.perf_counter() - started:.0f} s"
            f" -> {result.path}"
        )
        _say(f"    reference: {datasets.SOURCES[language].reference}")
    return status


if __name__ == "__main__":
    sys.exit(main())
