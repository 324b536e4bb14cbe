"""Per-benchmark metrics from stored records: accuracy / pass@k with 95% CIs, maj@k, status counts,
truncation and extraction-failure rates, breakdowns.

Conventions (fractions 0..1):
- score = mean over items of (correct samples / samples): accuracy for n = 1, the unbiased pass@1
  for n > 1. Every status other than `correct` counts as not correct, and is counted by name.
- ci95: Wilson score interval over items when each item has one sample; with several samples per
  item, a normal interval over per-item scores (samples of one item are not independent trials).
- pass@k: the unbiased estimator (harness.grade.passk) averaged over items, for k in
  1, 5, 10, 50, 100, ... up to the samples per item, and k = n itself.
- maj@k (math, n > 1): per item, the most frequent extracted answer among the first k samples,
  grouped by exact string after whitespace normalisation (no symbolic merging: `1/2` and `0.5` are
  different votes); ties go to the answer seen first; unanswered samples do not vote. The vote
  is correct when the first sample giving that answer was graded correct.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any

from harness.grade.passk import mean_pass_at_k
from harness.types import ExtractStatus, SampleRecord, Status

_K_LADDER = (1, 5, 10, 50, 100, 500, 1000)


def z_value(confidence: float = 0.95) -> float:
    """Two-sided normal quantile (1.959964 for 95%).

    The standard library's quantile agrees with scipy's to 1e-15 and saves importing scipy
    (about a second) in every eval command.
    """
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_ci(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (0, 0) for n = 0."""
    if n == 0:
        return (0.0, 0.0)
    z = z_value(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """Normal interval for a mean of per-item scores, clipped to [0, 1]."""
    m = len(values)
    if m == 0:
        return (0.0, 0.0)
    mu = sum(values) / m
    if m == 1:
        return (mu, mu)
    var = sum((v - mu) ** 2 for v in values) / (m - 1)
    half = z_value(confidence) * math.sqrt(var / m)
    return (max(0.0, mu - half), min(1.0, mu + half))


def ks_for(n: int) -> list[int]:
    """The k values reported for n samples per item."""
    ks = [k for k in _K_LADDER if k <= n]
    if n >= 1 and n not in ks:
        ks.append(n)
    return ks


def group_items(records: Sequence[SampleRecord]) -> dict[str, list[SampleRecord]]:
    """Records per item id, each list ordered by sample index k."""
    items: dict[str, list[SampleRecord]] = defaultdict(list)
    for r in records:
        items[r.item_id].append(r)
    return {i: sorted(rs, key=lambda r: r.k) for i, rs in items.items()}


def _correct(r: SampleRecord) -> bool:
    return r.grade.status == Status.CORRECT


def pass_at_ks(items: Mapping[str, Sequence[SampleRecord]]) -> dict[str, float]:
    """Unbiased pass@k averaged over items, for every k every item has enough samples for."""
    if not items:
        return {}
    counts = [(len(rs), sum(map(_correct, rs))) for rs in items.values()]
    return {str(k): mean_pass_at_k(counts, k) for k in ks_for(min(n for n, _ in counts))}


def normalise_vote(answer: str) -> str:
    """Exact-string vote key: whitespace collapsed, nothing else changed."""
    return " ".join(answer.split())


def majority_correct(records: Sequence[SampleRecord]) -> bool:
    """Whether the majority answer among `records` (ordered by k) was graded correct."""
    first: dict[str, SampleRecord] = {}
    votes: Counter[str] = Counter()
    for r in records:
        if r.extraction.answer is None or r.extraction.status != ExtractStatus.OK:
            continue
        key = normalise_vote(r.extraction.answer)
        first.setdefault(key, r)
        votes[key] += 1
    if not votes:
        return False
    best = max(votes.values())
    winner = next(key for key in first if votes[key] == best)  # dicts keep first-seen order
    return _correct(first[winner])


def maj_at_ks(items: Mapping[str, Sequence[SampleRecord]]) -> dict[str, float] | None:
    """maj@k for k > 1 up to the samples per item; None when items have a single sample."""
    if not items:
        return None
    n_min = min(len(rs) for rs in items.values())
    if n_min < 2:
        return None
    out: dict[str, float] = {}
    for k in ks_for(n_min):
        if k > 1:
            out[str(k)] = sum(majority_correct(rs[:k]) for rs in items.values()) / len(items)
    return out


def breakdown_scores(
    item_scores: Mapping[str, float],
    item_meta: Mapping[str, Mapping[str, Any]],
    fields: Sequence[str],
) -> dict[str, dict[str, dict[str, float | int]]]:
    """{field: {value: {n, score}}} over items that carry the field; values sorted."""
    out: dict[str, dict[str, dict[str, float | int]]] = {}
    for f in fields:
        groups: dict[str, list[float]] = defaultdict(list)
        for item_id, score in item_scores.items():
            value = item_meta.get(item_id, {}).get(f)
            if value is not None:
                groups[str(value)].append(score)
        out[f] = {v: {"n": len(s), "score": sum(s) / len(s)} for v, s in sorted(groups.items())}
    return out


def benchmark_metrics(
    records: Sequence[SampleRecord],
    *,
    version: str,
    kind: str,
    limited: bool,
    item_meta: Mapping[str, Mapping[str, Any]] | None = None,
    breakdown: Sequence[str] = (),
) -> dict[str, Any]:
    """The metrics.json entry of one benchmark (docs/CONTRACTS.md)."""
    items = group_items(records)
    n_samples = len(records)
    item_scores = {i: sum(map(_correct, rs)) / len(rs) for i, rs in items.items()}
    single = all(len(rs) == 1 for rs in items.values())
    if single:
        ci = wilson_ci(sum(1 for s in item_scores.values() if s == 1.0), len(items))
    else:
        ci = mean_ci(list(item_scores.values()))
    statuses = Counter(r.grade.status for r in records)
    return {
        "version": version,
        "kind": kind,
        "n_items": len(items),
        "n_samples": n_samples,
        "limited": limited,
        "primary": "pass@1" if kind == "code" else "accuracy",
        "score": sum(item_scores.values()) / len(items) if items else 0.0,
        "ci95": list(ci),
        "ci_method": "wilson" if single else "normal-over-items",
        "pass_at_k": pass_at_ks(items),
        "maj_at_k": maj_at_ks(items) if kind == "math" else None,
        "status_counts": {str(s): statuses.get(s, 0) for s in Status},
        "truncation_rate": _rate(sum(r.finish_reason == "length" for r in records), n_samples),
        "extraction_failure_rate": _rate(
            sum(r.extraction.status != ExtractStatus.OK for r in records), n_samples
        ),
        "mean_completion_tokens": _rate(sum(r.completion_tokens for r in records), n_samples),
        "breakdown": breakdown_scores(item_scores, item_meta or {}, breakdown),
    }


def _rate(count: float, total: int) -> float:
    return count / total if total else 0.0
