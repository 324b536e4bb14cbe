"""`harness import-lm-eval OUTPUT_DIR --out results/`: lm-eval runs become runs of our store."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands._flags import add_sandbox_flags, sandbox_config
from harness.errors import DataError
from harness.grade.env import GradeEnv


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `import-lm-eval`."""
    p = subparsers.add_parser(
        "import-lm-eval", help="re-grade an lm-eval output folder (--log_samples) into runs of our store",
        description="Each lm-eval invocation under OUTPUT_DIR (results_<date>.json with its "
                    "samples_<task>_<date>.jsonl) becomes one run: every response graded by our extractor and "
                    "grader, lm-eval's own metric kept beside ours, ready for leaderboard, compare and report.")
    p.add_argument("output_dir", metavar="OUTPUT_DIR", help="lm-eval's --output_path (searched recursively)")
    p.add_argument("--out", default="results", help="results folder to write the runs into (default: results)")
    p.add_argument("--tasks", nargs="+", default=(), metavar="TASK", help="import only these lm-eval tasks")
    p.add_argument("--data-dir", default=None, help="benchmark data folder (default: $HARNESS_DATA_DIR)")
    add_sandbox_flags(p)


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def run(args: argparse.Namespace) -> int:
    """Import every invocation found; print one block per run with both metrics side by side."""
    from harness.integrations.lm_eval_import import find_outputs, import_outputs

    outputs = find_outputs(Path(args.output_dir))
    env = GradeEnv(sandbox_config=sandbox_config(args))
    imported = []
    try:
        for out in outputs:
            imported += import_outputs(out, Path(args.out), env, args.data_dir, tuple(args.tasks))
    finally:
        env.close()
    if not imported:
        raise DataError(f"{args.output_dir}: no supported lm-eval task to import (see the lines above)")
    for run_ in imported:
        print(f"{run_.run_id}  ->  {run_.path}")
        for name, m in run_.benchmarks.items():
            tasks = ", ".join(t for t, b in run_.tasks.items() if b == name)
            theirs = ", ".join(f"{k} {_pct(v)}" for k, v in m["lm_eval"].items()) or "none logged"
            print(f"  {name:<14} ({tasks}) {m['n_items']} items, {m['n_samples']} responses: harness "
                  f"{m['primary']} {_pct(m['score'])} | lm-eval {theirs}")
    return 0
