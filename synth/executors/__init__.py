"""Executors: where shard tasks run. Both take the same tasks, so a pipeline runs unchanged under either."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from synth.errors import RecipeError

if TYPE_CHECKING:
    from synth.shardrun import ShardTask


class Executor(Protocol):
    """Runs tasks (shard tasks, scale-up points) somewhere (local processes, Ray tasks) and returns their
    results in order."""

    name: str

    def map(self, fn: Callable[[ShardTask], dict[str, Any]], tasks: Sequence[ShardTask],
            cpus: float, gpus: float) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


def make_executor(kind: str, workers: int = 1, address: str = "") -> Executor:
    """`local` (one spawned process per task, `workers` at a time) or `ray` (one Ray task per task)."""
    if kind == "local":
        from synth.executors.local import LocalExecutor

        return LocalExecutor(workers=workers)
    if kind == "ray":
        from synth.executors.ray import RayExecutor

        return RayExecutor(address=address)
    raise RecipeError(f"unknown executor {kind!r}: use local or ray")
