"""Trend detection beyond spikes (pure Python, no Django): emerging terms, sustained
rises in volume and shifts of sentiment.

The caller chooses the windows so that the baseline carries the same season as the
window it is compared with (the same hour of the previous weeks, or of the previous days
for a young query): a term that rises every Monday morning is in every Monday-morning
baseline and does not emerge. The functions only count and test.

- **Emerging terms**: each term's count in the current window against the mean of its
  counts in the baseline windows, on the square-root scale, where a Poisson count has a
  standard deviation of about ½ whatever its mean (Anscombe): ``z = (√count − √expected)
  / spread`` with the spread the larger of ½ and the robust spread (MAD) of the term's
  own √counts, so a term that is always bursty needs a larger burst. A term must also
  have a minimum count and be several times its expected count (with one added to both,
  so a term with no history at all is compared with 1, never divided by 0).
- **Sustained rise**: daily counts are summed over trailing 7-day windows, which holds
  every weekday once, so a weekly pattern, however strong, gives a flat line. A rise is
  a Theil–Sen slope (the median of all pairwise slopes, which one outlying day cannot
  move) that takes the weekly volume up by a minimum share over the period, rises
  steadily (Kendall's τ between day and volume, so a single jump on the last day is a
  spike and not a trend), and ends well above where it began (the last 7 days against
  the first 7, a variance-stabilised test of two Poisson counts).
- **Sentiment shift**: the share of negative posts in the current window against the
  baseline, a two-proportion z-test with minimum sample sizes and a minimum difference
  in percentage points, so 3 negatives out of 4 posts is not a shift.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAD_TO_SIGMA = 1.4826
POISSON_SQRT_SD = 0.5  # standard deviation of √X for a Poisson X (variance stabilising)

# Defaults, also used by the alerts (see README, "Social listening").
TERM_MIN_COUNT = 5
TERM_MIN_RATIO = 3.0
TERM_THRESHOLD = 4.0
TERMS_SHOWN = 10
RISE_DAYS = 28
RISE_MIN_DAYS = 14
RISE_MIN_WEEKLY = 20
RISE_MIN_INCREASE = 0.5
RISE_MIN_TAU = 0.6
RISE_THRESHOLD = 3.0
SHIFT_MIN_POSTS = 20
SHIFT_MIN_POINTS = 0.10
SHIFT_THRESHOLD = 3.0


# --- emerging terms --------------------------------------------------------------------


@dataclass(frozen=True)
class TermRise:
    term: str
    count: int
    expected: float  # mean count in the baseline windows
    score: float  # deviations above expected on the square-root scale
    new: bool  # never seen in any baseline window


def _sqrt_spread(history: Sequence[int]) -> float:
    if len(history) < 2:
        return POISSON_SQRT_SD
    roots = [math.sqrt(max(value, 0)) for value in history]
    centre = statistics.median(roots)
    mad = statistics.median(abs(r - centre) for r in roots)
    return max(POISSON_SQRT_SD, MAD_TO_SIGMA * mad)


def emerging_terms(
    current: Mapping[str, int], baseline: Sequence[Mapping[str, int]], *,
    min_count: int = TERM_MIN_COUNT, min_ratio: float = TERM_MIN_RATIO,
    threshold: float = TERM_THRESHOLD, limit: int = TERMS_SHOWN,
) -> list[TermRise]:
    """Terms of ``current`` well above their own baseline, strongest first.

    ``baseline`` holds one mapping per earlier window of the same length and season.
    Without any baseline window nothing can be said to emerge, so nothing does.
    """
    if not baseline:
        return []
    windows = len(baseline)
    found = []
    for term, count in current.items():
        if count < min_count:
            continue
        history = [int(window.get(term, 0)) for window in baseline]
        expected = sum(history) / windows
        if (count + 1) / (expected + 1) < min_ratio:
            continue
        score = (math.sqrt(count) - math.sqrt(expected)) / _sqrt_spread(history)
        if score >= threshold:
            found.append(TermRise(term=term, count=count, expected=expected, score=score,
                                  new=not any(history)))
    found.sort(key=lambda rise: (-rise.score, -rise.count, rise.term))
    return found[:limit]


# --- sustained rise --------------------------------------------------------------------


@dataclass(frozen=True)
class Rise:
    days: int  # days of counts used
    first_week: int  # posts in the first 7 days of them
    last_week: int  # posts in the last 7 days
    slope: float  # Theil–Sen slope of the 7-day volume, posts per day
    increase: float  # fitted rise of the 7-day volume over the period, share of its start
    tau: float  # Kendall's τ of the 7-day volume against time
    score: float  # last week against the first, Poisson deviations
    rising: bool


def theil_sen(values: Sequence[float]) -> tuple[float, float]:
    """Slope and intercept (at index 0) of the median line through ``values``."""
    n = len(values)
    if n < 2:
        return 0.0, float(values[0]) if values else 0.0
    slopes = [(values[j] - values[i]) / (j - i) for i in range(n) for j in range(i + 1, n)]
    slope = float(statistics.median(slopes))
    intercept = float(statistics.median(v - slope * i for i, v in enumerate(values)))
    return slope, intercept


def kendall_tau(values: Sequence[float]) -> float:
    """τ-a between position and value: +1 always rising, −1 always falling, 0 flat."""
    n = len(values)
    if n < 2:
        return 0.0
    concordant = sum(
        (values[j] > values[i]) - (values[j] < values[i])
        for i in range(n) for j in range(i + 1, n)
    )
    return concordant / (n * (n - 1) / 2)


def two_poisson_score(later: int, earlier: int) -> float:
    """Deviations by which ``later`` exceeds ``earlier`` if both were the same rate."""
    return (math.sqrt(later) - math.sqrt(earlier)) / (POISSON_SQRT_SD * math.sqrt(2))


def sustained_rise(
    daily: Sequence[int], *, min_days: int = RISE_MIN_DAYS, min_weekly: int = RISE_MIN_WEEKLY,
    min_increase: float = RISE_MIN_INCREASE, min_tau: float = RISE_MIN_TAU,
    threshold: float = RISE_THRESHOLD,
) -> Rise:
    """Is the volume trending up over ``daily`` (counts per day, oldest first)?

    Fewer than ``min_days`` days (two weeks by default) never make a rise: the first
    and last week must not overlap.
    """
    counts = [max(int(c), 0) for c in daily]
    days = len(counts)
    if days < max(min_days, 7):
        week = sum(counts[-7:])
        return Rise(days=days, first_week=week, last_week=week, slope=0.0, increase=0.0,
                    tau=0.0, score=0.0, rising=False)
    weekly = [sum(counts[i - 7:i]) for i in range(7, days + 1)]
    slope, intercept = theil_sen(weekly)
    start = intercept
    end = intercept + slope * (len(weekly) - 1)
    # A start at or below zero with volume at the end is as large an increase as can be.
    increase = (end - start) / start if start > 0 else (math.inf if end > 0 else 0.0)
    tau = kendall_tau(weekly)
    first, last = weekly[0], weekly[-1]
    score = two_poisson_score(last, first)
    rising = (slope > 0 and last >= min_weekly and increase >= min_increase
              and tau >= min_tau and score >= threshold)
    return Rise(days=days, first_week=first, last_week=last, slope=slope,
                increase=increase, tau=tau, score=score, rising=rising)


# --- sentiment shift -------------------------------------------------------------------


@dataclass(frozen=True)
class Shift:
    negative: int
    total: int
    baseline_negative: int
    baseline_total: int
    score: float  # two-proportion z
    shifted: bool

    @property
    def share(self) -> float:
        return self.negative / self.total if self.total else 0.0

    @property
    def baseline_share(self) -> float:
        return self.baseline_negative / self.baseline_total if self.baseline_total else 0.0


def two_proportion_z(x1: int, n1: int, x0: int, n0: int) -> float:
    """z of share x1/n1 above share x0/n0 (pooled); 0 when either sample is empty or
    the pooled share is 0 or 1 (both shares then equal)."""
    if n1 <= 0 or n0 <= 0:
        return 0.0
    pooled = (x1 + x0) / (n1 + n0)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n0)
    if variance <= 0:
        return 0.0
    return (x1 / n1 - x0 / n0) / math.sqrt(variance)


def sentiment_shift(
    negative: int, total: int, baseline_negative: int, baseline_total: int, *,
    min_posts: int = SHIFT_MIN_POSTS, min_points: float = SHIFT_MIN_POINTS,
    threshold: float = SHIFT_THRESHOLD,
) -> Shift:
    """Has the share of negative posts risen? Counts are of posts with a sentiment."""
    negative, total = max(int(negative), 0), max(int(total), 0)
    baseline_negative, baseline_total = max(int(baseline_negative), 0), max(
        int(baseline_total), 0)
    negative, baseline_negative = min(negative, total), min(baseline_negative, baseline_total)
    score = two_proportion_z(negative, total, baseline_negative, baseline_total)
    shift = Shift(negative=negative, total=total, baseline_negative=baseline_negative,
                  baseline_total=baseline_total, score=score, shifted=False)
    shifted = (total >= min_posts and baseline_total >= min_posts and score >= threshold
               and shift.share - shift.baseline_share >= min_points)
    return Shift(negative=negative, total=total, baseline_negative=baseline_negative,
                 baseline_total=baseline_total, score=score, shifted=shifted)
