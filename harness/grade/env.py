"""Shared grading resources (the math worker pool, the code sandbox), created lazily and closed once."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.config import MathGradeConfig, SandboxConfig

if TYPE_CHECKING:
    from harness.grade.math_equiv import MathChecker
    from harness.sandbox.base import Sandbox


@dataclass
class GradeEnv:
    """Grading resources for one run. Graders receive it; they never create pools themselves."""

    math_config: MathGradeConfig = field(default_factory=MathGradeConfig)
    sandbox_config: SandboxConfig = field(default_factory=SandboxConfig)
    _math: Any = None
    _sandbox: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    """Guards the lazy creation, so threads grading at once share one checker and one sandbox."""

    def math(self) -> MathChecker:
        """The math equivalence checker (a killable process pool), started on first use."""
        with self._lock:
            if self._math is None:
                from harness.grade.math_equiv import MathChecker

                self._math = MathChecker(self.math_config)
            return self._math  # type: ignore[no-any-return]

    def sandbox(self) -> Sandbox:
        """The code sandbox in force (bubblewrap where it works, else the local fallback)."""
        with self._lock:
            if self._sandbox is None:
                from harness.sandbox import select_sandbox

                self._sandbox = select_sandbox(self.sandbox_config)
            return self._sandbox  # type: ignore[no-any-return]

    def describe(self) -> dict[str, Any]:
        """What was actually used, for the manifest."""
        info: dict[str, Any] = {}
        if self._sandbox is not None:
            info["sandbox"] = self._sandbox.describe()
        if self._math is not None:
            info["math"] = self._math.describe()
        return info

    def close(self) -> None:
        """Stop worker pools; safe to call twice."""
        with self._lock:
            resources, self._math, self._sandbox = (self._math, self._sandbox), None, None
        for res in resources:
            if res is not None:
                res.close()
