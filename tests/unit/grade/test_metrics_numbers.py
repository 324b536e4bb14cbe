"""Metrics against hand-computed numbers (each expected value is worked out in the comment beside it)."""

from __future__ import annotations

import pytest

from harness.grade.metrics import benchmark_metrics, ks_for, majority_correct, mean_ci, wilson_ci
from harness.types import Extraction, ExtractStatus, Grade, SampleRecord, Status


def rec(item: str, k: int, status: Status, answer: str | None = "x", finish: str = "stop") -> SampleRecord:
    ex = Extraction(answer, "test", ExtractStatus.OK if answer is not None else ExtractStatus.NO_ANSWER)
    return SampleRecord("b", "1", item, k, "h", "out", finish, 3, 4, ex, Grade(status, "r", "g1"))


C, W, N = Status.CORRECT, Status.INCORRECT, Status.NO_ANSWER


@pytest.mark.parametrize(
    ("successes", "n", "lo", "hi"),
    [
        # z = 1.959964, z^2 = 3.841459; 8/10: centre 0.992073/1.384146 = 0.716740, half 0.226578
        (8, 10, 0.490162, 0.943318),
        # 0/5: centre = half = (z^2/10)/(1 + z^2/5) = 0.217241
        (0, 5, 0.0, 0.434482),
        # 5/5 mirrors 0/5
        (5, 5, 0.565518, 1.0),
        (0, 0, 0.0, 0.0),
    ],
)
def test_wilson_interval(successes: int, n: int, lo: float, hi: float) -> None:
    got = wilson_ci(successes, n)
    assert got == pytest.approx((lo, hi), abs=1e-5)


def test_mean_interval_over_items() -> None:
    # mean 0.5, sample variance 0.5/3, se = sqrt(0.1666667/4) = 0.204124, half = 0.400076
    assert mean_ci([1.0, 0.5, 0.0, 0.5]) == pytest.approx((0.099924, 0.900076), abs=1e-5)


def test_k_ladder() -> None:
    assert ks_for(1) == [1]
    assert ks_for(4) == [1, 4]
    assert ks_for(10) == [1, 5, 10]
    assert ks_for(16) == [1, 5, 10, 16]


def test_single_sample_accuracy_counts_and_rates() -> None:
    records = [
        rec("a", 0, C),
        rec("b", 0, W),
        rec("c", 0, N, answer=None),
        rec("d", 0, Status.TRUNCATED, finish="length"),
        rec("e", 0, C, finish="length"),
    ]
    meta = {"a": {"level": 1}, "b": {"level": 1}, "c": {"level": 2}, "d": {"level": 2}, "e": {"level": 2}}
    m = benchmark_metrics(records, version="1", kind="math", limited=True, item_meta=meta, breakdown=("level",))
    assert m["n_items"] == 5 and m["n_samples"] == 5 and m["limited"] is True
    assert m["score"] == pytest.approx(0.4)  # 2 of 5
    # Wilson 2/5: centre (0.4 + 0.384146)/1.768292 = 0.443448, half 1.959964 * 0.293963 / 1.768292 = 0.325827
    assert m["ci95"] == pytest.approx([0.117621, 0.769276], abs=1e-5)
    assert m["status_counts"] == {"correct": 2, "incorrect": 1, "no_answer": 1, "truncated": 1, "timeout": 0,
                                  "error": 0}
    assert m["truncation_rate"] == pytest.approx(0.4)  # finish_reason length, whatever the status
    assert m["extraction_failure_rate"] == pytest.approx(0.2)
    assert m["pass_at_k"] == {"1": pytest.approx(0.4)}
    assert m["maj_at_k"] is None
    assert m["breakdown"] == {"level": {"1": {"n": 2, "score": 0.5}, "2": {"n": 3, "score": pytest.approx(1 / 3)}}}
    assert m["primary"] == "accuracy"


def test_pass_at_k_with_several_samples() -> None:
    # item p: 10 samples, 3 correct -> pass@1 0.3, pass@5 = 1 - C(7,5)/C(10,5) = 1 - 21/252 = 0.916667
    # item q: 10 samples, 0 correct -> 0 everywhere
    records = [rec("p", k, C if k < 3 else W) for k in range(10)] + [rec("q", k, W) for k in range(10)]
    m = benchmark_metrics(records, version="1", kind="code", limited=False)
    assert m["primary"] == "pass@1"
    assert m["pass_at_k"]["1"] == pytest.approx(0.15)
    assert m["pass_at_k"]["5"] == pytest.approx(0.916667 / 2, abs=1e-6)
    assert m["pass_at_k"]["10"] == pytest.approx(0.5)
    assert m["score"] == pytest.approx(0.15)
    assert m["maj_at_k"] is None  # code: no answers to vote on
    assert m["ci_method"] == "normal-over-items"


def test_majority_vote() -> None:
    # one correct "4", two incorrect "5": the majority is wrong
    assert not majority_correct([rec("a", 0, C, "4"), rec("a", 1, W, "5"), rec("a", 2, W, " 5 ")])
    # a 1-1 tie goes to the answer seen first
    assert majority_correct([rec("a", 0, C, "4"), rec("a", 1, W, "5")])
    assert not majority_correct([rec("a", 0, W, "5"), rec("a", 1, C, "4")])
    # unanswered samples do not vote
    assert majority_correct([rec("a", 0, N, None), rec("a", 1, N, None), rec("a", 2, C, "4")])
    assert not majority_correct([rec("a", 0, N, None)])


def test_maj_at_k_math() -> None:
    # item a answers 4,5,5,4,4 (4 correct); item b answers 7,7,8,8,8 (7 correct)
    a = [rec("a", k, C if x == "4" else W, x) for k, x in enumerate(["4", "5", "5", "4", "4"])]
    b = [rec("b", k, C if x == "7" else W, x) for k, x in enumerate(["7", "7", "8", "8", "8"])]
    m = benchmark_metrics(a + b, version="1", kind="math", limited=False)
    # maj@5: a -> 4 (3 votes, correct), b -> 8 (3 votes, wrong) = 0.5
    assert m["maj_at_k"] == {"5": pytest.approx(0.5)}
    assert m["score"] == pytest.approx((3 / 5 + 2 / 5) / 2)


def test_empty_records() -> None:
    m = benchmark_metrics([], version="1", kind="math", limited=False)
    assert m["n_items"] == 0 and m["score"] == 0.0 and m["pass_at_k"] == {}
