"""Model cards: a Markdown page written beside each model file by the training command."""

from __future__ import annotations

from typing import TYPE_CHECKING

from townsquare.nlp import datasets

if TYPE_CHECKING:
    from townsquare.nlp.sentiment import SentimentModel
    from townsquare.nlp.train import TrainResult

_LANGUAGE_NAMES = {"en": "English", "ar": "Arabic", "zh": "Chinese (Simplified)"}
_DATA_NOTES = {
    "en": "SemEval-2013…2016 Task 4A tweets (negative / neutral / positive), joined and "
    "deduplicated by tweet id. Research use; Twitter terms.",
    "ar": "ArSarcasm-v2 training data (WANLP 2021), Arabic tweets in MSA and dialects "
    "(NEG / NEU / POS). MIT licence.",
    "zh": "ChnSentiCorp hotel reviews, all (positive / negative only). Research use.",
}


def write_model_card(result: TrainResult, model: SentimentModel) -> None:
    source = datasets.SOURCES[result.language]
    cfg = model.config
    words = "none" if cfg.word_ngrams[1] == 0 else f"{cfg.word_ngrams[0]}–{cfg.word_ngrams[1]}"
    if cfg.segment:
        words += " (Chinese cut into words by jieba, as for search)"
    counting = (
        "each distinct n-gram counted once" if cfg.binary else "n-grams counted as often as seen"
    )
    grid = model.info.get("c_grid") or []
    c_text = (
        f"C = {model.info.get('c')}, chosen from {', '.join(f'{c:g}' for c in grid)} by 3-fold "
        f"cross-validation on the training part (mean score {100 * (result.cv_score or 0):.1f})"
        if grid
        else f"C = {model.info.get('c')}"
    )
    scaling = {
        "idf": "; features scaled by idf during training, the scale folded into the weights",
        "idf-l2": "; then scaled by idf (stored in the file) and each text's vector set to "
        "unit length",
    }.get(str(model.info.get("scaling")), "")
    baseline = result.baseline
    baseline_row = (
        f"| {source.metric}, SVM baseline (this run, same split) | {100 * baseline.score:.1f} "
        f"| LinearSVC over TF-IDF word 1–2-grams + character n-grams, C = {baseline.c:g} by "
        f"cross-validation on the training part (`townsquare/nlp/baseline.py`) |\n"
        if baseline is not None
        else ""
    )
    ours = f"| {source.metric}, this model (dev split) | **{100 * result.score:.1f}** |"
    neutral = (
        f"The data has no neutral class: a text is called neutral when P(positive) and "
        f"P(negative) are within {model.neutral_band} of each other. The accuracy below "
        f"is the binary accuracy of the published benchmark (no neutral answers)."
        if "neutral" not in model.labels
        else "Three classes, as in the data."
    )
    card = f"""# Sentiment model: {_LANGUAGE_NAMES[result.language]} (`{result.path.name}`)

Written by `python -m townsquare.nlp.train --lang {result.language}`; rerun it to
reproduce this file and the model (same data and seed give the same scores).

## Data
- {_DATA_NOTES[result.language]}
- File: `../shared/data/{source.relative_path}` (not copied into the project).
- Development split: seeded shuffle (seed {datasets.SPLIT_SEED}), first
  {datasets.DEV_SHARE:.0%} held out: {result.n_dev} texts; {result.n_train} for training.
  No other data was used for tuning.

## Model
- Logistic regression (scikit-learn, {model.info.get("solver", "lbfgs")}, {c_text}; class
  weights {"balanced" if model.info.get("balanced") else "none"}) over hashed features:
  word n-grams {words}, character n-grams {cfg.char_ngrams[0]}–{cfg.char_ngrams[1]},
  {counting}, {cfg.n_features:,} hash buckets, signed hashing, per-block length
  scaling{scaling}.
- Labels: {", ".join(model.labels)}. {neutral}
- Stored as float16 weights in a NumPy `.npz` archive, read with `allow_pickle=False`;
  inference is pure NumPy (scikit-learn is needed only to train).

## Scores on the development split
| what | score | notes |
|---|---|---|
{ours} the shipped file, float16 weights |
{baseline_row}| published reference (their test sets) | | {source.reference} |

The references are scored on each benchmark's held-out test set, which is not in
`../shared/data`; our figure is on the development split carved from the training file,
so the two are comparable in kind, not identical in data.

## Size and speed
- File size: {result.size_bytes / 1e6:.2f} MB.
- Speed when trained: {result.texts_per_second:,.0f} texts per CPU-second, one at a time,
  one core (development texts; `python -m bench nlp` measures it again).

## Limits
- Trained on tweets or reviews from the last decade; sarcasm, new slang and domain
  words (service names, place names) are often missed. Scores are for routing and
  trends, not for decisions about a person.
"""
    result.path.with_suffix(".md").write_text(card, encoding="utf-8")
