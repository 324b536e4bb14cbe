"""`harness report RUN`: one static, offline HTML file for a run (scores, breakdowns, item browser)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.report.html import MetaLookup, report_html
from harness.store.reader import load_run


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `report`."""
    p = subparsers.add_parser("report", help="static HTML report of one run")
    p.add_argument("run_dir", metavar="RUN", help="run directory")
    p.add_argument("--out", type=Path, default=None, help="HTML path (default: RUN/report.html)")
    p.add_argument("--data-dir", default=None,
                   help="benchmark data, to break MATH down by subject x level (default: $HARNESS_DATA_DIR)")


def meta_lookup(data_dir: str | None) -> MetaLookup:
    """Item meta from local benchmark data only (never the network); None where it is not at hand."""

    def lookup(name: str) -> Mapping[str, Mapping[str, Any]] | None:
        from harness.data import load_benchmark, resolve_data_dir
        from harness.registry import get_benchmark

        try:
            base = resolve_data_dir(data_dir)
            if base is None:
                return None
            bench = get_benchmark(name)
            if not (base / bench.data.local).is_file():
                return None
            loaded = load_benchmark(bench, base, allow_mismatch=True)
        except HarnessError:
            return None
        return {s.id: s.meta for s in loaded.samples}

    return lookup


def run(args: argparse.Namespace) -> int:
    """Write the report and print its path."""
    run_ = load_run(args.run_dir)
    out: Path = args.out or run_.path / "report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report_html(run_, meta_lookup(args.data_dir)), encoding="utf-8")
    print(f"wrote {out}")
    return 0
