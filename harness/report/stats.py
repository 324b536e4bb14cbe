"""Paired statistics for comparing two checkpoints on the same items (scipy, seeded, recorded).

Why paired: both runs answer the same items, so the item-to-item variance cancels. With 30 AIME
items one item is 3.3 points and an unpaired z-test (lm-eval's) cannot tell noise from change.

- n = 1 sample per item: exact McNemar, i.e. a two-sided binomial test (`scipy.stats.binomtest`)
  on the discordant pairs (solved by one run only), p = 0.5 under no change.
- n > 1 samples per item: a paired sign-flip permutation test on the per-item differences of mean
  correctness (`scipy.stats.permutation_test`, permutation_type="samples"). Chosen over Wilcoxon
  signed-rank because per-item means take a handful of values with many ties and exact zeros,
  where Wilcoxon's tie-corrected normal approximation is unreliable and its null is about ranks,
  not about the accuracy difference we report. The permutation test needs no distributional
  assumption, tests the mean difference itself, is exact when 2^m <= n_resamples (m = items that
  differ), and for 0/1 data is the same sign test McNemar is.
- The 95% CI of the difference is a paired bootstrap over items (resampling items, both runs
  together), seeded; the seed and resample count are returned so a result can be reproduced.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from harness.types import SampleRecord, Status

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class StatsConfig:
    """Knobs of the paired statistics; all of them are echoed into every comparison result."""

    alpha: float = 0.05
    ci_level: float = 0.95
    n_boot: int = 10_000
    n_perm: int = 10_000
    seed: int = 0


@dataclass(frozen=True)
class PairedResult:
    """A paired test of NEW against BASE over shared items. Differences are NEW - BASE, as fractions."""

    test: str
    n_items: int
    base_score: float
    new_score: float
    delta: float
    ci: tuple[float, float]
    ci_level: float
    p_value: float
    n_boot: int
    seed: int


def per_item_scores(records: Iterable[SampleRecord]) -> tuple[dict[str, float], int]:
    """Mean correctness of each item over its samples, and the largest number of samples per item."""
    hits: dict[str, list[float]] = defaultdict(list)
    for rec in records:
        hits[rec.item_id].append(1.0 if rec.grade.status == Status.CORRECT else 0.0)
    n_max = max((len(v) for v in hits.values()), default=0)
    return {item: float(np.mean(v)) for item, v in hits.items()}, n_max


def mcnemar_exact(base: ArrayLike, new: ArrayLike) -> float:
    """Two-sided exact McNemar p-value for paired 0/1 outcomes (binomial test on discordant pairs)."""
    b = np.asarray(base) > 0.5
    n = np.asarray(new) > 0.5
    gained = int(np.sum(~b & n))
    lost = int(np.sum(b & ~n))
    if gained + lost == 0:
        return 1.0
    return float(stats.binomtest(gained, gained + lost, 0.5, alternative="two-sided").pvalue)


def paired_permutation_p(diffs: FloatArray, n_resamples: int, rng: np.random.Generator) -> float:
    """Two-sided sign-flip permutation p-value for a zero mean of paired differences."""
    nonzero = diffs[diffs != 0]
    if nonzero.size == 0:
        return 1.0
    # Zero differences are unchanged by a sign flip: dropping them changes no permutation statistic,
    # and keeps the exact enumeration (2^m) affordable for longer.
    res = stats.permutation_test(
        (nonzero,),
        statistic=lambda x, axis: np.mean(x, axis=axis),
        permutation_type="samples",
        n_resamples=n_resamples,
        alternative="two-sided",
        rng=rng,
    )
    return float(min(1.0, res.pvalue))


def paired_bootstrap_ci(
    diffs: FloatArray, n_boot: int, level: float, rng: np.random.Generator
) -> tuple[float, float]:
    """Percentile CI of the mean paired difference, resampling items with replacement.

    Resampling n items from the distinct difference values with their frequencies (a multinomial)
    is the same distribution as resampling item indices, at a cost independent of n.
    """
    n = diffs.size
    if n == 0:
        return (0.0, 0.0)
    values, counts = np.unique(diffs, return_counts=True)
    draws = rng.multinomial(n, counts / n, size=n_boot)
    means = draws @ values / n
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [tail, 1.0 - tail])
    return (float(lo), float(hi))


def paired_test(
    base: Sequence[float], new: Sequence[float], single_sample: bool, cfg: StatsConfig
) -> PairedResult:
    """Compare per-item scores of two runs on the same items (aligned sequences)."""
    a = np.asarray(base, dtype=np.float64)
    b = np.asarray(new, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError("paired_test needs aligned per-item scores of equal length")
    diffs = b - a
    rng = np.random.default_rng(cfg.seed)
    ci = paired_bootstrap_ci(diffs, cfg.n_boot, cfg.ci_level, rng)
    if single_sample:
        test, p = "mcnemar-exact", mcnemar_exact(a, b)
    else:
        test, p = "paired-permutation", paired_permutation_p(diffs, cfg.n_perm, rng)
    return PairedResult(
        test=test,
        n_items=int(a.size),
        base_score=float(a.mean()) if a.size else 0.0,
        new_score=float(b.mean()) if b.size else 0.0,
        delta=float(diffs.mean()) if diffs.size else 0.0,
        ci=ci,
        ci_level=cfg.ci_level,
        p_value=p,
        n_boot=cfg.n_boot,
        seed=cfg.seed,
    )

