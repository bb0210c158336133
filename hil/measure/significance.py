"""Significance tests for history verdicts, in pure Python (no numpy: `hil compare`/`trend` start fast).

- `mann_whitney_u`: two-sided Mann-Whitney U test of two independent samples. Exact distribution when both
  samples are small (<= EXACT_MAX each) and have no ties; otherwise the normal approximation with the tie
  correction of the variance and a continuity correction of 0.5 (the same choices as scipy's
  `mannwhitneyu(..., method="auto")` for these sizes).
- `two_proportions`: the pooled two-proportion z-test, two-sided (frame accuracy of two results).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

EXACT_MAX = 20


@dataclass(frozen=True)
class UTest:
    u: float  # U of the first sample: the number of pairs (x, y) with x > y, ties counting one half
    p_value: float
    method: str  # "exact" or "normal"


def _ranks(values: Sequence[float]) -> tuple[list[float], list[int]]:
    """Mid-ranks (1-based) of `values` in their given order, and the sizes of the groups of ties."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    ties: list[int] = []
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        mid = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            ranks[order[k]] = mid
        if j > i:
            ties.append(j - i + 1)
        i = j + 1
    return ranks, ties


@lru_cache(maxsize=256)
def _u_counts(n1: int, n2: int) -> tuple[int, ...]:
    """How many of the C(n1+n2, n1) orderings give each U = 0..n1*n2 (no ties)."""
    # f(i, j)[u] = f(i-1, j)[u-j] + f(i, j-1)[u]: the largest value belongs to x (adding j to U) or to y.
    prev_row: list[list[int]] = [[1] for _ in range(n2 + 1)]  # i = 0: only U = 0
    for i in range(1, n1 + 1):
        row: list[list[int]] = [[1]]  # j = 0: only U = 0
        for j in range(1, n2 + 1):
            size = i * j + 1
            counts = [0] * size
            for u, c in enumerate(prev_row[j]):
                counts[u + j] += c
            for u, c in enumerate(row[j - 1]):
                counts[u] += c
            row.append(counts)
        prev_row = row
    return tuple(prev_row[n2])


def mann_whitney_u(x: Sequence[float], y: Sequence[float], method: str = "auto") -> UTest:
    """Two-sided Mann-Whitney U test: do x and y come from the same distribution?

    `method`: "auto" (exact when small and untied), "exact" or "normal".
    """
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        raise ValueError("Mann-Whitney U needs at least one value on each side")
    ranks, ties = _ranks([*x, *y])
    u1 = sum(ranks[:n1]) - n1 * (n1 + 1) / 2.0
    small = not ties and n1 <= EXACT_MAX and n2 <= EXACT_MAX
    if method == "exact" and ties:
        raise ValueError("the exact Mann-Whitney distribution assumes no ties")
    if method == "exact" or (method == "auto" and small):
        counts = _u_counts(n1, n2)
        total = sum(counts)
        u = round(u1)
        low = sum(counts[: u + 1]) / total
        high = sum(counts[u:]) / total
        return UTest(u1, min(1.0, 2.0 * min(low, high)), "exact")
    n = n1 + n2
    mean = n1 * n2 / 2.0
    tie_term = sum(t**3 - t for t in ties) / (n * (n - 1)) if n > 1 else 0.0
    variance = n1 * n2 / 12.0 * ((n + 1) - tie_term)
    if variance <= 0:  # every value equal: no evidence of a difference
        return UTest(u1, 1.0, "normal")
    z = max(0.0, abs(u1 - mean) - 0.5) / math.sqrt(variance)
    return UTest(u1, min(1.0, math.erfc(z / math.sqrt(2.0))), "normal")


def two_proportions(hits1: int, n1: int, hits2: int, n2: int) -> float:
    """Two-sided p-value of the pooled z-test that hits1/n1 and hits2/n2 are the same proportion."""
    if n1 <= 0 or n2 <= 0:
        raise ValueError("a proportion needs at least one trial on each side")
    pooled = (hits1 + hits2) / (n1 + n2)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    if se == 0:
        return 1.0
    z = abs(hits1 / n1 - hits2 / n2) / se
    return min(1.0, math.erfc(z / math.sqrt(2.0)))


def median(values: Sequence[float]) -> float:
    """The middle value (mean of the two middle ones for an even count)."""
    if not values:
        raise ValueError("median of nothing")
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0
