"""Hostile inputs finish within budget with a status and leave the pool working; threads and asyncio work."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.config import MathGradeConfig
from harness.extract.latex import last_boxed
from harness.extract.math import extract_math
from harness.grade.math_equiv import EquivItem, MathChecker, Verdict
from harness.grade.math_pool import WorkerPool

BUDGET_S = 2.0


@pytest.fixture(scope="module")
def checker():
    with MathChecker(MathGradeConfig(workers=2, timeout_s=BUDGET_S)) as mc:
        yield mc


def _pool_still_works(mc: MathChecker) -> None:
    assert mc.check(r"\sqrt{8}", r"2\sqrt{2}").equal
    assert not mc.check(r"\sqrt{8}", r"3\sqrt{2}").equal


# (name, gold, answer, where it is decided, accepted rules). "parent": the size, nesting and
# power-tower guards decide before any job is sent; "pool": a killable worker decides (or times out).
HOSTILE = [
    ("power_tower", "1", r"10^{10^{10^{10}}}", "parent", ("too_large_for_symbolic",)),
    ("symbolic_tower", "x^2", r"x^{x^{x^{x^{x^{x}}}}}", "pool", ("sympy_not_equal", "timeout")),
    ("nested_braces", "1", "{" * 5000 + "1" + "}" * 5000, "parent", ("answer_too_large",)),
    ("nested_parens", "1", "(" * 3000 + "1" + ")" * 3000, "parent", ("answer_too_large",)),
    ("malformed_frac", "1", r"\frac{1}{", "pool", ("answer_unparsed",)),
    ("malformed_braces", "1", "}}}{{{", "pool", ("answer_unparsed",)),
    ("malformed_left", "1", r"\left(\right.", "pool", ("answer_unparsed",)),
    ("lone_surrogate", "x", "\ud800x\udfff", "pool", ("answer_unparsed",)),
    ("huge_factorial", r"\frac{1}{2}", r"(10^{100000})!", "pool", ("sympy_not_equal", "timeout")),
    ("long_number", "1", "9" * 5000, "parent", ("answer_too_large",)),
    ("long_answer", "1", "x+" * 20000 + "1", "parent", ("answer_too_large",)),
    # the repeating-block search is cubic in the digits: a long decimal with an ellipsis must not run it
    ("ellipsis_digits", "1", "0." + "12" * 3000 + "3...", "parent", ("answer_too_large",)),
    ("ellipsis_digits_short", "1", "0." + "3" * 1900 + "4...", "parent", ("numeric_tol_rel", "numeric_precision")),
]


@pytest.mark.parametrize(("name", "gold", "answer", "path", "rules"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_answer_finishes_with_status(name, gold, answer, path, rules, checker):
    before = checker.describe()["counts"]
    start = time.monotonic()
    result = checker.check(gold, answer)
    assert time.monotonic() - start < BUDGET_S + 1.0
    after = checker.describe()["counts"]
    assert result.verdict in (Verdict.NOT_EQUAL, Verdict.TIMEOUT, Verdict.ERROR)
    assert result.rule in rules, (result.rule, result.detail)
    assert after["symbolic"] - before["symbolic"] == (path == "pool")
    assert after["fast"] - before["fast"] == (path == "parent")
    _pool_still_works(checker)


def test_worker_over_budget_is_killed_and_replaced():
    pool = WorkerPool("time:sleep", workers=1, timeout_s=0.5, memory_mb=0)
    try:
        start = time.monotonic()
        outcomes = pool.run([(30,), (0.01,), (30,), (0.01,)])
        assert time.monotonic() - start < 2 * (0.5 + 1.0) + 10  # two kills, plus worker restarts
        assert [o.kind for o in outcomes] == ["timeout", "ok", "timeout", "ok"]
        assert pool.stats["restarts"] == 2
    finally:
        pool.close()


def test_worker_memory_limit_is_an_error_not_a_crash():
    pool = WorkerPool("builtins:bytearray", workers=1, timeout_s=10, memory_mb=512)
    try:
        outcomes = pool.run([(4 * 1024**3,), (16,)])
        assert outcomes[0].kind == "error" and "memory" in outcomes[0].detail
        assert outcomes[1].kind == "ok" and outcomes[1].value == bytearray(16)
    finally:
        pool.close()


def test_one_megabyte_output_is_fast():
    output = ("Let me think. " * 75_000) + r"So the answer is $\boxed{42}$."
    assert len(output) > 1_000_000
    start = time.monotonic()
    found = extract_math(output)
    assert time.monotonic() - start < 0.5
    assert found.answer == "42"
    unclosed = "\\boxed{x" * 130_000
    start = time.monotonic()
    assert extract_math(unclosed).answer is None
    assert last_boxed(unclosed) is None
    assert time.monotonic() - start < 2.0


def test_deeply_nested_box_is_not_an_answer():
    assert extract_math("\\boxed{" + "{" * 5000 + "1" + "}" * 5001).status.value == "no_answer"


def test_lone_surrogate_output_extracts():
    assert extract_math("\ud800 so \\boxed{5}").answer == "5"


def test_concurrent_threads_get_their_own_answers(checker):
    pairs = [(f"\\sqrt{{{k * k}}}", str(k)) for k in range(2, 10)] + [(f"\\sqrt{{{k}}}", str(k)) for k in range(2, 10)]
    expected = [True] * 8 + [False] * 8

    def run(_: int) -> list[bool]:
        return [r.equal for r in checker.check_many([EquivItem(g, a) for g, a in pairs])]

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(run, range(4)))
    assert all(o == expected for o in outcomes)


def test_async_callers(checker):
    async def main() -> list[bool]:
        answers = (r"\pi/2", r"\pi/3", "1.5707963", r"\dfrac{\pi}{2}")
        jobs = [asyncio.to_thread(checker.check, r"\frac{\pi}{2}", a) for a in answers]
        return [r.equal for r in await asyncio.gather(*jobs)]

    # A decimal for an irrational exact gold is wrong even within tolerance.
    assert asyncio.run(main()) == [True, False, False, True]


def test_hostile_outputs_through_extract_and_grade_from_threads():
    """The whole GradeFn path on hostile outputs, from several threads: every item gets a status in time."""
    from harness.grade.env import GradeEnv
    from harness.grade.math_grade import grade_math
    from harness.types import Sample, Status

    outputs = [
        ("x" * 1_000_000) + r" so the answer is $\boxed{10^{10^{10^{10}}}}$.",
        r"\boxed{" + "{" * 3000 + "7" + "}" * 3000 + "}",
        "\ud800" * 1000 + r"\boxed{\frac{1}{\ud800}}",
        r"\boxed{\frac{1}{}}\left(\right.",
        r"so \boxed{\sqrt{8}}",
    ]
    env = GradeEnv(math_config=MathGradeConfig(workers=2, timeout_s=BUDGET_S))

    def run(_: int) -> list[Status]:
        pairs = [(Sample("t", "0", str(k), "", r"2\sqrt{2}"), extract_math(o)) for k, o in enumerate(outputs)]
        return [g.status for g in grade_math(pairs, env)]

    try:
        start = time.monotonic()
        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(run, range(3)))
        assert time.monotonic() - start < 3 * len(outputs) * (BUDGET_S + 1.0)
        for statuses in results:
            assert statuses[-1] is Status.CORRECT
            assert all(s is not Status.CORRECT for s in statuses[:-1])
        assert env.math().describe()["pool"]["max_job_s"] < BUDGET_S + 1.0
        _pool_still_works(env.math())
    finally:
        env.close()
