"""The public sentiment data sets in ``../shared/data`` and the fixed development split.

The data README asks for a development split carved from the training files with a
fixed seed and for no tuning on anything else. The split is by position after a seeded
shuffle, so the same files always give the same split, on any machine.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SPLIT_SEED = 20261122
DEV_SHARE = 0.1
LABELS = ("negative", "neutral", "positive")


class DataError(Exception):
    """A data file is missing or not in the expected shape."""


@dataclass(frozen=True)
class Dataset:
    name: str
    language: str
    texts: list[str]
    labels: list[str]


@dataclass(frozen=True)
class Source:
    language: str
    relative_path: str
    metric: str
    reference: str


SOURCES = {
    "en": Source(
        "en",
        "sentiment/en/semeval2013-2016-train.tsv",
        "macro-averaged recall",
        "SemEval-2017 4A test: SVM 62.9, FastText 62.9, BiLSTM 58.3, RoBERTa-base 71.3",
    ),
    "ar": Source(
        "ar",
        "sentiment/ar/arsarcasm-v2-train.csv",
        "F1-PN",
        "ArSarcasm-v2 shared task test: mid-table about 71, best about 75",
    ),
    "zh": Source(
        "zh",
        "sentiment/zh/chnsenticorp-htl-all.csv",
        "accuracy",
        "ChnSentiCorp: BERT-class models about 95",
    ),
}

_AR_LABELS = {"NEG": "negative", "NEU": "neutral", "POS": "positive"}
_ZH_LABELS = {"0": "negative", "1": "positive"}


def _read_rows(path: Path, *, delimiter: str, quoting: Literal[0, 3]) -> list[list[str]]:
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return list(csv.reader(handle, delimiter=delimiter, quoting=quoting))


def load(language: str, data_dir: Path) -> Dataset:
    """All labelled rows of one language's training file (rows with an unknown label or
    no text are skipped; a file without any usable row is an error)."""
    if language not in SOURCES:
        raise DataError(f"no sentiment data for language {language!r}; choose from en, ar, zh")
    path = data_dir / SOURCES[language].relative_path
    texts: list[str] = []
    labels: list[str] = []
    if language == "en":
        # Tweets contain stray quotes: the file is plain tab-separated, no quoting.
        for row in _read_rows(path, delimiter="\t", quoting=csv.QUOTE_NONE)[1:]:
            if len(row) >= 3 and row[1] in LABELS and row[2].strip():
                texts.append("\t".join(row[2:]))
                labels.append(row[1])
    elif language == "ar":
        for row in _read_rows(path, delimiter=",", quoting=csv.QUOTE_MINIMAL)[1:]:
            if len(row) >= 3 and row[2] in _AR_LABELS and row[0].strip():
                texts.append(row[0].strip('"“” '))
                labels.append(_AR_LABELS[row[2]])
    else:
        for row in _read_rows(path, delimiter=",", quoting=csv.QUOTE_MINIMAL)[1:]:
            if len(row) >= 2 and row[0] in _ZH_LABELS and row[1].strip():
                texts.append(row[1])
                labels.append(_ZH_LABELS[row[0]])
    if not texts:
        raise DataError(f"no labelled rows in {path}")
    return Dataset(name=path.name, language=language, texts=texts, labels=labels)


def split(dataset: Dataset, *, seed: int = SPLIT_SEED) -> tuple[Dataset, Dataset]:
    """(train, dev): a seeded shuffle of row positions, the first tenth held out."""
    order = list(range(len(dataset.texts)))
    random.Random(seed).shuffle(order)  # noqa: S311 - a reproducible split, not a secret
    n_dev = max(1, round(len(order) * DEV_SHARE)) if len(order) > 1 else 0
    dev_rows, train_rows = order[:n_dev], order[n_dev:]

    def take(rows: list[int]) -> Dataset:
        return Dataset(
            name=dataset.name,
            language=dataset.language,
            texts=[dataset.texts[i] for i in rows],
            labels=[dataset.labels[i] for i in rows],
        )

    return take(train_rows), take(dev_rows)
