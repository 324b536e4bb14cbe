"""`harness compare BASE NEW`: did NEW get better or worse than BASE, beyond noise, per benchmark?"""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `compare`."""
    p = subparsers.add_parser(
        "compare", help="paired regression verdict of NEW against BASE",
        description="Per benchmark, on the items both runs share: accuracies, delta, paired-bootstrap CI, "
                    "exact McNemar (n=1) or paired permutation test (n>1), newly solved/broken items, verdict.")
    p.add_argument("base", metavar="BASE", help="run directory of the reference checkpoint")
    p.add_argument("new", metavar="NEW", help="run directory of the checkpoint under test")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--min-delta", type=float, default=1.0,
                   help="points a significant drop must exceed to be a regression (default 1.0)")
    p.add_argument("--fail-on-regression", action="store_true", help="exit 1 when any benchmark regressed")
    p.add_argument("--format", choices=("table", "md", "json"), default="table")
    p.add_argument("--benchmarks", nargs="+", default=(), metavar="NAME", help="only these benchmarks")
    p.add_argument("--force", action="store_true",
                   help="compare even when benchmark versions, data fingerprints or prompt hashes differ")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and permutation resampling")
    p.add_argument("--n-boot", type=int, default=10_000, help="bootstrap resamples (default 10000)")


def run(args: argparse.Namespace) -> int:
    """Print the comparison; 1 on a regression with --fail-on-regression, else 0."""
    # scipy is slow to import: only `compare` itself pays for it, not every harness command.
    from harness.report.compare import CompareConfig, compare_runs, render
    from harness.report.stats import StatsConfig
    from harness.store.reader import load_run

    cfg = CompareConfig(
        stats=StatsConfig(alpha=args.alpha, n_boot=args.n_boot, seed=args.seed),
        min_delta=args.min_delta,
        force=args.force,
        benchmarks=tuple(args.benchmarks),
    )
    comp = compare_runs(load_run(args.base), load_run(args.new), cfg)
    print(render(comp, args.format), end="")
    return 1 if args.fail_on_regression and comp.has_regression else 0
