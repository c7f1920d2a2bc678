"""Small-cell suppression for cross-tabs, so no respondent can be singled out.

A cell counting 1 to k-1 people is hidden (primary suppression). Row and column totals
are shown, so a row or column with exactly one hidden cell would give it away by
subtraction: the smallest other visible non-zero cell of that row or column is hidden too
(complementary suppression), repeated until no line has exactly one hidden cell. A whole
row is hidden when its total is under k. Empty cells (0) reveal no one and stay visible,
except when picked as the only possible complement.
"""

from __future__ import annotations


def suppress(table: list[list[int]], k: int, row_totals: list[int] | None = None,
             ) -> list[list[bool]]:
    """For each cell, whether it must be hidden. ``row_totals`` are the people per row when
    a person may count in several cells (multiple choice); by default the row sums."""
    hidden = [[0 < count < k for count in row] for row in table]
    totals = row_totals if row_totals is not None else [sum(row) for row in table]
    for i, row in enumerate(table):
        if 0 < totals[i] < k:
            hidden[i] = [True] * len(row)
    width = len(table[0]) if table else 0
    changed = True
    while changed:
        changed = False
        lines = [[(i, j) for j in range(width)] for i in range(len(table))]
        lines += [[(i, j) for i in range(len(table))] for j in range(width)]
        for line in lines:
            hidden_cells = [cell for cell in line if hidden[cell[0]][cell[1]]]
            if len(hidden_cells) != 1:
                continue
            candidates = [cell for cell in line if not hidden[cell[0]][cell[1]]]
            if not candidates:
                continue
            # Prefer the smallest non-zero cell: it loses the least information.
            candidates.sort(key=lambda c: (table[c[0]][c[1]] == 0, table[c[0]][c[1]]))
            i, j = candidates[0]
            hidden[i][j] = True
            changed = True
    return hidden
