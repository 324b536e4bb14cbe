"""`harness data list` and `harness data verify`: where each benchmark's data is, and is it right."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

from harness.data import check_rows, load_rows, resolve_data_dir
from harness.errors import DataError
from harness.registry import all_benchmarks


@dataclass(frozen=True)
class DataStatus:
    """One benchmark's data check."""

    name: str
    version: str
    expected_rows: int
    rows: int | None
    source: str
    fingerprint: str | None
    ok: bool
    problem: str | None


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `data list` and `data verify`."""
    parser = subparsers.add_parser("data", help="list and verify benchmark data")
    parser.add_argument("action", choices=("list", "verify"))
    parser.add_argument("--data-dir", default=None, help="benchmark data folder (default: $HARNESS_DATA_DIR)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def check_all(data_dir: str | None) -> list[DataStatus]:
    """Load and fingerprint every registered benchmark's rows."""
    out = []
    for bench in all_benchmarks():
        spec = bench.data
        try:
            rows, source = load_rows(spec, data_dir)
            fingerprint, mismatch = check_rows(bench, rows)
            out.append(DataStatus(bench.name, bench.version, spec.expected_rows, len(rows), source, fingerprint,
                                  mismatch is None, mismatch))
        except DataError as exc:
            out.append(DataStatus(bench.name, bench.version, spec.expected_rows, None, "-", None, False, str(exc)))
    return out


def _print_table(statuses: list[DataStatus]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Benchmark data")
    for col in ("benchmark", "version", "rows", "expected", "fingerprint", "source", "status"):
        table.add_column(col)
    for s in statuses:
        mark = "[green]ok[/]" if s.ok else f"[red]{s.problem}[/]"
        table.add_row(s.name, s.version, "-" if s.rows is None else str(s.rows), str(s.expected_rows),
                      (s.fingerprint or "-")[:12], s.source, mark)
    Console().print(table)


def run(args: argparse.Namespace) -> int:
    """List (always exit 0) or verify (exit 1 on any mismatch, naming each)."""
    resolve_data_dir(args.data_dir)  # a named but missing dir is an error before anything else
    statuses = check_all(args.data_dir)
    if args.json:
        print(json.dumps([s.__dict__ for s in statuses], indent=2))
    elif args.action == "list":
        _print_table(statuses)
    if args.action == "verify":
        bad = [s for s in statuses if not s.ok]
        for s in statuses if not args.json else bad:
            print(verify_line(s))
        if not args.json:
            print(f"{len(statuses) - len(bad)}/{len(statuses)} benchmarks verified")
        return 1 if bad else 0
    return 0


def verify_line(s: DataStatus) -> str:
    """One benchmark's verdict: what was checked (rows, content fingerprint, where from) or what is wrong."""
    if s.ok:
        return f"ok       {s.name:<15} v{s.version:<3} {s.rows:>5} rows  fingerprint {s.fingerprint}  {s.source}"
    return f"MISMATCH {s.name}: {s.problem} (source {s.source})"
