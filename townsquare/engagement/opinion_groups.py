"""Opinion groups: who thinks alike over a set of agree / disagree statements.

Pure Python with NumPy and scikit-learn (no Django), so it runs in a task, a page or a
notebook alike. The method, step by step:

1. **Votes.** Each vote is ``(participant_key, statement_id, vote)`` with vote +1 (agree),
   -1 (disagree) or 0 (pass). Anything else raises ``ValueError`` naming the bad item.
   When a participant voted twice on one statement the **last vote wins** (people may
   change their mind; the caller passes votes oldest first).
2. **Matrix.** One row per participant, one column per statement, in sorted key / id order
   (so the order of the input never changes the result). A participant who voted on fewer
   than ``MIN_VOTES`` statements (fewer than all of them when there are fewer statements)
   is left out: a couple of votes say little about where someone stands.
3. **Missing votes** (statements a participant never saw) are filled with the statement's
   mean vote, then every column is centred, so a missing vote pulls neither way.
4. **PCA to two dimensions** by a singular value decomposition of the centred matrix. Signs
   are fixed (largest loading positive) so the picture does not flip between runs. As in
   Pol.is, a participant's point is scaled by sqrt(statements / statements voted on), so
   people who voted on little are not all drawn into the middle.
5. **k-means** (scikit-learn, ``n_init=10``, ``random_state=seed``) on the 2-D points. When
   ``k`` is None, every k from 2 to 5 is tried and the one with the best silhouette score
   wins. To keep 10,000 participants fast, the centres are fitted on a fixed-seed sample
   of at most 3,000 points (then everyone is assigned to the nearest centre) and the
   silhouette is computed on a sample of at most 2,000. Groups are numbered by size,
   largest first. When everyone voted alike there is one group and no divisive statements.
6. **What each group thinks**: per statement, the share of the group's members who voted
   on it (passes included) that agreed, and that disagreed.
7. **Representative statements** of a group: where it differs most from everyone else, by
   a one-sided two-proportion z-test (z at least 1.645, p < 0.05) on agreeing (or
   disagreeing), with at least ``MIN_SUPPORT`` members of the group on that side and a
   majority of the group's voters. At most ``MAX_REPRESENTATIVE`` per group, the largest
   difference first.
8. **Consensus**: agreed by at least 60 % in every group (or disagreed by at least 60 % in
   every group). **Divisive**: the largest spread of net agreement (agree minus disagree
   share) between groups, at least ``MIN_DIVISIVE_SPREAD``, at most ``MAX_DIVISIVE``.

``enough_data`` is False (with ``reason`` one of the ``REASON_*`` codes) when there are
fewer than two statements or fewer than ``min_participants`` participants with enough
votes; the groups are then empty.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

VALID_VOTES = (-1, 0, 1)
MIN_VOTES = 3
MIN_SUPPORT = 3
MAX_REPRESENTATIVE = 5
MAX_DIVISIVE = 5
MIN_DIVISIVE_SPREAD = 0.3
CONSENSUS_SHARE = 0.6
Z_ONE_SIDED_95 = 1.645
K_RANGE = (2, 5)
SILHOUETTE_SAMPLE = 2000
KMEANS_SAMPLE = 3000

REASON_NO_VOTES = "no_votes"
REASON_TOO_FEW_STATEMENTS = "too_few_statements"
REASON_TOO_FEW_PARTICIPANTS = "too_few_participants"


@dataclass(frozen=True)
class Group:
    label: int
    participants: int
    # statement id -> share (0..1) of the group's voters on it who agreed / disagreed.
    agree: dict[int, float] = field(default_factory=dict)
    disagree: dict[int, float] = field(default_factory=dict)
    representative: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class OpinionAnalysis:
    groups: list[Group]
    consensus: list[int]
    divisive: list[int]
    # participant key -> (x, y), for the participants analysed (not those left out).
    coordinates: dict[str, tuple[float, float]]
    enough_data: bool
    reason: str = ""
    participants_left_out: int = 0
    # participant key -> group label (same participants as ``coordinates``).
    membership: dict[str, int] = field(default_factory=dict)


def _collect(votes: Iterable[tuple[str, int, int]]) -> dict[tuple[str, int], int]:
    latest: dict[tuple[str, int], int] = {}
    for index, item in enumerate(votes):
        try:
            participant, statement, vote = item
        except (TypeError, ValueError) as exc:
            raise ValueError(f"vote {index}: expected (participant, statement, vote), "
                             f"got {item!r}") from exc
        # The common case first: a million votes must not spend seconds in isinstance.
        if type(participant) is str and participant and type(statement) is int \
                and type(vote) is int and vote in VALID_VOTES:
            latest[(participant, statement)] = vote
            continue
        if not isinstance(participant, str) or not participant:
            raise ValueError(f"vote {index}: participant key must be a non-empty string")
        if isinstance(statement, bool) or not isinstance(statement, int | np.integer):
            raise ValueError(f"vote {index}: statement id must be an integer, got "
                             f"{statement!r}")
        if isinstance(vote, bool) or not isinstance(vote, int | np.integer) \
                or vote not in VALID_VOTES:
            raise ValueError(f"vote {index}: vote must be -1, 0 or 1, got {vote!r}")
        latest[(participant, int(statement))] = int(vote)
    return latest


def _empty(reason: str, left_out: int = 0) -> OpinionAnalysis:
    return OpinionAnalysis(groups=[], consensus=[], divisive=[], coordinates={},
                           enough_data=False, reason=reason, participants_left_out=left_out)


def _project(matrix: np.ndarray) -> np.ndarray:
    """2-D PCA of a participant x statement matrix with NaN for missing votes."""
    seen = ~np.isnan(matrix)
    counts = seen.sum(axis=0)
    means = np.divide(np.nansum(matrix, axis=0), counts, out=np.zeros(matrix.shape[1]),
                      where=counts > 0)
    centred = np.where(seen, matrix, means) - means
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    dims = min(2, len(s))
    points = np.zeros((matrix.shape[0], 2))
    for d in range(dims):
        # Fix the sign so the same data always gives the same picture.
        sign = 1.0 if vt[d][np.argmax(np.abs(vt[d]))] >= 0 else -1.0
        points[:, d] = u[:, d] * s[d] * sign
    voted = seen.sum(axis=1)
    points *= np.sqrt(matrix.shape[1] / np.maximum(voted, 1))[:, None]
    return points


def _cluster(points: np.ndarray, k: int | None, seed: int) -> np.ndarray:
    distinct = len(np.unique(np.round(points, 9), axis=0))
    if distinct < 2:
        return np.zeros(len(points), dtype=int)
    if k is not None:
        candidates = [min(k, distinct)]
    else:
        # Silhouette needs fewer groups than points; k can reach the distinct points.
        candidates = list(range(K_RANGE[0], min(K_RANGE[1], distinct, len(points) - 1) + 1)) or [2]
    sample = points
    if len(points) > KMEANS_SAMPLE:
        chosen = np.random.default_rng(seed).choice(len(points), KMEANS_SAMPLE, replace=False)
        sample = points[np.sort(chosen)]
    best: tuple[float, np.ndarray] | None = None
    for n in candidates:
        labels = KMeans(n_clusters=n, n_init=10, random_state=seed).fit(sample).predict(points)
        if len(candidates) == 1:
            return np.asarray(labels)
        if len(set(labels.tolist())) < 2:
            continue
        try:
            score = float(silhouette_score(points, labels, random_state=seed,
                                           sample_size=min(len(points), SILHOUETTE_SAMPLE)))
        except ValueError:  # the sample drew a single group: no score for this k
            continue
        if best is None or score > best[0] + 1e-12:
            best = (score, labels)
    return np.asarray(best[1]) if best else np.zeros(len(points), dtype=int)


def _renumber(labels: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Largest group first; ties by the group's mean position, so labels are stable."""
    keys = []
    for label in sorted(set(labels.tolist())):
        members = points[labels == label]
        keys.append((-len(members), float(members[:, 0].mean()),
                     float(members[:, 1].mean()), label))
    order = {old: new for new, (*_, old) in enumerate(sorted(keys))}
    return np.array([order[int(label)] for label in labels], dtype=int)


def _z(hits_in: float, n_in: float, hits_out: float, n_out: float) -> float:
    """One-sided two-proportion z statistic (in-group share above the rest)."""
    if n_in == 0 or n_out == 0:
        return 0.0
    pooled = (hits_in + hits_out) / (n_in + n_out)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n_in + 1 / n_out))
    if spread == 0:
        return 0.0
    return (hits_in / n_in - hits_out / n_out) / spread


@dataclass(frozen=True)
class _Counts:
    """Per group x statement: how many agreed, disagreed and voted at all."""

    agree: np.ndarray
    disagree: np.ndarray
    voted: np.ndarray

    @classmethod
    def of(cls, matrix: np.ndarray, labels: np.ndarray, n_groups: int) -> _Counts:
        def per_group(mask: np.ndarray) -> np.ndarray:
            return np.array([mask[labels == g].sum(axis=0) for g in range(n_groups)])

        return cls(per_group(matrix == 1), per_group(matrix == -1),
                   per_group(~np.isnan(matrix)))

    def share(self, hits: np.ndarray) -> np.ndarray:
        return np.where(self.voted > 0, hits / np.maximum(self.voted, 1), 0.0)


def _representative(counts: _Counts, g: int, statements: list[int]) -> list[int]:
    scored: list[tuple[float, int]] = []
    for j, statement in enumerate(statements):
        n_in = counts.voted[g, j]
        n_out = counts.voted[:, j].sum() - n_in
        for hits in (counts.agree, counts.disagree):
            h_in, h_out = hits[g, j], hits[:, j].sum() - hits[g, j]
            if h_in < MIN_SUPPORT or h_in * 2 <= n_in:
                continue
            if _z(h_in, n_in, h_out, n_out) >= Z_ONE_SIDED_95:
                scored.append((h_in / n_in - h_out / n_out, statement))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return list(dict.fromkeys(s for _, s in scored))[:MAX_REPRESENTATIVE]


def _consensus_and_divisive(counts: _Counts, statements: list[int],
                            ) -> tuple[list[int], list[int]]:
    agree, disagree = counts.share(counts.agree), counts.share(counts.disagree)
    consensus: list[tuple[float, int]] = []
    divisive: list[tuple[float, int]] = []
    for j, statement in enumerate(statements):
        if not (counts.voted[:, j] > 0).all():
            continue  # a group nobody of which voted on it: no claim either way
        lowest = max(agree[:, j].min(), disagree[:, j].min())
        if lowest >= CONSENSUS_SHARE:
            consensus.append((float(lowest), statement))
        net = agree[:, j] - disagree[:, j]
        spread = float(net.max() - net.min())
        if len(net) > 1 and spread >= MIN_DIVISIVE_SPREAD:
            divisive.append((spread, statement))
    consensus.sort(key=lambda item: (-item[0], item[1]))
    divisive.sort(key=lambda item: (-item[0], item[1]))
    return [s for _, s in consensus], [s for _, s in divisive[:MAX_DIVISIVE]]


def _matrix(latest: dict[tuple[str, int], int], statements: list[int],
            everyone: list[str]) -> np.ndarray:
    column = {s: j for j, s in enumerate(statements)}
    row = {p: i for i, p in enumerate(everyone)}
    matrix = np.full((len(everyone), len(statements)), np.nan)
    for (participant, statement), vote in latest.items():
        matrix[row[participant], column[statement]] = vote
    return matrix


def analyse(votes: Iterable[tuple[str, int, int]], *, min_participants: int = 7,
            k: int | None = None, seed: int = 0) -> OpinionAnalysis:
    """Opinion groups over agree (+1) / disagree (-1) / pass (0) votes; see the module
    docstring for the method. Raises ValueError for malformed votes or arguments."""
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 2):
        raise ValueError("k must be an integer of at least 2, or None to choose it")
    if min_participants < 2:
        raise ValueError("min_participants must be at least 2")
    latest = _collect(votes)
    if not latest:
        return _empty(REASON_NO_VOTES)
    statements = sorted({s for _, s in latest})
    everyone = sorted({p for p, _ in latest})
    if len(statements) < 2:
        return _empty(REASON_TOO_FEW_STATEMENTS)
    matrix = _matrix(latest, statements, everyone)
    enough_votes = (~np.isnan(matrix)).sum(axis=1) >= min(MIN_VOTES, len(statements))
    kept = [p for p, keep in zip(everyone, enough_votes, strict=True) if keep]
    matrix = matrix[enough_votes]
    left_out = len(everyone) - len(kept)
    if len(kept) < min_participants:
        return _empty(REASON_TOO_FEW_PARTICIPANTS, left_out)

    points = _project(matrix)
    labels = _renumber(_cluster(points, k, seed), points)
    n_groups = int(labels.max()) + 1
    counts = _Counts.of(matrix, labels, n_groups)
    agree, disagree = counts.share(counts.agree), counts.share(counts.disagree)
    groups = [
        Group(label=g, participants=int((labels == g).sum()),
              agree={s: float(agree[g, j]) for j, s in enumerate(statements)
                     if counts.voted[g, j]},
              disagree={s: float(disagree[g, j]) for j, s in enumerate(statements)
                        if counts.voted[g, j]},
              representative=_representative(counts, g, statements))
        for g in range(n_groups)]
    consensus, divisive = _consensus_and_divisive(counts, statements)
    return OpinionAnalysis(
        groups=groups, consensus=consensus, divisive=divisive,
        coordinates={p: (float(x), float(y)) for p, (x, y) in zip(kept, points, strict=True)},
        enough_data=True, reason="", participants_left_out=left_out,
        membership={p: int(label) for p, label in zip(kept, labels, strict=True)})
