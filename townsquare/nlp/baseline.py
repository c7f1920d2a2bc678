"""The classic SVM baseline, trained in the same run on the same split as our models.

A linear SVM (scikit-learn ``LinearSVC``) over TF-IDF word 1–2-grams and character
n-grams (2–5 within word boundaries; Chinese: jieba words and character 1–3-grams),
sublinear term frequency, terms seen at least twice: the kind of system behind the
"SVM" rows of the published tables. It sees the same prepared text as our models (links,
accounts and digits replaced) and its regularisation C is chosen the same way, by 3-fold
cross-validation on the training part only; the development split is scored once, at
the end. scikit-learn is needed only here and in training.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from townsquare.nlp import datasets
from townsquare.nlp.features import prepare
from townsquare.nlp.metrics import METRICS

C_GRID = (0.1, 0.3, 1.0)
CV_FOLDS = 3
CV_SEED = 0
_WORDS = r"(?u)\b\w+\b"  # every word, one letter too (the default drops "i", "a")


@dataclass(frozen=True)
class BaselineResult:
    language: str
    c: float
    cv_score: float  # mean over the folds of the training part
    score: float  # on the development split


def cross_validated(
    make: Callable[[float], object],
    fit_predict: Callable[[object, list[int], list[int]], list[str]],
    labels: Sequence[str],
    grid: Sequence[float],
    metric: Callable[[Sequence[str], Sequence[str]], float],
) -> tuple[float, float]:
    """(best value of the grid, its mean score) by stratified k-fold cross-validation
    over ``labels`` (the training part); ties go to the first value of the grid."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    y = np.array(labels)
    folds = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=CV_SEED).split(np.zeros(len(y)), y)
    splits = [(list(map(int, a)), list(map(int, b))) for a, b in folds]
    best: tuple[float, float] | None = None
    for value in grid:
        scores = [
            metric([labels[i] for i in test], fit_predict(make(value), train, test))
            for train, test in splits
        ]
        mean = sum(scores) / len(scores)
        if best is None or mean > best[1]:
            best = (value, mean)
    assert best is not None  # noqa: S101 - the grid is never empty
    return best


def _vectorisers(language: str) -> list[object]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    common = {"sublinear_tf": True, "min_df": 2, "lowercase": False}
    if language == "zh":
        from townsquare.nlp.segment import words

        return [
            TfidfVectorizer(tokenizer=words, token_pattern=None, ngram_range=(1, 2), **common),
            TfidfVectorizer(analyzer="char", ngram_range=(1, 3), **common),
        ]
    return [
        TfidfVectorizer(token_pattern=_WORDS, ngram_range=(1, 2), **common),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), **common),
    ]


def svm_baseline(
    train: datasets.Dataset, dev: datasets.Dataset, *, grid: Sequence[float] = C_GRID
) -> BaselineResult:
    """Fits the baseline on ``train`` (C by cross-validation on it) and scores ``dev``."""
    import scipy.sparse
    from sklearn.svm import LinearSVC

    language = train.language
    metric = METRICS[language]
    # Macro metrics reward the rare classes: weight them, as our three-class models do.
    weights = None if language == "zh" else "balanced"
    train_texts = [prepare(text) for text in train.texts]
    vectorisers = _vectorisers(language)
    matrix = scipy.sparse.hstack(
        [v.fit_transform(train_texts) for v in vectorisers]  # type: ignore[attr-defined]
    ).tocsr()

    def make(c: float) -> LinearSVC:
        return LinearSVC(C=c, class_weight=weights)

    def fit_predict(model: object, rows: list[int], test: list[int]) -> list[str]:
        model.fit(matrix[rows], [train.labels[i] for i in rows])  # type: ignore[attr-defined]
        return [str(p) for p in model.predict(matrix[test])]  # type: ignore[attr-defined]

    c, cv_score = cross_validated(make, fit_predict, train.labels, grid, metric)
    model = make(c).fit(matrix, train.labels)
    dev_matrix = scipy.sparse.hstack(
        [v.transform([prepare(t) for t in dev.texts]) for v in vectorisers]  # type: ignore[attr-defined]
    ).tocsr()
    predicted = [str(p) for p in model.predict(dev_matrix)]
    return BaselineResult(
        language=language, c=c, cv_score=cv_score, score=metric(dev.labels, predicted)
    )
