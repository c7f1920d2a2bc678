"""Pearson's chi-square test of independence, without scipy.

The p-value is the upper regularised incomplete gamma function Q(df/2, x/2), computed by
its series below a + 1 and by a continued fraction above (Numerical Recipes, 6.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_ITERATIONS = 500
_EPSILON = 1e-14
_TINY = 1e-300


def _lower_series(a: float, x: float) -> float:
    term = total = 1.0 / a
    n = a
    for _ in range(_ITERATIONS):
        n += 1
        term *= x / n
        total += term
        if abs(term) < abs(total) * _EPSILON:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _upper_fraction(a: float, x: float) -> float:
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _ITERATIONS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPSILON:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def gamma_q(a: float, x: float) -> float:
    """Upper regularised incomplete gamma Q(a, x) for a > 0, x >= 0."""
    if a <= 0:
        raise ValueError("a must be positive")
    if x <= 0:
        return 1.0
    if x < a + 1.0:
        return max(0.0, min(1.0, 1.0 - _lower_series(a, x)))
    return max(0.0, min(1.0, _upper_fraction(a, x)))


@dataclass(frozen=True)
class ChiSquare:
    statistic: float
    degrees_of_freedom: int
    p_value: float
    # Share of cells whose expected count is under 5 (the test is unreliable above 20%).
    low_expected_share: float


def chi_square(table: list[list[int]]) -> ChiSquare | None:
    """The test over a table of counts; None when it has fewer than 2 non-empty rows or
    columns (nothing to compare)."""
    rows = [row for row in table if sum(row)]
    if not rows:
        return None
    columns = [j for j in range(len(rows[0])) if sum(row[j] for row in rows)]
    rows = [[row[j] for j in columns] for row in rows]
    if len(rows) < 2 or len(columns) < 2:
        return None
    row_totals = [sum(row) for row in rows]
    column_totals = [sum(row[j] for row in rows) for j in range(len(columns))]
    total = sum(row_totals)
    statistic = 0.0
    low = 0
    for i, row in enumerate(rows):
        for j, observed in enumerate(row):
            expected = row_totals[i] * column_totals[j] / total
            low += expected < 5
            statistic += (observed - expected) ** 2 / expected
    df = (len(rows) - 1) * (len(columns) - 1)
    return ChiSquare(statistic, df, gamma_q(df / 2, statistic / 2),
                     low / (len(rows) * len(columns)))
