"""Math answer equivalence: `MathChecker` decides whether an extracted answer equals the gold.

Cheap checks (normalised strings, exact rationals, percents, text and choices, structure) run in
the calling process; only leaves that need sympy go to a persistent pool of killable workers
(`math_pool`), each item under a hard time budget and a memory limit. Rules and tolerances are
documented in `math_compare`; the structure rules (sets, tuples, intervals, matrices, equations,
`\\pm`) in `math_structure`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from harness.config import MathGradeConfig
from harness.grade.math_compare import (
    Hints,
    Prepared,
    Tolerances,
    compare_answers,
    fast_leaf_eq,
    prepare,
    symbolic_allowed,
)
from harness.grade.math_pool import WorkerPool
from harness.grade.math_structure import NeedSympy

GRADER_VERSION = "harness-math-1.3"
"""Bump whenever a rule, a tolerance or the normalisation changes: grades of different versions differ."""


class Verdict(StrEnum):
    EQUAL = "equal"
    NOT_EQUAL = "not_equal"
    TIMEOUT = "timeout"
    ERROR = "error"


@dataclass(frozen=True)
class EquivItem:
    """One comparison: the gold answer, the extracted answer, and the item's grading hints."""

    gold: str
    answer: str
    hints: Hints = field(default_factory=Hints)


@dataclass(frozen=True)
class EquivResult:
    """The verdict and the rule that decided it (for example `numeric_exact`, `set:sympy_probe`)."""

    verdict: Verdict
    rule: str
    detail: str = ""

    @property
    def equal(self) -> bool:
        return self.verdict is Verdict.EQUAL


class MathChecker:
    """Checks many (gold, answer) pairs; symbolic work runs in a killable worker pool started lazily."""

    def __init__(self, config: MathGradeConfig | None = None) -> None:
        self.config = config or MathGradeConfig()
        self._tol = Tolerances(self.config.rel_tol, self.config.abs_tol)
        self._pool: WorkerPool | None = None
        self._lock = threading.Lock()
        self._counts = {"items": 0, "fast": 0, "symbolic": 0, "timeout": 0, "error": 0}

    def _workers(self) -> int:
        return self.config.workers or os.cpu_count() or 1

    def _get_pool(self) -> WorkerPool:
        with self._lock:
            if self._pool is None:
                self._pool = WorkerPool(
                    "harness.grade.math_symbolic:check_symbolic",
                    workers=self._workers(),
                    timeout_s=self.config.timeout_s,
                    memory_mb=self.config.memory_mb,
                    warm="warm_up",
                )
            return self._pool

    def check(self, gold: str, answer: str, hints: Hints | None = None) -> EquivResult:
        """One comparison (a convenience over `check_many`)."""
        return self.check_many([EquivItem(gold, answer, hints or Hints())])[0]

    def check_many(self, items: Sequence[EquivItem]) -> list[EquivResult]:
        """Verdicts in input order. Safe to call from several threads at once."""
        results: list[EquivResult | None] = [None] * len(items)
        symbolic: list[int] = []
        jobs: list[tuple[Prepared, Hints, Tolerances]] = []
        for k, item in enumerate(items):
            fast = self._fast(item)
            if isinstance(fast, Prepared):
                symbolic.append(k)
                jobs.append((fast, item.hints, self._tol))
            else:
                results[k] = fast
        if symbolic:
            for k, outcome in zip(symbolic, self._get_pool().run(jobs), strict=True):
                if outcome.kind == "ok":
                    ok, rule = outcome.value
                    results[k] = EquivResult(Verdict.EQUAL if ok else Verdict.NOT_EQUAL, rule)
                else:
                    results[k] = EquivResult(Verdict(outcome.kind), outcome.kind, outcome.detail)
        final = [r for r in results if r is not None]
        assert len(final) == len(items)  # every item was decided here or by the pool
        with self._lock:
            self._counts["items"] += len(items)
            self._counts["symbolic"] += len(symbolic)
            self._counts["fast"] += len(items) - len(symbolic)
            for r in final:
                if r.verdict in (Verdict.TIMEOUT, Verdict.ERROR):
                    self._counts[r.verdict.value] += 1
        return final

    def _fast(self, item: EquivItem) -> EquivResult | Prepared:
        """The verdict without sympy, or the prepared pair when the item needs the pool."""
        try:
            prep = prepare(item.gold, item.answer, item.hints, self.config.max_answer_chars)
            try:
                ok, rule = compare_answers(prep, item.hints, fast_leaf_eq(item.hints, self._tol))
            except NeedSympy:
                if not symbolic_allowed(prep):
                    return EquivResult(Verdict.NOT_EQUAL, "too_large_for_symbolic")
                return prep
        except RecursionError:
            return EquivResult(Verdict.ERROR, "recursion_limit")
        return EquivResult(Verdict.EQUAL if ok else Verdict.NOT_EQUAL, rule)

    def describe(self) -> dict[str, Any]:
        """Version, limits, tolerances and counters, for the run manifest."""
        info: dict[str, Any] = {
            "grader_version": GRADER_VERSION,
            "workers": self._workers(),
            "timeout_s": self.config.timeout_s,
            "memory_mb": self.config.memory_mb,
            "rel_tol": self.config.rel_tol,
            "abs_tol": self.config.abs_tol,
            "max_answer_chars": self.config.max_answer_chars,
            "counts": dict(self._counts),
        }
        if self._pool is not None:
            info["pool"] = dict(self._pool.stats)
        return info

    def close(self) -> None:
        """Stop the worker pool; safe to call twice."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def __enter__(self) -> MathChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
