"""`harness score FILE.jsonl --benchmark NAME`: re-grade existing generations with a benchmark's grader.

FILE is either our records (`{id|gold, output}`) or an lm-eval `--log_samples` file (detected from
its keys, or `--format lm-eval`); the latter goes through harness.commands.score_lm_eval.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from harness.commands._flags import add_sandbox_flags, sandbox_config
from harness.data import load_benchmark
from harness.grade.env import GradeEnv
from harness.integrations.lm_eval_samples import is_lm_eval_samples
from harness.registry import get_benchmark
from harness.scoring import read_records, score_records, write_records
from harness.types import Sample


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `score`."""
    parser = subparsers.add_parser(
        "score",
        help="grade a JSONL file of generations ({id|gold, output}, or an lm-eval --log_samples file) with a "
             "benchmark's extractor and grader",
    )
    parser.add_argument("file", help="JSONL records with 'output' and 'id' (gold looked up) or 'gold'")
    parser.add_argument("--benchmark", required=True, help="benchmark whose extractor and grader to use")
    parser.add_argument("--answers-only", action="store_true", help="'output' is already the final answer")
    parser.add_argument("--out", default=None, help="write one graded record per input record here")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument(
        "--truncation",
        choices=("grade", "strict"),
        default="grade",
        help="records with finish_reason 'length': grade what is there (default) or score them 'truncated'",
    )
    parser.add_argument(
        "--fallback",
        choices=("none", "last-expression"),
        default="none",
        help="math outputs with no box or answer phrase: take the last LaTeX expression or number "
        "(the grade's rule then starts with 'fallback_last_expression:')",
    )
    parser.add_argument("--data-dir", default=None, help="benchmark data folder (default: $HARNESS_DATA_DIR)")
    parser.add_argument(
        "--format", choices=("auto", "records", "lm-eval"), default="auto",
        help="records ({id|gold, output} per line) or lm-eval (a samples_<task>_<date>.jsonl written with "
             "--log_samples); auto tells them apart by their keys",
    )
    add_sandbox_flags(parser)


def run(args: argparse.Namespace) -> int:
    """Grade the file, write the graded records if asked, print the summary."""
    bench = get_benchmark(args.benchmark)
    if args.format == "lm-eval" or (args.format == "auto" and is_lm_eval_samples(args.file)):
        from harness.commands.score_lm_eval import run_lm_eval

        return run_lm_eval(args, bench)
    records = read_records(args.file)
    lookup: dict[str, Sample] = {}
    if any("gold" not in rec for rec in records):
        lookup = {s.id: s for s in load_benchmark(bench, args.data_dir).samples}
    env = GradeEnv(sandbox_config=sandbox_config(args))
    try:
        scored, summary = score_records(
            records,
            bench,
            env,
            lookup,
            answers_only=args.answers_only,
            truncation=args.truncation,
            fallback=args.fallback,
        )
        grading: dict[str, Any] = env.describe()
    finally:
        env.close()
    if args.out:
        write_records(args.out, scored)
    if args.json:
        print(json.dumps({**summary.to_json(), "grading": grading}))
        return 0
    print(f"{summary.benchmark}: {summary.correct}/{summary.n} correct ({100 * summary.accuracy:.2f}%)")
    print("  " + ", ".join(f"{k} {v}" for k, v in sorted(summary.status_counts.items())))
    print(f"  grader {', '.join(summary.grader_versions)}" + (f"; graded records in {args.out}" if args.out else ""))
    return 0
