"""`harness leaderboard [DIR ...]`: runs side by side with published numbers, one column per benchmark."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.errors import ConfigError
from harness.report.leaderboard import LeaderboardConfig, build, render
from harness.store.reader import find_runs

PUBLISHED_DIR = Path("results/published")
CHECKOUT_PUBLISHED = Path(__file__).resolve().parents[2] / "results" / "published"
"""Fallback when run outside the checkout: the published rows that ship with the source tree."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `leaderboard`."""
    p = subparsers.add_parser("leaderboard", help="table of runs and published results")
    p.add_argument("dirs", nargs="*", metavar="DIR", default=["results"],
                   help="run directories or folders of runs (default: results)")
    p.add_argument("--format", choices=("table", "md", "csv", "html", "json"), default="table")
    p.add_argument("--benchmarks", nargs="+", default=(), metavar="NAME", help="columns to show")
    p.add_argument("--group-by", default=None, metavar="TAG", help="group rows by this run tag")
    p.add_argument("--ci", action="store_true", help="show 95%% confidence intervals")
    p.add_argument("--published", default="all", metavar="all|none|TEXT",
                   help="published rows to show: all (default), none, or those whose model contains TEXT")
    p.add_argument("--published-dir", type=Path, default=None,
                   help="folder of published result files (default: ./results/published, else the checkout's)")
    p.add_argument("--out", type=Path, default=None, help="write to this file instead of stdout")


def _published_files(args: argparse.Namespace) -> tuple[Path, ...]:
    if args.published == "none":
        return ()
    if args.published_dir is not None:
        if not args.published_dir.is_dir():
            raise ConfigError(f"--published-dir {args.published_dir}: no such folder")
        return tuple(sorted(args.published_dir.glob("*.json")))
    folder = next((f for f in (PUBLISHED_DIR, CHECKOUT_PUBLISHED) if f.is_dir()), None)
    return tuple(sorted(folder.glob("*.json"))) if folder else ()


def run(args: argparse.Namespace) -> int:
    """Print (or write) the leaderboard."""
    dirs = [d for d in args.dirs if not (d == "results" and not Path(d).exists())]
    runs = find_runs(dirs)
    cfg = LeaderboardConfig(
        benchmarks=tuple(args.benchmarks),
        group_by=args.group_by,
        published=_published_files(args),
        published_filter=None if args.published in ("all", "none") else args.published,
        ci=args.ci,
    )
    text = render(build(runs, cfg), args.format, args.ci)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0
