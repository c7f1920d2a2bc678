"""Opinion groups at consultation scale: 10,000 participants x 200 statements.

Participants belong to four planted camps and vote on about half the statements (about
a million votes, with noise and passes). The figure is the time of one ``analyse`` call
(wall and CPU: the machine may be shared), with the plain NumPy SVD of the filled matrix
as the baseline, and the adjusted Rand index of the groups found against the camps.
"""

from __future__ import annotations

import os
import time

import numpy as np
from sklearn.metrics import adjusted_rand_score

from townsquare.engagement.opinion_groups import analyse

PARTICIPANTS = int(os.environ.get("BENCH_OPINION_PARTICIPANTS", "10000"))
STATEMENTS = 200
CAMPS = 4


def _votes(rng: np.random.Generator) -> tuple[list[tuple[str, int, int]], dict[str, int]]:
    leaning = rng.choice([-1, 1], size=(CAMPS, STATEMENTS))
    votes: list[tuple[str, int, int]] = []
    truth = {}
    for person in range(PARTICIPANTS):
        camp = person % CAMPS
        key = f"p{person}"
        truth[key] = camp
        seen = np.nonzero(rng.random(STATEMENTS) < 0.5)[0]
        noise = rng.random(len(seen))
        random_votes = rng.integers(-1, 2, len(seen))
        for statement, n, r in zip(seen.tolist(), noise.tolist(), random_votes.tolist(),
                                   strict=True):
            votes.append((key, statement, int(leaning[camp, statement]) if n > 0.25 else r))
    return votes, truth


def run() -> None:
    votes, truth = _votes(np.random.default_rng(0))
    print(f"{PARTICIPANTS:,} participants x {STATEMENTS} statements, {len(votes):,} votes")
    wall, cpu = time.perf_counter(), time.process_time()
    result = analyse(votes)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    people = sorted(result.membership)
    ari = adjusted_rand_score([truth[p] for p in people],
                              [result.membership[p] for p in people])
    matrix = np.zeros((PARTICIPANTS, STATEMENTS))
    base_wall, base_cpu = time.perf_counter(), time.process_time()
    np.linalg.svd(matrix - matrix.mean(axis=0), full_matrices=False)
    base_wall, base_cpu = time.perf_counter() - base_wall, time.process_time() - base_cpu
    print(f"analyse: {wall:.2f} s wall, {cpu:.2f} s CPU; {len(result.groups)} groups "
          f"(sizes {[g.participants for g in result.groups]}), adjusted Rand index {ari:.3f}")
    print(f"baseline, NumPy SVD of the same-sized matrix alone: {base_wall:.2f} s wall, "
          f"{base_cpu:.2f} s CPU (ratio {cpu / max(base_cpu, 1e-9):.1f}x CPU)")
