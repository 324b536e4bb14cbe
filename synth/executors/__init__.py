"""Executors: where shard tasks run. Both take the same tasks, so a pipeline runs unchanged under either."""

from __future__ import annotations

from synth.errors import RecipeError
from synth.pipeline import Executor
from synth.recipe import Recipe


def make_executor(kind: str, recipe: Recipe) -> Executor:
    """`local` (one spawned process per shard) or `ray` (one Ray task per shard)."""
    if kind == "local":
        from synth.executors.local import LocalExecutor

        return LocalExecutor(workers=recipe.executor.workers or recipe.shards)
    if kind == "ray":
        from synth.executors.ray import RayExecutor

        return RayExecutor(address=recipe.executor.ray_address)
    raise RecipeError(f"unknown executor {kind!r}: use local or ray")
