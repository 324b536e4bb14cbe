"""`synth scale-up RECIPE`: run the loop and print its summary table, outputs and verdict."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from harness.store.reader import Run


def summary_table(sizes: Sequence[int], runs: Sequence[Run], comparisons: Sequence[dict[str, Any]]) -> str:
    """One line per point: each benchmark's score with its CI, and the verdict against the point before."""
    names = list(runs[0].benchmarks)
    head = f"{'size':>9s}  " + "  ".join(f"{n:>26s}" for n in names)
    lines = [head, "-" * len(head)]
    for size, run, comp in zip(sizes, runs, comparisons, strict=True):
        cells = []
        for n in names:
            m = run.bench_metrics(n) or {}
            lo, hi = m.get("ci95") or (0.0, 0.0)
            verdict = (comp.get("vs_previous") or {}).get(n, {}).get("verdict", "")
            mark = {"better": " ↑", "worse": " ↓", "no significant change": " ="}.get(verdict, "  ")
            cells.append(f"{100 * m.get('score', 0.0):5.1f} [{100 * lo:5.1f},{100 * hi:5.1f}]{mark:>2s}".rjust(26))
        lines.append(f"{'base' if size == 0 else size:>9}  " + "  ".join(cells))
    lines.append("↑/↓: significantly better/worse than the point before (paired test); =: no significant change")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from synth.executors import make_executor
    from synth.scaleup.config import load_scaleup
    from synth.scaleup.loop import ensure_data, plan_points, run_points
    from synth.scaleup.report import (
        compare_points,
        gate,
        load_runs,
        write_index,
        write_leaderboard,
        write_plot,
        write_summary,
    )

    cfg = load_scaleup(args.recipe)
    if args.out:
        import dataclasses

        cfg = dataclasses.replace(cfg, out=args.out)
    ensure_data(cfg, args.executor)
    executor = make_executor(args.executor, workers=args.workers)
    try:
        points = run_points(cfg, plan_points(cfg), executor)
    finally:
        executor.close()
    runs = load_runs(points)
    comparisons = compare_points(cfg, runs)
    failures = gate(cfg, comparisons)
    summary = write_summary(cfg, points, runs, comparisons, failures)
    md, html = write_leaderboard(cfg, runs)
    plot = write_plot(cfg, runs)
    index = write_index(cfg, points, runs, failures, html)
    print(summary_table([p.size for p in points], runs, comparisons))
    print(f"\nscale_up.json: {summary}\nleaderboard: {md} ({html.name})\nscaling plot: {plot}\nreport: {index}")
    for f in failures:
        print(f.line(points[-1].size, points[-2].size))
    if failures:
        print(f"verdict: the newest point ({points[-1].size} rows) is significantly worse on "
              f"{', '.join(f.benchmark for f in failures)}")
        return 1 if args.fail_on_regression else 0
    if len(points) > 2:
        print(f"verdict: no significant regression from {points[-2].size} to {points[-1].size} rows")
    return 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("scale-up", help="train, score and gate each data size of a recipe's scale_up section")
    p.add_argument("recipe")
    p.add_argument("--fail-on-regression", action="store_true",
                   help="exit 1 when a gating benchmark of the newest point is significantly worse than the one before")
    p.add_argument("--executor", choices=("local", "ray"), default="local")
    p.add_argument("--workers", type=int, default=1, help="local executor: points trained at once (default 1)")
    p.add_argument("--out", help="output folder (default: the recipe's scale_up.out)")
    p.set_defaults(fn=run)
