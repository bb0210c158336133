"""Mann-Whitney U and the two-proportion test against hand-computed and published reference values."""

from __future__ import annotations

import math
import random

import pytest

from hil.measure.significance import _ranks, mann_whitney_u, median, two_proportions

# scipy.stats.mannwhitneyu documentation example (Mann & Whitney 1947, males vs females).
MALES = [19, 22, 16, 29, 24]
FEMALES = [20, 11, 17, 12]


def test_exact_matches_the_published_example() -> None:
    result = mann_whitney_u(MALES, FEMALES)
    assert result.method == "exact"
    assert result.u == 17.0
    assert result.p_value == pytest.approx(0.1111111111111111, abs=1e-12)  # scipy: 0.1111...


def test_normal_approximation_matches_the_published_example() -> None:
    result = mann_whitney_u(MALES, FEMALES, method="normal")
    assert result.p_value == pytest.approx(0.11134688653314041, rel=1e-9)  # scipy method="asymptotic"


def test_exact_by_hand_complete_separation() -> None:
    # U = 0: only 1 of C(6, 3) = 20 orderings is as extreme on each side -> p = 2/20.
    assert mann_whitney_u([1, 2, 3], [4, 5, 6]).p_value == pytest.approx(0.1)
    # 5 vs 5: 2 / C(10, 5) = 2/252.
    assert mann_whitney_u([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).p_value == pytest.approx(2 / 252)
    # U is symmetric: swapping sides gives U' = n1*n2 - U and the same p.
    swapped = mann_whitney_u([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])
    assert swapped.u == 25 and swapped.p_value == pytest.approx(2 / 252)


def test_ties_use_mid_ranks_and_the_tie_corrected_variance() -> None:
    ranks, ties = _ranks([1.0, 2.0, 2.0, 3.0])
    assert ranks == [1.0, 2.5, 2.5, 4.0] and ties == [2]
    # By hand: x=[1,2,2], y=[2,3,3]. Ranks 1, 2.5, 2.5 | 2.5, 5.5, 5.5 -> R1 = 6, U1 = 0 ... with ties at 2
    # (three values, ranks 2-4 -> 3) and 3 (two values, ranks 5-6 -> 5.5): R1 = 1 + 3 + 3 = 7, U1 = 1.
    # n = 6, mean U = 4.5, var = 9/12 * (7 - (24 + 6) / 30) = 0.75 * 6 = 4.5
    # z = (|1 - 4.5| - 0.5) / sqrt(4.5) = 1.41421..., p = erfc(z / sqrt 2) = erfc(1) = 0.157299...
    result = mann_whitney_u([1, 2, 2], [2, 3, 3])
    assert result.method == "normal" and result.u == 1.0
    assert result.p_value == pytest.approx(math.erfc(1.0), rel=1e-12)


def test_identical_samples_and_empty_input() -> None:
    assert mann_whitney_u([5.0] * 10, [5.0] * 12).p_value == 1.0
    with pytest.raises(ValueError):
        mann_whitney_u([], [1.0])
    with pytest.raises(ValueError, match="ties"):
        mann_whitney_u([1, 1], [2, 3], method="exact")


def test_large_shift_is_significant_and_no_shift_mostly_is_not() -> None:
    rng = random.Random(7)
    a = [rng.gauss(10, 1) for _ in range(300)]
    assert mann_whitney_u(a, [rng.gauss(11, 1) for _ in range(100)]).p_value < 1e-6
    false = sum(
        mann_whitney_u([rng.gauss(10, 1) for _ in range(50)], [rng.gauss(10, 1) for _ in range(50)]).p_value
        < 0.05
        for _ in range(200)
    )
    assert false < 25  # ~5 % expected under the null


def test_two_proportions_by_hand() -> None:
    # 45/50 vs 35/50: pooled 0.8, se = sqrt(0.16 * 0.04) = 0.08, z = 2.5, p = erfc(2.5 / sqrt 2) = 0.012419...
    assert two_proportions(45, 50, 35, 50) == pytest.approx(0.0124193306515523, rel=1e-9)
    assert two_proportions(10, 10, 20, 20) == 1.0  # no variance: no evidence
    with pytest.raises(ValueError):
        two_proportions(1, 0, 1, 1)


def test_median() -> None:
    assert median([3, 1, 2]) == 2 and median([4, 1, 3, 2]) == 2.5
