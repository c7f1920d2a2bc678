"""Score the shipped (or given) sentiment models on the fixed development split.

    python -m townsquare.nlp.evaluate [--data ../shared/data] [--lang en|ar|zh] [--models DIR]

Prints each model's score in the data set's published metric beside the classic SVM
baseline trained in the same run on the same split (``nlp.baseline``; ``--no-baseline``
skips it) and beside the published reference scores, with the model's size and speed.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from townsquare.nlp import datasets
from townsquare.nlp.baseline import BaselineResult, svm_baseline
from townsquare.nlp.metrics import METRICS
from townsquare.nlp.sentiment import (
    MODEL_DIR,
    SENTIMENT_LANGUAGES,
    ModelError,
    SentimentModel,
    model_path,
)
from townsquare.nlp.train import DEFAULT_DATA_DIR, measure_speed


@dataclass(frozen=True)
class Evaluation:
    language: str
    metric: str
    score: float
    n_dev: int
    size_bytes: int
    texts_per_second: float
    reference: str
    baseline: BaselineResult | None = None


def evaluate_language(
    language: str, *, data_dir: Path, models_dir: Path, with_baseline: bool = False
) -> Evaluation:
    path = model_path(language, models_dir)
    model = SentimentModel.load(path)
    train, dev = datasets.split(datasets.load(language, data_dir))
    source = datasets.SOURCES[language]
    return Evaluation(
        language=language,
        metric=source.metric,
        score=METRICS[language](dev.labels, model.predict(dev.texts)),
        n_dev=len(dev.texts),
        size_bytes=path.stat().st_size,
        texts_per_second=measure_speed(model, dev.texts),
        reference=source.reference,
        baseline=svm_baseline(train, dev) if with_baseline else None,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m townsquare.nlp.evaluate", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--lang", choices=SENTIMENT_LANGUAGES, action="append")
    parser.add_argument("--models", type=Path, default=MODEL_DIR)
    parser.add_argument("--no-baseline", action="store_true", help="skip the SVM baseline (faster)")
    args = parser.parse_args(argv)
    out = sys.stdout
    out.write(
        f"{'model':<16}{'metric':<24}{'dev score':>10}{'SVM (same split)':>18}"
        f"  {'size':>8}  {'texts/s':>9}  published reference (their test sets)\n"
    )
    status = 0
    for language in args.lang or list(SENTIMENT_LANGUAGES):
        try:
            ev = evaluate_language(
                language,
                data_dir=args.data,
                models_dir=args.models,
                with_baseline=not args.no_baseline,
            )
        except (datasets.DataError, ModelError) as exc:
            out.write(f"sentiment-{language:<6}error: {exc}\n")
            status = 1
            continue
        baseline = "-" if ev.baseline is None else f"{100 * ev.baseline.score:.1f}"
        verdict = ""
        if ev.baseline is not None:
            verdict = "  (beats the SVM)" if ev.score > ev.baseline.score else "  (BELOW the SVM)"
        out.write(
            f"sentiment-{language:<6}{ev.metric:<24}{100 * ev.score:>10.1f}{baseline:>18}"
            f"  {ev.size_bytes / 1e6:>6.2f}MB  {ev.texts_per_second:>9,.0f}  {ev.reference}"
            f"{verdict}\n"
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
