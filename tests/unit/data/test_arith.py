"""The procedural `arith` benchmark: deterministic rows, a checked fingerprint, gold graded correct,
and a train split disjoint from the test rows."""

from __future__ import annotations

import dataclasses
import re

import pytest

from benchmarks import arith
from harness.data import check_rows, load_benchmark
from harness.errors import DataError
from harness.grade.env import GradeEnv
from harness.registry import get_benchmark


def test_rows_are_deterministic_and_match_the_declared_fingerprint() -> None:
    bench = get_benchmark("arith")
    a, b = arith.benchmark_rows(), arith.benchmark_rows()
    assert a == b and len(a) == bench.data.expected_rows == 200
    assert check_rows(bench, a) == (bench.data.fingerprint, None)
    loaded = load_benchmark(bench, data_dir=None)  # generated: no data dir needed
    assert loaded.source == "generated:arith/v1" and loaded.mismatch is None and len(loaded.samples) == 200
    assert [s.id for s in loaded.samples] == [str(i) for i in range(200)]
    assert bench.suites == ("tiny",) and bench.kind == "math"


def test_a_changed_generator_is_caught_by_the_fingerprint() -> None:
    bench = get_benchmark("arith")
    rows = arith.benchmark_rows()
    shifted = [dict(r, answer=str(int(r["answer"]) + 1)) if i == 7 else r for i, r in enumerate(rows)]
    changed = dataclasses.replace(bench, data=dataclasses.replace(bench.data, generate=lambda: shifted))
    with pytest.raises(DataError, match="expected fingerprint"):
        load_benchmark(changed)
    assert load_benchmark(changed, allow_mismatch=True).mismatch


def test_problems_are_small_one_or_two_step_sums_with_consistent_solutions() -> None:
    steps_seen = set()
    for row in arith.benchmark_rows() + arith.train_rows(300):
        steps = re.findall(r"(\d+) ([+-]) (\d+) = (\d+)\.", row["solution"])
        steps_seen.add(len(steps))
        value = int(steps[0][0])
        for a, op, b, c in steps:
            assert int(a) == value and int(c) == (int(a) + int(b) if op == "+" else int(a) - int(b)) >= 0
            value = int(c)
        assert row["solution"].endswith(f"\\boxed{{{row['answer']}}}.") and int(row["answer"]) == value <= 24
        assert all(int(n) <= 12 for n in re.findall(r"\d+", row["question"]))
    assert steps_seen == {1, 2}


def test_gold_solutions_grade_correct_with_the_math_grader_and_wrong_ones_do_not() -> None:
    bench = get_benchmark("arith")
    samples = load_benchmark(bench).samples[:40]
    rows = {r["id"]: r for r in arith.benchmark_rows()}
    env = GradeEnv()
    try:
        right = bench.grade([(s, bench.extract(rows[s.id]["solution"], s)) for s in samples], env)
        wrong = bench.grade([(s, bench.extract(f"\\boxed{{{int(s.gold) + 1}}}", s)) for s in samples], env)
    finally:
        env.close()
    assert {g.status for g in right} == {"correct"} and {g.status for g in wrong} == {"incorrect"}


def test_train_split_is_disjoint_from_the_test_rows_and_nested() -> None:
    test_questions = {r["question"] for r in arith.benchmark_rows()}
    train = arith.train_rows(2000)
    questions = [r["question"] for r in train]
    assert len(set(questions)) == 2000 and not test_questions & set(questions)
    assert arith.train_rows(100) == train[:100]
    assert arith.train_rows(100, seed=1) != train[:100]
