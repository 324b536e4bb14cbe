"""Shared grading resources (the math worker pool, the code sandbox), created lazily and closed once."""

from __future__ import annotations

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

    def math(self) -> MathChecker:
        """The math equivalence checker (a killable process pool), started on first use."""
        if self._math is None:
            from harness.grade.math_equiv import MathChecker

            self._math = MathChecker(self.math_config)
        return self._math  # type: ignore[no-any-return]

    def sandbox(self) -> Sandbox:
        """The code sandbox in force (bubblewrap where it works, else the local fallback)."""
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
        for res in (self._math, self._sandbox):
            if res is not None:
                res.close()
        self._math = None
        self._sandbox = None
