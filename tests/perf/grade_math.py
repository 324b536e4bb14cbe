"""Throughput of our math grader vs math-verify on the 5000 MATH golds x 3 candidates (same pairs, same run).

Candidates per gold: the gold inside a model sentence (expected correct), an equivalent rewrite
(expected correct), a near miss (last digit changed, expected incorrect). Ours: extraction plus
`MathChecker.check_many` with 2 workers. math-verify: `verify(parse(gold), parse(pred))` in a
pebble ProcessPool with 2 workers (chunks of 20, math-verify's own timeouts disabled, a 30 s
timeout per chunk). Prints items/s for both, the ratio, accuracy against the expected labels,
and the pairs where the two disagree.

Run: .venv/bin/python tests/perf/grade_math.py [--limit N]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def rewrite(gold: str) -> str:
    """An equivalent spelling of the gold where one is easy to make."""
    g = gold.strip()
    if re.fullmatch(r"-?\d+", g):
        return f"{g}.0"
    m = re.fullmatch(r"(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}", g)
    if m:
        return f"{m.group(1)}{m.group(2)}/{m.group(3)}"
    if "\\frac" in g:
        return g.replace("\\frac", "\\dfrac")
    if "," in g:
        return g.replace(",", ", ")
    if "=" not in g and "\\cup" not in g:
        return f"\\left( {g} \\right)"
    return f" {g} "


def near_miss(gold: str) -> str:
    """The gold with its last digit changed (or `+1` appended when it has none)."""
    digits = [m.start() for m in re.finditer(r"\d", gold)]
    if not digits:
        return gold + "+1"
    k = digits[-1]
    return gold[:k] + str((int(gold[k]) + 1) % 10) + gold[k + 1 :]


def mv_job(pair: tuple[str, str]) -> bool | None:
    from math_verify import parse, verify

    gold, pred = pair
    try:
        return bool(verify(parse(f"\\boxed{{{gold}}}", parsing_timeout=None),
                           parse(pred, parsing_timeout=None), timeout_seconds=None))
    except Exception:
        return None


def main() -> int:
    import logging

    logging.disable(logging.WARNING)  # math-verify warns once per call that its own timeouts are off
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    import importlib

    from pebble import ProcessPool

    from harness.config import MathGradeConfig
    from harness.data import load_benchmark
    from harness.extract.math import extract_math
    from harness.grade.math_compare import Hints
    from harness.grade.math_equiv import EquivItem, MathChecker

    data_dir = os.environ.get("HARNESS_DATA_DIR", str(ROOT.parent / "shared" / "data"))
    bench = importlib.import_module("benchmarks.math").BENCHMARK
    samples = load_benchmark(bench, data_dir).samples[: args.limit]
    cases = []  # (gold, sentence-or-answer, expected, kind)
    for s in samples:
        cases.append((s.gold, f"Putting it together, the answer is $\\boxed{{{s.gold}}}$.", True, "sentence"))
        cases.append((s.gold, f"$\\boxed{{{rewrite(s.gold)}}}$", True, "rewrite"))
        cases.append((s.gold, f"$\\boxed{{{near_miss(s.gold)}}}$", False, "near_miss"))

    config = MathGradeConfig(workers=2, timeout_s=5.0)
    with MathChecker(config) as checker:
        checker.check("x+1", "1+x")  # start and warm the pool outside the timing
        start = time.perf_counter()
        items = [EquivItem(g, extract_math(out).answer or "", Hints()) for g, out, _, _ in cases]
        ours = [r.equal for r in checker.check_many(items)]
        ours_s = time.perf_counter() - start
        info = checker.describe()

    with ProcessPool(max_workers=2) as pool:
        pool.map(mv_job, [("1", "$1$")] * 4).result()
        start = time.perf_counter()
        future = pool.map(mv_job, [(g, out) for g, out, _, _ in cases], chunksize=20, timeout=30)
        theirs = []
        it = future.result()
        while True:
            try:
                theirs.append(next(it))
            except StopIteration:
                break
            except Exception:
                theirs.append(None)
        mv_s = time.perf_counter() - start

    n = len(cases)
    ours_rate, mv_rate = n / ours_s, n / mv_s
    print(f"pairs: {n} ({len(samples)} MATH golds x 3)")
    print(f"ours:        {ours_rate:8.1f} items/s  ({ours_s:.1f} s; 2 workers)")
    print(f"  counts {info['counts']}; pool {info.get('pool')}")
    print(f"math-verify: {mv_rate:8.1f} items/s  ({mv_s:.1f} s; pebble, 2 workers, in-pool parse+verify)")
    print(f"ratio ours/math-verify: {ours_rate / mv_rate:.2f}x")
    for name, verdicts in (("ours", ours), ("math-verify", theirs)):
        by_kind: dict[str, list[int]] = {}
        for (_, _, expected, kind), v in zip(cases, verdicts, strict=True):
            by_kind.setdefault(kind, [0, 0])[0] += v == expected
            by_kind[kind][1] += 1
        print(f"agreement with expected labels, {name}: " + ", ".join(f"{k} {a}/{t}" for k, (a, t) in by_kind.items()))
    wrong = [(c, o) for c, o in zip(cases, ours, strict=True) if o != c[2]]
    print(f"ours vs expected labels: {len(wrong)} wrong")
    for (gold, out, expected, kind), o in wrong[:20]:
        print(f"  [{kind}] expected={expected} ours={o} gold={gold!r} pred={out[-80:]!r}")
    max_job = float((info.get("pool") or {}).get("max_job_s", 0.0))
    budget_ok = max_job <= config.timeout_s + 1.0
    verdict = "ok" if budget_ok else "OVER"
    print(f"slowest symbolic item: {max_job:.2f} s (budget {config.timeout_s:g} s + 1 s: {verdict})")
    disagree = [(c, o, t) for c, o, t in zip(cases, ours, theirs, strict=True) if o != t]
    print(f"disagreements: {len(disagree)}")
    for (gold, out, expected, kind), o, t in disagree[:40]:
        print(f"  [{kind}] expected={expected} ours={o} mv={t} gold={gold!r} pred={out[-80:]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
