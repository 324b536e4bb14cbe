"""The computations behind our `evaluate` metrics (harness/integrations/evaluate_metrics/*).

- math: predictions are model outputs (or final answers with `answers_only`), references the gold
  answers; each is extracted and graded exactly as `harness score` grades `{gold, output}` records
  of the named benchmark (default `math`). Returns accuracy with every status counted.
- code: a drop-in for `evaluate`'s `code_eval` (same arguments, same `(pass_at_k, results)` return),
  but each candidate runs with its test program in our sandbox (bubblewrap where available; process
  group kill, rlimits, no network), never in the caller's process.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from harness.config import SandboxConfig
from harness.grade.env import GradeEnv
from harness.grade.passk import pass_at_k
from harness.types import Extraction, ExtractStatus, Sample, Status

MATH_DESCRIPTION = (
    "Accuracy of math answers under the harness grader (extraction of the final answer, then normalised, "
    "numeric and symbolic equivalence in a killable worker pool), with a count of every grading status."
)
CODE_DESCRIPTION = (
    "pass@k of candidate programs, each run with its test program in the harness sandbox (a drop-in for "
    "evaluate's code_eval, which runs untrusted code in the caller's own process)."
)
CITATION = "harness: an evaluation harness for math and code reasoning checkpoints (this repository)."


def compute_math(predictions: Sequence[str], references: Sequence[str], benchmark: str = "math",
                 answers_only: bool = False, env: GradeEnv | None = None) -> dict[str, Any]:
    """Accuracy and status counts; `verdicts` lists each prediction's status, in order."""
    from harness.registry import get_benchmark
    from harness.scoring import score_records

    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    bench = get_benchmark(benchmark)
    records = [{"gold": str(r), "output": str(p)} for p, r in zip(predictions, references, strict=True)]
    own = env is None
    grade_env = env or GradeEnv()
    try:
        scored, summary = score_records(records, bench, grade_env, answers_only=answers_only)
    finally:
        if own:
            grade_env.close()
    return {
        "accuracy": summary.accuracy,
        "correct": summary.correct,
        "total": summary.n,
        "status_counts": {s.value: summary.status_counts.get(s.value, 0) for s in Status},
        "extract_status_counts": dict(summary.extract_counts),
        "verdicts": [rec["status"] for rec in scored],
        "grader_version": ",".join(summary.grader_versions),
    }


def _run_one(env: GradeEnv, task: int, cid: int, program: str, test: str) -> tuple[int, int, Status, str]:
    from harness.grade.code_exec import Reference, grade_one

    sample = Sample("code_eval", "1", str(task), "", "", {"mode": "assert", "entry_point": "", "prompt": "",
                                                            "test": test, "reference": ""})
    # No reference solution here: the limit is the configured floor (code_eval's `timeout`).
    verdict = grade_one(env.sandbox(), env.sandbox_config, sample,
                        Extraction(program, "raw", ExtractStatus.OK), Reference(True, 0.0))
    result = "passed" if verdict.status == Status.CORRECT else f"{verdict.status.value}: {verdict.rule}"
    return task, cid, verdict.status, result


def compute_code(predictions: Sequence[Sequence[str]], references: Sequence[str], k: Sequence[int] = (1, 10, 100),
                 num_workers: int = 4, timeout: float = 3.0, sandbox: str = "auto",
                 env: GradeEnv | None = None) -> tuple[dict[str, float], dict[int, list[tuple[int, dict[str, Any]]]]]:
    """code_eval's contract: predictions[i] are candidates for the test program references[i]."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} candidate lists for {len(references)} references")
    own = env is None
    grade_env = env or GradeEnv(sandbox_config=SandboxConfig(kind=sandbox, time_floor_s=timeout))  # type: ignore[arg-type]
    jobs = [(t, c, prog, test) for t, (cands, test) in enumerate(zip(predictions, references, strict=True))
            for c, prog in enumerate(cands)]
    try:
        with ThreadPoolExecutor(max_workers=max(1, num_workers)) as pool:
            done = list(pool.map(lambda j: _run_one(grade_env, *j), jobs))
    finally:
        if own:
            grade_env.close()
    results: dict[int, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for task, cid, status, text in sorted(done, key=lambda d: (d[0], d[1])):
        results[task].append((cid, {"task_id": task, "passed": status == Status.CORRECT, "result": text,
                                    "completion_id": cid}))
    counts = [(len(predictions[t]), sum(r["passed"] for _, r in results[t])) for t in range(len(predictions))]
    ks = [int(x) for x in ([k] if isinstance(k, int) else k)]
    pass_k = {f"pass@{x}": sum(pass_at_k(n, c, x) for n, c in counts) / len(counts)
              for x in ks if counts and all(n >= x for n, _ in counts)}
    return pass_k, dict(results)


def status_summary(verdicts: Sequence[str]) -> Mapping[str, int]:
    """Counts per status name (every status present, zeros included)."""
    counts = Counter(verdicts)
    return {s.value: counts.get(s.value, 0) for s in Status}
