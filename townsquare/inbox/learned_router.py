"""The learned router and topic classifier: hashed n-grams into a multinomial logistic
regression, one per government, stored in the database and run in pure NumPy.

Features are the NLP app's hashed n-grams (``nlp.features``), weighted by TF-IDF and
L2-normalised (on the demo examples this is half again as accurate as raw hashed
values). Only the columns some training example had are stored (a feature no example
had gets no weight), so a router of ten agencies trained on a few thousand messages is
a few hundred kilobytes, not the 10 MB of the full hashed space. scikit-learn is
imported only to fit.

Training examples (``router_examples``): the labelled examples of the government
(``RoutingExample``: the demo's, or a government's own set), and staff re-routing
decisions: for every conversation staff transferred (including out of triage), the text
of its first citizen message and the organisation it was last transferred to. The
topic classifier learns from staff topic corrections.
"""

from __future__ import annotations

import io
import json
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from django.db.models import Q

from townsquare.inbox.models import (
    Direction,
    Message,
    MessageCorrection,
    RoutingExample,
    TrainedClassifier,
    Transfer,
)
from townsquare.nlp.features import FeatureConfig, featurise
from townsquare.organisations.models import Organisation

FORMAT = "townsquare-text-classifier-v1"
# Words for English and Arabic; character 1–3-grams carry Chinese (no segmentation
# needed) and Arabic prefixes (ال، و، ب). Chosen on the demo examples and the sandbox's
# messages: wider n-grams only spread the few examples thinner.
FEATURES = FeatureConfig(n_features=2**18, word_ngrams=(1, 1), char_ngrams=(1, 3))
# Weak regularisation: routing examples are short and few, and a strongly regularised
# model spreads its probability so thin that nothing reaches the threshold. On the
# sandbox's messages (trained on the demo examples only) C=300 sends about a quarter on
# at 0.6, 97 % of them to the right agency.
C = 300.0
MIN_EXAMPLES = 20
MIN_LABELS = 2
HELDOUT_SHARE = 0.2
SEED = 20_261_122
# Transfers read per training: the most recent ones (older habits matter less).
MAX_TRANSFER_EXAMPLES = 50_000
MAX_TEXT_CHARS = 5000
CANDIDATES_SHOWN = 3


class ClassifierError(Exception):
    """Stored weights that are missing, unreadable or not ours."""


class TrainingRefused(Exception):
    """Too few examples to train; the current model stays. The message says why."""

    def __init__(self, message: str, *, examples: int = 0, labels: int = 0) -> None:
        super().__init__(message)
        self.examples = examples
        self.labels = labels


def _counts(indices: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64],
                                                      npt.NDArray[np.float64]]:
    """Distinct feature indices of a text and their sublinear term frequency."""
    distinct, counts = np.unique(indices, return_counts=True)
    return distinct, 1.0 + np.log(counts)


@dataclass(frozen=True)
class TextClassifier:
    """TF-IDF over hashed n-grams (L2-normalised), then a linear model per label."""

    labels: tuple[str, ...]
    columns: npt.NDArray[np.int64]  # sorted hashed-feature indices seen in training
    idf: npt.NDArray[np.float32]  # (len(columns),)
    weights: npt.NDArray[np.float32]  # (len(columns), len(labels))
    bias: npt.NDArray[np.float32]  # (len(labels),)
    config: FeatureConfig

    def __post_init__(self) -> None:
        n = len(self.labels)
        if n < 2 or len(set(self.labels)) != n:
            raise ClassifierError("a classifier needs at least two different labels")
        if (self.weights.shape != (len(self.columns), n) or self.bias.shape != (n,)
                or self.idf.shape != self.columns.shape):
            raise ClassifierError("weights do not match the labels")
        if len(self.columns) and (
            np.any(np.diff(self.columns) <= 0) or self.columns[0] < 0
            or self.columns[-1] >= self.config.n_features
        ):
            raise ClassifierError("feature columns are not sorted indices of the feature space")

    def probabilities(self, text: str) -> npt.NDArray[np.float32]:
        """P(label) for one text, in ``labels`` order."""
        indices, _values = featurise(text[:MAX_TEXT_CHARS], self.config)
        scores = self.bias.astype(np.float64)
        if len(indices) and len(self.columns):
            distinct, tf = _counts(indices)
            where = np.minimum(np.searchsorted(self.columns, distinct), len(self.columns) - 1)
            known = self.columns[where] == distinct
            x = tf[known] * self.idf[where[known]]
            norm = float(np.sqrt(x @ x))
            if norm > 0:
                scores = scores + (x / norm) @ self.weights[where[known]]
        scores -= scores.max()
        exp = np.exp(scores)
        return (exp / exp.sum()).astype(np.float32)

    def ranked(self, text: str) -> list[tuple[str, float]]:
        """(label, probability), most likely first."""
        probs = self.probabilities(text)
        order = np.argsort(-probs, kind="stable")
        return [(self.labels[i], float(probs[i])) for i in order]

    def to_bytes(self) -> bytes:
        meta = {"format": FORMAT, "features": self.config.to_dict()}
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer, columns=self.columns.astype(np.int64), idf=self.idf.astype(np.float32),
            weights=self.weights.astype(np.float32), bias=self.bias.astype(np.float32),
            labels=np.array(self.labels, dtype=np.str_),
            meta=np.array(json.dumps(meta, sort_keys=True)),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> TextClassifier:
        try:
            with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as archive:
                meta = json.loads(str(archive["meta"]))
                columns, idf = archive["columns"], archive["idf"]
                weights, bias = archive["weights"], archive["bias"]
                labels = tuple(str(label) for label in archive["labels"])
        except (OSError, KeyError, ValueError, EOFError, json.JSONDecodeError) as exc:
            raise ClassifierError(f"not a readable classifier: {exc}") from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ClassifierError(f"not a {FORMAT} classifier")
        if (columns.dtype != np.int64 or idf.dtype != np.float32
                or weights.dtype != np.float32 or bias.dtype != np.float32):
            raise ClassifierError("unexpected array types")
        try:
            config = FeatureConfig.from_dict(meta["features"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ClassifierError(f"invalid feature description: {exc}") from exc
        return cls(labels=labels, columns=columns, idf=idf, weights=weights, bias=bias,
                   config=config)


def fit(texts: Sequence[str], labels: Sequence[str], *,
        config: FeatureConfig = FEATURES, c: float = C) -> TextClassifier:
    """A multinomial logistic regression over TF-IDF of hashed features of ``texts``."""
    import scipy.sparse
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    classes = sorted(set(labels))
    if len(classes) < 2:
        raise TrainingRefused("training needs examples of at least two labels",
                              examples=len(texts), labels=len(classes))
    rows = [_counts(featurise(t[:MAX_TEXT_CHARS], config)[0]) for t in texts]
    columns = np.unique(np.concatenate([r[0] for r in rows] or [np.empty(0, np.int64)]))
    offsets = np.cumsum([0, *(len(r[0]) for r in rows)])
    indices = np.searchsorted(columns, np.concatenate([r[0] for r in rows]))
    values = np.concatenate([r[1] for r in rows])
    matrix = scipy.sparse.csr_matrix((values, indices, offsets),
                                     shape=(len(texts), len(columns)))
    df = np.bincount(indices, minlength=len(columns))
    idf = np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0
    matrix = matrix @ scipy.sparse.diags(idf)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    matrix = scipy.sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ matrix
    learner = LogisticRegression(C=c, class_weight="balanced", max_iter=1000)
    # One BLAS thread: on a shared machine the default threads fight and a fit of a few
    # hundred examples takes ten times longer.
    with threadpool_limits(1):
        learner.fit(matrix.tocsr(), list(labels))
    coef = learner.coef_.astype(np.float64)
    intercept = learner.intercept_.astype(np.float64)
    if len(classes) == 2:
        # A binary fit has one weight vector for the second class; the softmax of
        # (-w/2, w/2) equals its logistic output.
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return TextClassifier(
        labels=tuple(str(label) for label in learner.classes_),
        columns=columns.astype(np.int64),
        idf=idf.astype(np.float32),
        weights=coef.T.astype(np.float32),
        bias=intercept.astype(np.float32),
        config=config,
    )


def split_heldout(labels: Sequence[str]) -> tuple[list[int], list[int]]:
    """Indices to train on and to hold out: a fifth of each label (none of a label with a
    single example), the same split for the same examples every time."""
    rng = np.random.default_rng(SEED)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    train: list[int] = []
    heldout: list[int] = []
    for label in sorted(by_label):
        members = by_label[label]
        rng.shuffle(members)
        n_out = int(len(members) * HELDOUT_SHARE) if len(members) >= 5 else int(
            len(members) >= 2)
        heldout += members[:n_out]
        train += members[n_out:]
    return sorted(train), sorted(heldout)


@dataclass(frozen=True)
class Trained:
    classifier: TextClassifier
    example_count: int
    heldout_accuracy: float | None
    label_counts: dict[str, int]


def train(texts: Sequence[str], labels: Sequence[str]) -> Trained:
    """Check there is enough to learn from, measure accuracy on held-out examples with a
    model fitted on the rest, then fit the kept model on every example."""
    counts = Counter(labels)
    if len(counts) < MIN_LABELS or len(texts) < MIN_EXAMPLES:
        raise TrainingRefused(
            f"too few examples to train: {len(texts)} examples of {len(counts)} labels; "
            f"at least {MIN_EXAMPLES} examples of at least {MIN_LABELS} labels are needed",
            examples=len(texts), labels=len(counts),
        )
    train_rows, heldout_rows = split_heldout(labels)
    accuracy = None
    if heldout_rows and len({labels[i] for i in train_rows}) >= 2:
        trial = fit([texts[i] for i in train_rows], [labels[i] for i in train_rows])
        right = sum(trial.ranked(texts[i])[0][0] == labels[i] for i in heldout_rows)
        accuracy = right / len(heldout_rows)
    return Trained(classifier=fit(texts, labels), example_count=len(texts),
                   heldout_accuracy=accuracy, label_counts=dict(sorted(counts.items())))


# --- the government's examples --------------------------------------------------------

def government_of(organisation: Organisation) -> int:
    """The id of the root of ``organisation``'s tree (its government)."""
    return int(organisation.path.strip("/").split("/")[0])


def _routable(government: Organisation) -> Q:
    # The communications office is where triage happens, not a destination to learn.
    return Q(path__startswith=government.path, is_active=True, sees_all_organisations=False)


def router_examples(government: Organisation) -> tuple[list[str], list[str]]:
    """(texts, organisation ids as text) to train the government's router from."""
    routable = set(Organisation.objects.filter(_routable(government))
                   .values_list("pk", flat=True))
    texts: list[str] = []
    labels: list[str] = []
    for text, organisation_id in RoutingExample.objects.filter(
        government=government, organisation_id__in=routable
    ).order_by("pk").values_list("text", "organisation_id"):
        texts.append(text)
        labels.append(str(organisation_id))
    # The last transfer of each conversation is where staff decided it belongs.
    destination: dict[int, int] = {}
    for conversation_id, organisation_id in (
        Transfer.objects.filter(to_organisation__path__startswith=government.path)
        .order_by("-id").values_list("conversation_id", "to_organisation_id")
        [:MAX_TRANSFER_EXAMPLES]
    ):
        destination.setdefault(conversation_id, organisation_id)
    wanted = {c: o for c, o in destination.items() if o in routable}
    first_text: dict[int, str] = {}
    ids = sorted(wanted)
    for start in range(0, len(ids), 1000):
        for conversation_id, text in (
            Message.objects.filter(conversation_id__in=ids[start:start + 1000],
                                   direction=Direction.INBOUND)
            .order_by("conversation_id", "created_at", "id")
            .values_list("conversation_id", "text")
        ):
            first_text.setdefault(conversation_id, text)
    for conversation_id in ids:
        if first_text.get(conversation_id, "").strip():
            texts.append(first_text[conversation_id])
            labels.append(str(wanted[conversation_id]))
    return texts, labels


def topic_examples(government: Organisation, topics: set[str]) -> tuple[list[str], list[str]]:
    """(texts, topic slugs) from staff topic corrections (the latest one of each message)."""
    latest: dict[int, tuple[str, str]] = {}
    for message_id, text, topic in (
        MessageCorrection.objects.filter(
            field=MessageCorrection.Field.TOPIC,
            message__conversation__organisation__path__startswith=government.path,
        ).order_by("id").values_list("message_id", "message__text", "new_value")
    ):
        latest[message_id] = (text, topic)
    pairs = [pair for _, pair in sorted(latest.items()) if pair[1] in topics]
    return [text for text, _ in pairs], [topic for _, topic in pairs]


# --- using the active classifiers -----------------------------------------------------

# (government, kind) → (version, classifier). The version is the row's id and training
# time: an id alone can come back on SQLite after a row is deleted.
_cache: dict[tuple[int, str], tuple[tuple[int, str], TextClassifier]] = {}
_cache_lock = threading.Lock()


def active_classifier(government_id: int, kind: str) -> TextClassifier | None:
    """The government's active classifier of ``kind``, loaded once per process and
    version (one small query to see whether it was retrained)."""
    found = (TrainedClassifier.objects.filter(government_id=government_id, kind=kind,
                                              is_active=True)
             .values_list("pk", "trained_at").first())
    if found is None:
        return None
    version = (found[0], found[1].isoformat())
    cached = _cache.get((government_id, kind))
    if cached is not None and cached[0] == version:
        return cached[1]
    row = TrainedClassifier.objects.filter(pk=found[0]).only("weights").first()
    if row is None:
        return None
    classifier = TextClassifier.from_bytes(row.weights)
    with _cache_lock:
        _cache[(government_id, kind)] = (version, classifier)
    return classifier


@dataclass(frozen=True)
class Suggestion:
    # (organisation, probability), most likely first; never an inactive organisation.
    candidates: tuple[tuple[Organisation, float], ...]

    @property
    def best(self) -> tuple[Organisation, float]:
        return self.candidates[0]

    def as_json(self) -> list[dict[str, float | int]]:
        return [{"organisation": o.pk, "confidence": round(p, 4)}
                for o, p in self.candidates[:CANDIDATES_SHOWN]]


def router_suggest(*, receiving: Organisation, text: str) -> Suggestion | None:
    """What the learned router of the receiving organisation's government says, or None
    when that government has no trained router yet."""
    if not text.strip():
        return None
    classifier = active_classifier(government_of(receiving), TrainedClassifier.Kind.ROUTER)
    if classifier is None:
        return None
    ranked = classifier.ranked(text)
    ids = [int(label) for label, _ in ranked]
    # Deactivated (or moved) since training: never chosen, and not shown either.
    usable = Organisation.objects.in_bulk(
        list(Organisation.objects.filter(pk__in=ids, is_active=True,
                                         sees_all_organisations=False)
             .values_list("pk", flat=True)))
    candidates = tuple((usable[pk], p) for pk, (_, p) in zip(ids, ranked, strict=True)
                       if pk in usable)
    return Suggestion(candidates=candidates) if candidates else None


def topic_suggest(*, organisation: Organisation, text: str) -> tuple[str, float] | None:
    """The learned topic of ``text`` and its probability, or None without a classifier."""
    classifier = active_classifier(government_of(organisation), TrainedClassifier.Kind.TOPICS)
    if classifier is None or not text.strip():
        return None
    return classifier.ranked(text)[0]
