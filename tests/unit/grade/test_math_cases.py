"""Table-driven grading cases: tests/data/math_cases.jsonl (shared) and math_cases_grader.jsonl (grader bugs).

Each case: gold, output, expected (correct | incorrect | no_answer), category, source, optional
meta (Sample.meta grading hints) and answers_only (output is already the final answer).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from harness.config import MathGradeConfig
from harness.extract.math import extract_math
from harness.grade.env import GradeEnv
from harness.grade.math_grade import grade_math
from harness.types import Extraction, ExtractStatus, Sample

DATA = Path(__file__).resolve().parents[2] / "data"
CASE_FILES = ("math_cases.jsonl", "math_cases_grader.jsonl")


def _load_cases() -> list[tuple[str, int, dict]]:
    """Every case of every file; a missing file is left to `test_case_files_present` to report."""
    cases = []
    for name in CASE_FILES:
        path = DATA / name
        if not path.is_file():
            continue
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                cases.append((name, line_no, json.loads(line)))
    return cases


CASES = _load_cases()


def _extractor(source: str):
    """The benchmark's own extractor when `source` names one, else boxed/phrase extraction."""
    try:
        bench = importlib.import_module(f"benchmarks.{source}").BENCHMARK
    except (ImportError, AttributeError):
        return lambda output, sample: extract_math(output)
    return bench.extract


def _extraction(case: dict, sample: Sample) -> Extraction:
    if case.get("answers_only"):
        output = case["output"]
        status = ExtractStatus.OK if output.strip() else ExtractStatus.NO_ANSWER
        return Extraction(output or None, "answers_only", status)
    return _extractor(case.get("source", ""))(case["output"], sample)


@pytest.fixture(scope="module")
def env():
    grade_env = GradeEnv(math_config=MathGradeConfig(workers=2, timeout_s=10.0))
    yield grade_env
    grade_env.close()


@pytest.fixture(scope="module")
def graded(env):
    """All cases graded in one batch (as the runner does), keyed by (file, line)."""
    samples = [
        Sample(c.get("source", "case"), "0", f"{f}:{n}", "", c["gold"], c.get("meta") or {}) for f, n, c in CASES
    ]
    pairs = [(s, _extraction(c, s)) for s, (_, _, c) in zip(samples, CASES, strict=True)]
    grades = grade_math(pairs, env)
    return {(f, n): (g, p[1]) for (f, n, _), g, p in zip(CASES, grades, pairs, strict=True)}


def test_case_files_present():
    missing = [name for name in CASE_FILES if not (DATA / name).is_file()]
    assert not missing, f"case files missing: {missing}"
    for name in CASE_FILES:
        assert sum(f == name for f, _, _ in CASES) >= 100, f"{name} has fewer than 100 cases"


@pytest.mark.parametrize(("file", "line", "case"), CASES, ids=[f"{f}:{n}:{c['category']}" for f, n, c in CASES])
def test_case(file, line, case, graded):
    grade, extraction = graded[(file, line)]
    assert grade.status.value == case["expected"], (
        f"gold={case['gold']!r} extracted={extraction.answer!r} rule={grade.rule} detail={grade.detail}"
    )
