"""Real-data sweeps: every gold equals itself, survives a model-style sentence, and MATH500 agrees with MATH.

The full sweeps (~11k items) are marked slow; the default run grades every 10th item.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.config import MathGradeConfig
from harness.data import load_benchmark
from harness.extract.latex import last_boxed
from harness.extract.math import extract_math
from harness.grade.math_compare import Hints
from harness.grade.math_equiv import EquivItem, MathChecker
from harness.registry import get_benchmark

MATH_BENCHMARKS = ("gsm8k", "gsm_hard", "math", "math500", "college_math", "olympiadbench", "aime24")


@pytest.fixture(scope="module")
def checker():
    with MathChecker(MathGradeConfig(workers=2, timeout_s=10.0)) as mc:
        yield mc


def _samples(name: str, data_dir: Path, step: int):
    return load_benchmark(get_benchmark(name), data_dir).samples[::step]


def _sweep(name: str, data_dir: Path, checker: MathChecker, step: int) -> None:
    samples = _samples(name, data_dir, step)
    items, labels = [], []
    for s in samples:
        hints = Hints.from_meta(s.meta)
        wrapped = extract_math(f"Putting it together, so the answer is $\\boxed{{{s.gold}}}$.")
        items.append(EquivItem(s.gold, s.gold, hints))
        labels.append((s.id, "self", s.gold))
        items.append(EquivItem(s.gold, wrapped.answer or "", hints))
        labels.append((s.id, "wrapped", wrapped.answer))
    results = checker.check_many(items)
    failures = [(lab, r) for lab, r in zip(labels, results, strict=True) if not r.equal]
    assert not failures, f"{name}: {len(failures)} of {len(items)} failed, e.g. {failures[:5]}"


@pytest.mark.parametrize("name", MATH_BENCHMARKS)
def test_gold_equals_itself_sampled(name, data_dir, checker):
    _sweep(name, data_dir, checker, step=10)


@pytest.mark.slow
@pytest.mark.parametrize("name", MATH_BENCHMARKS)
def test_gold_equals_itself_full(name, data_dir, checker):
    _sweep(name, data_dir, checker, step=1)


def _math500_pairs(data_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (data_dir / "math500" / "test.jsonl").read_text().splitlines() if line]


def _check_math500(data_dir: Path, checker: MathChecker, step: int) -> None:
    rows = _math500_pairs(data_dir)[::step]
    items = [EquivItem(r["answer"], last_boxed(r["solution"]) or "") for r in rows]
    results = checker.check_many(items)
    bad = [
        (r["unique_id"], r["answer"], it.answer, res)
        for r, it, res in zip(rows, items, results, strict=True)
        if not res.equal
    ]
    assert len(rows) == (500 + step - 1) // step
    assert not bad, f"{len(bad)} MATH500 answers differ from their solution's boxed answer: {bad[:5]}"


def test_math500_answer_matches_solution_box(data_dir, checker):
    _check_math500(data_dir, checker, step=1)
