"""`harness plot scaling DIR ... --x TAG`: accuracy against training-data size, per benchmark (PNG)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.report.plot import save_png, scaling_figure, scaling_series
from harness.store.reader import find_runs


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `plot scaling`."""
    p = subparsers.add_parser("plot", help="plots of runs (scaling curves)")
    kinds = p.add_subparsers(dest="plot_kind", required=True, metavar="KIND")
    s = kinds.add_parser("scaling", help="accuracy vs a numeric run tag (training-data size), PNG")
    s.add_argument("dirs", nargs="+", metavar="DIR", help="run directories or folders of runs")
    s.add_argument("--x", required=True, metavar="TAG", help="run tag holding the x value (e.g. 125K, 1M)")
    s.add_argument("--benchmarks", nargs="+", default=(), metavar="NAME", help="only these benchmarks")
    s.add_argument("--out", type=Path, default=None, help="PNG path (default: scaling-<TAG>.png)")
    s.add_argument("--log-x", action="store_true", help="logarithmic x axis")


def run(args: argparse.Namespace) -> int:
    """Draw the plot and write the PNG."""
    series = scaling_series(find_runs(args.dirs), args.x, tuple(args.benchmarks))
    out = save_png(scaling_figure(series, args.x, args.log_x), args.out or Path(f"scaling-{args.x}.png"))
    print(f"wrote {out} ({len(series)} benchmarks)")
    return 0
