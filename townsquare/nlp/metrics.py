"""The published metrics of each sentiment data set, on plain lists of labels."""

from __future__ import annotations

from collections.abc import Sequence


def _check(gold: Sequence[str], predicted: Sequence[str]) -> None:
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    if not gold:
        raise ValueError("no labels to score")


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    _check(gold, predicted)
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def recall(gold: Sequence[str], predicted: Sequence[str], label: str) -> float:
    relevant = [p for g, p in zip(gold, predicted, strict=True) if g == label]
    return sum(p == label for p in relevant) / len(relevant) if relevant else 0.0


def f1(gold: Sequence[str], predicted: Sequence[str], label: str) -> float:
    pairs = list(zip(gold, predicted, strict=True))
    true_pos = sum(g == p == label for g, p in pairs)
    predicted_pos = sum(p == label for _, p in pairs)
    actual_pos = sum(g == label for g, _ in pairs)
    if not true_pos:
        return 0.0
    precision, rec = true_pos / predicted_pos, true_pos / actual_pos
    return 2 * precision * rec / (precision + rec)


def macro_recall(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """SemEval 2017 Task 4A: recall averaged over the classes present in the gold labels."""
    _check(gold, predicted)
    labels = sorted(set(gold))
    return sum(recall(gold, predicted, label) for label in labels) / len(labels)


def f1_pn(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """ArSarcasm-v2 / SemEval: the mean F1 of the positive and the negative class."""
    _check(gold, predicted)
    return (f1(gold, predicted, "positive") + f1(gold, predicted, "negative")) / 2


METRICS = {"en": macro_recall, "ar": f1_pn, "zh": accuracy}
