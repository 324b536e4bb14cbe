"""The code that runs one unit of a stage (one shard, a global plan, or a training job), the same in
every executor. A task carries the stage folders the driver planned, so nothing here imports the driver."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synth.context import ShardContext, ShardStats
from synth.errors import MissingInputError
from synth.io import StageDir, atomic_write_json, atomic_write_lines
from synth.recipe import Recipe
from synth.records import Dropped, Record


@dataclass(frozen=True)
class ShardTask:
    """One unit of executor work: stage `stage_index` of a recipe on one shard (-1: the global plan;
    0 for a training stage's single job). `dirs` is every stage's folder, as the driver planned them."""

    recipe: Recipe
    stage_index: int
    shard: int
    out: str
    dirs: tuple[StageDir, ...]

    @property
    def stage_dir(self) -> StageDir:
        return self.dirs[self.stage_index]


def plan_path(stage_dir: StageDir) -> Path:
    return stage_dir.root / "plan.json"


def load_plan(stage_dir: StageDir) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(plan_path(stage_dir).read_text())
    if data.get("key") != stage_dir.key:
        raise MissingInputError(f"{plan_path(stage_dir)} belongs to another stage version; delete it and rerun")
    return data["plan"]  # type: ignore[no-any-return]


def _pin_threads(cpus: float) -> None:
    """Same torch thread count under every executor, so float results (and samples) match."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(max(1, int(cpus)))


def _counting(records: Iterator[Record], stats: ShardStats) -> Iterator[Record]:
    for rec in records:
        stats.n_in += 1
        yield rec


def _inputs(task: ShardTask, shards: range | list[int]) -> Iterator[Record]:
    """The previous stage's records (none for a stage that consumes no records)."""
    from synth.stages import stage_classes

    name = task.recipe.stages[task.stage_index][0]
    if task.stage_index == 0 or not stage_classes()[name].consumes:
        return
    prev = task.dirs[task.stage_index - 1]
    for shard in shards:
        yield from prev.read_records(shard)


def run_plan(task: ShardTask) -> dict[str, Any]:
    """Compute a global stage's plan over all input shards and store it atomically."""
    from synth.stages import build_stage

    stage = build_stage(task.recipe, task.stage_index)
    stats = ShardStats()
    ctx = ShardContext(task.recipe, -1, task.recipe.shards, f"{stage.name}@{stage.version}", stats)
    start = time.monotonic()
    plan = stage.plan(_counting(_inputs(task, range(task.recipe.shards)), stats), ctx)
    atomic_write_json(plan_path(task.stage_dir), {"key": task.stage_dir.key, "plan": plan})
    return {"seconds": time.monotonic() - start, "in": stats.n_in}


def run_shard(task: ShardTask) -> dict[str, Any]:
    """Run one stage on one shard and commit it: data, dropped, stats, then the marker, last."""
    from synth.stages import build_stage

    stage_dir = task.stage_dir
    if stage_dir.is_done(task.shard):
        return {"skipped": True}
    stage = build_stage(task.recipe, task.stage_index)
    stats = ShardStats()
    plan = load_plan(stage_dir) if stage.scope == "global" else None
    ctx = ShardContext(task.recipe, task.shard, task.recipe.shards, f"{stage.name}@{stage.version}", stats, plan)
    start = time.monotonic()
    stage.open(ctx)
    _pin_threads(stage.resources.cpus)
    dropped: list[Dropped] = []

    def kept_lines() -> Iterator[str]:
        for item in stage.process(_counting(_inputs(task, [task.shard]), stats), ctx):
            if isinstance(item, Dropped):
                dropped.append(item)
                stats.dropped[item.reason] += 1
            else:
                stats.n_out += 1
                yield item.to_json()

    try:
        digest = atomic_write_lines(stage_dir.data(task.shard), kept_lines())
    finally:
        stage.close()
    atomic_write_lines(
        stage_dir.dropped(task.shard),
        (json.dumps({"reason": d.reason, "record": json.loads(d.record.to_json())}) for d in dropped),
    )
    stats.seconds = time.monotonic() - start
    atomic_write_json(stage_dir.stats(task.shard), stats.to_json())
    marker = {"stage": stage.name, "version": stage.version, "key": stage_dir.key, "shard": task.shard,
              "records": stats.n_out, "sha256": digest}
    atomic_write_json(stage_dir.marker(task.shard), marker)
    return stats.to_json()


def run_train(task: ShardTask) -> dict[str, Any]:
    """Run a training stage's one job (in this process or under `accelerate launch`) and mark it done."""
    from synth.stages import build_stage

    stage_dir = task.stage_dir
    if stage_dir.is_done(0):
        return {"skipped": True}
    stage = build_stage(task.recipe, task.stage_index)
    _pin_threads(stage.resources.cpus)
    return stage.train(task)  # type: ignore[attr-defined, no-any-return]
