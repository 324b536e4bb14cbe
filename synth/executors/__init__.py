"""Executors: where shard tasks run. Both take the same tasks, so a pipeline runs unchanged under either."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from synth.errors import RecipeError
from synth.recipe import Recipe

if TYPE_CHECKING:
    from synth.shardrun import ShardTask


class Executor(Protocol):
    """Runs shard tasks somewhere (local processes, Ray tasks) and returns their results in order."""

    name: str

    def map(self, fn: Callable[[ShardTask], dict[str, Any]], tasks: Sequence[ShardTask],
            cpus: float, gpus: float) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


def make_executor(kind: str, recipe: Recipe) -> Executor:
    """`local` (one spawned process per shard) or `ray` (one Ray task per shard)."""
    if kind == "local":
        from synth.executors.local import LocalExecutor

        return LocalExecutor(workers=recipe.executor.workers or recipe.shards)
    if kind == "ray":
        from synth.executors.ray import RayExecutor

        return RayExecutor(address=recipe.executor.ray_address)
    raise RecipeError(f"unknown executor {kind!r}: use local or ray")
