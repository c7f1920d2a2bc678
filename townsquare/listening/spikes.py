"""Spike detection with a seasonal baseline (pure Python, no Django).

A count is compared with the counts of the same hour of the week in the previous weeks
(Monday 09:00 with the Mondays 09:00 before it), so the daily rhythm and the weekly one
are both in the baseline: the morning rise on a weekday is expected, the same number at
03:00 on a Sunday is not. Median and median absolute deviation rather than mean and
standard deviation, so one past spike does not hide the next. The spread never falls
below the Poisson noise of the expected count (√expected), because with a few weeks of
nearly constant history the MAD is 0 and every extra post would look like a spike; and a
spike needs a minimum volume, because 3 posts instead of 0 is not news.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution × this = its standard deviation


@dataclass(frozen=True)
class Verdict:
    count: int
    expected: float
    spread: float
    score: float  # robust deviations above expected
    spike: bool


def baseline(history: Sequence[int]) -> tuple[float, float]:
    """Expected count and robust spread from the same hour of previous weeks."""
    if not history:
        return 0.0, 1.0
    expected = float(statistics.median(history))
    mad = float(statistics.median(abs(value - expected) for value in history))
    spread = max(MAD_TO_SIGMA * mad, math.sqrt(max(expected, 1.0)))
    return expected, spread


def judge(
    count: int, history: Sequence[int], *, min_count: int = 10, threshold: float = 4.0
) -> Verdict:
    expected, spread = baseline(history)
    score = (count - expected) / spread
    return Verdict(
        count=count, expected=expected, spread=spread, score=score,
        spike=count >= min_count and score >= threshold,
    )
