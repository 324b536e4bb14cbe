"""GradeEnv creates each shared resource once, even when threads ask for it at the same time."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

import harness.grade.math_equiv as math_equiv
from harness.grade.env import GradeEnv


class _SlowChecker:
    """Stands in for MathChecker: slow to build, so unguarded check-then-set would build several."""

    made: ClassVar[list[_SlowChecker]] = []

    def __init__(self, config: object) -> None:
        time.sleep(0.05)
        _SlowChecker.made.append(self)

    def close(self) -> None:
        pass


def test_math_checker_is_created_once_across_threads(monkeypatch):
    monkeypatch.setattr(math_equiv, "MathChecker", _SlowChecker)
    _SlowChecker.made.clear()
    env = GradeEnv()
    barrier = threading.Barrier(8)

    def get(_: int) -> object:
        barrier.wait()
        return env.math()

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(get, range(8)))
    assert len(_SlowChecker.made) == 1
    assert all(g is _SlowChecker.made[0] for g in got)
    env.close()
    env.close()
