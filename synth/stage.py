"""What a stage sees of its shard, and the code that runs one stage over one shard (the same in every executor).

Stages themselves derive from `synth.stages.base.BaseStage`."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from synth.io import StageDir, atomic_write_json, atomic_write_lines
from synth.records import Dropped, Record

if TYPE_CHECKING:
    from synth.recipe import Recipe


@dataclass(frozen=True)
class Resources:
    """What one shard task of a stage needs from the executor (Ray uses it to place tasks)."""

    cpus: float = 1.0
    gpus: float = 0.0


@dataclass
class ShardStats:
    """Counters for one shard of one stage, accumulated by the stage and written as JSON."""

    n_in: int = 0
    n_out: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def add_tokens(self, prompt: int, completion: int) -> None:
        self.prompt_tokens += prompt
        self.completion_tokens += completion

    def to_json(self) -> dict[str, Any]:
        return {
            "in": self.n_in,
            "out": self.n_out,
            "dropped": dict(sorted(self.dropped.items())),
            "tokens": {"prompt": self.prompt_tokens, "completion": self.completion_tokens},
            "seconds": round(self.seconds, 3),
            "extra": self.extra,
        }


@dataclass
class ShardContext:
    """What a stage may know about the shard it runs on."""

    recipe: Recipe
    shard: int
    num_shards: int
    step: str
    """`name@version`, appended to each record's trail."""
    stats: ShardStats
    plan: Mapping[str, Any] | None = None
    """A global stage's decisions, computed once over all shards (see `BaseStage.plan`)."""

    def seed(self, *parts: object) -> int:
        """A deterministic seed for (recipe seed, stage, shard, parts): reruns reproduce each shard."""
        blob = json.dumps([self.recipe.seed, self.step, self.shard, *map(str, parts)])
        return int(hashlib.sha256(blob.encode()).hexdigest()[:8], 16)


Outcome = Record | Dropped


@dataclass(frozen=True)
class ShardTask:
    """One unit of executor work: a stage of a recipe on one shard (shard -1: the global plan)."""

    recipe: Recipe
    stage_index: int
    shard: int
    out: str


def _pin_threads(cpus: float) -> None:
    """Same torch thread count under every executor, so float results (and samples) match."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(max(1, int(cpus)))


def _counting(records: Iterator[Record], stats: ShardStats) -> Iterator[Record]:
    for rec in records:
        stats.n_in += 1
        yield rec


def _inputs(task: ShardTask, shards: range | list[int]) -> Iterator[Record]:
    from synth.pipeline import stage_dirs

    if task.stage_index == 0:
        return
    prev = stage_dirs(task.recipe, task.out)[task.stage_index - 1]
    for shard in shards:
        yield from prev.read_records(shard)


def run_plan(task: ShardTask) -> dict[str, Any]:
    """Compute a global stage's plan over all input shards and store it atomically."""
    from synth.pipeline import plan_path, stage_dirs
    from synth.stages import build_stage

    stage_dir = stage_dirs(task.recipe, task.out)[task.stage_index]
    stage = build_stage(task.recipe, task.stage_index)
    stats = ShardStats()
    ctx = ShardContext(task.recipe, -1, task.recipe.shards, f"{stage.name}@{stage.version}", stats)
    start = time.monotonic()
    plan = stage.plan(_counting(_inputs(task, range(task.recipe.shards)), stats), ctx)
    atomic_write_json(plan_path(stage_dir), {"key": stage_dir.key, "plan": plan})
    return {"seconds": time.monotonic() - start, "in": stats.n_in}


def run_shard(task: ShardTask) -> dict[str, Any]:
    """Run one stage on one shard and commit it: data, dropped, stats, then the marker, last."""
    from synth.pipeline import load_plan, stage_dirs
    from synth.stages import build_stage

    stage_dir: StageDir = stage_dirs(task.recipe, task.out)[task.stage_index]
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
