"""`harness score samples_<task>_<date>.jsonl --benchmark NAME`: re-grade an lm-eval samples file.

Not a subcommand of its own: `harness score` hands lm-eval files here. Each doc is matched to an
item by content, every response is graded, and our accuracy (pass@k, maj@k with repeats) is
printed beside lm-eval's own per-doc metric.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from harness.benchmark import Benchmark
from harness.commands._flags import sandbox_config
from harness.data import load_benchmark
from harness.errors import ConfigError, DataError
from harness.grade.env import GradeEnv
from harness.integrations.lm_eval_grade import grade_task, load_docs, task_metrics
from harness.integrations.lm_eval_samples import task_from_filename
from harness.integrations.lm_eval_tasks import TaskMap, task_map
from harness.scoring import summarize, write_records


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def run_lm_eval(args: argparse.Namespace, bench: Benchmark) -> int:
    """Grade an lm-eval samples file against `bench`; print (or --json) both metrics side by side."""
    path = Path(args.file)
    if args.answers_only or args.truncation == "strict":
        flag = "--answers-only" if args.answers_only else "--truncation strict"
        raise ConfigError(f"{flag} does not apply to lm-eval samples (their responses are whole outputs, and "
                          "lm-eval does not log why generation stopped); drop the flag")
    if not path.is_file():
        raise DataError(f"{path}: no such file; pass an lm-eval samples_<task>_<date>.jsonl file")
    task = task_from_filename(path)
    tmap = task_map(task) if task is not None else TaskMap(path.stem, bench.name)
    docs = load_docs(path, tmap.task)
    if not docs:
        raise DataError(f"{path}: no samples in the file; rerun lm-eval with --log_samples")
    data = load_benchmark(bench, args.data_dir)
    env = GradeEnv(sandbox_config=sandbox_config(args))
    try:
        graded = grade_task(docs, tmap, bench, data, env, str(path))
        grading: dict[str, Any] = env.describe()
    finally:
        env.close()
    summary = summarize(bench.name, [g.grade for g in graded.graded], [g.extraction for g in graded.graded])
    metrics = task_metrics(bench, data, graded.records, graded.lm_eval_means())
    if args.out:
        write_records(args.out, (g.to_json() for g in graded.graded))
    if args.json:
        extra = {k: metrics[k] for k in ("n_items", "score", "ci95", "pass_at_k", "maj_at_k", "lm_eval")}
        print(json.dumps({**summary.to_json(), **extra, "lm_eval_task": tmap.task, "grading": grading}))
        return 0
    n_docs = len(graded.pairs)
    print(f"{bench.name} (lm-eval task {tmap.task}, {n_docs} docs, {summary.n} responses): "
          f"{summary.correct}/{summary.n} correct ({_pct(summary.accuracy)})")
    print("  " + ", ".join(f"{k} {v}" for k, v in sorted(summary.status_counts.items())))
    if summary.n > n_docs:
        print("  pass@k " + ", ".join(f"@{k} {_pct(v)}" for k, v in metrics["pass_at_k"].items()) +
              ("; maj@k " + ", ".join(f"@{k} {_pct(v)}" for k, v in metrics["maj_at_k"].items())
               if metrics.get("maj_at_k") else ""))
    theirs = metrics["lm_eval"]
    print("  lm-eval's own: " + (", ".join(f"{k} {_pct(v)}" for k, v in theirs.items()) or "no metric logged"))
    print(f"  grader {', '.join(summary.grader_versions)}" + (f"; graded records in {args.out}" if args.out else ""))
    return 0
