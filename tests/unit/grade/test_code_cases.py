"""Program reconstruction on API-style outputs, graded against the real HumanEval / MBPP tests.

Each row of tests/data/code_completion_cases.jsonl names a benchmark item (or carries an inline
prompt), a raw completion as a chat API returns it or another harness stores it, the
reconstruction method expected, and the verdict the intended program earns on the item's real
tests. The reconstruction is checked for every row (fast); one grading pass through the sandbox
checks every verdict.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from harness.config import SandboxConfig
from harness.data import load_benchmark
from harness.grade.env import GradeEnv
from harness.types import Sample

CASES_FILE = Path(__file__).resolve().parents[2] / "data" / "code_completion_cases.jsonl"
KEYS = {"source", "benchmark", "task_id", "completion", "method", "expected"}


def _cases() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    for i, row in enumerate(rows, 1):
        assert set(row) >= KEYS, f"line {i}: missing {KEYS - set(row)}"
    return rows


CASES = _cases()


@pytest.fixture(scope="module")
def samples(data_dir: Path) -> dict[tuple[str, str], Sample]:
    """The real items the cases name, by (benchmark, task id)."""
    out: dict[tuple[str, str], Sample] = {}
    for name in sorted({c["benchmark"] for c in CASES}):
        bench = importlib.import_module(f"benchmarks.{name}").BENCHMARK
        wanted = {c["task_id"] for c in CASES if c["benchmark"] == name}
        for s in load_benchmark(bench, data_dir=data_dir).samples:
            if s.id in wanted:
                out[(name, s.id)] = s
    return out


def _bench(name: str) -> Any:
    return importlib.import_module(f"benchmarks.{name}").BENCHMARK


def test_case_file_shape():
    assert len(CASES) >= 60
    assert len({(c["benchmark"], c["task_id"], c["completion"]) for c in CASES}) == len(CASES), "duplicate case"
    assert {c["expected"] for c in CASES} <= {"correct", "incorrect", "no_answer"}
    assert sum(c["expected"] == "incorrect" for c in CASES) >= 20, "keep the negatives"


@pytest.mark.parametrize("case", CASES, ids=[f"{i + 1}:{c['task_id']}" for i, c in enumerate(CASES)])
def test_reconstruction_method(case: dict[str, Any], samples: dict[tuple[str, str], Sample]):
    sample = samples[(case["benchmark"], case["task_id"])]
    ex = _bench(case["benchmark"]).extract(case["completion"], sample)
    assert ex.method == case["method"], f"{case['source']}: got {ex.method}\n{ex.answer}"


def test_verdicts_on_real_tests(samples: dict[tuple[str, str], Sample]):
    """One grading pass per benchmark; every case's status must be its expected verdict, and the
    grade's detail must name the reconstruction."""
    env = GradeEnv(sandbox_config=SandboxConfig())
    wrong: list[str] = []
    try:
        for name in sorted({c["benchmark"] for c in CASES}):
            bench = _bench(name)
            rows = [c for c in CASES if c["benchmark"] == name]
            pairs = [(samples[(name, c["task_id"])], bench.extract(c["completion"], samples[(name, c["task_id"])]))
                     for c in rows]
            for c, (_, ex), g in zip(rows, pairs, bench.grade(pairs, env), strict=True):
                assert g.detail.startswith(f"reconstruction: {ex.method}")
                if g.status.value != c["expected"]:
                    wrong.append(f"{c['task_id']} [{c['source']}]: {g.status.value} ({g.rule}: {g.detail[:200]})")
    finally:
        env.close()
    assert wrong == []
