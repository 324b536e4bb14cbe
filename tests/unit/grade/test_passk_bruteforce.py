"""pass@k (harness.grade.passk) against brute-force enumeration of every k-subset of n samples."""

from __future__ import annotations

import itertools

import pytest

from harness.grade.passk import mean_pass_at_k, pass_at_k


def brute_force(n: int, c: int, k: int) -> float:
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(samples[i] for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("n", range(1, 11))
def test_matches_enumeration(n: int):
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(brute_force(n, c, k), abs=1e-12), (n, c, k)


def test_edges_and_errors():
    assert pass_at_k(200, 0, 100) == 0.0
    assert pass_at_k(200, 200, 1) == 1.0
    assert pass_at_k(200, 1, 1) == pytest.approx(1 / 200)
    assert 0.0 < pass_at_k(1000, 3, 10) < 1.0
    assert mean_pass_at_k([(4, 1), (4, 4)], 1) == pytest.approx((0.25 + 1.0) / 2)
    for bad in ((3, 4, 1), (3, 1, 0), (3, 1, 4), (3, -1, 1)):
        with pytest.raises(ValueError):
            pass_at_k(*bad)
