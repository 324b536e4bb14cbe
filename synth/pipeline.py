"""Drives a recipe: stage keys and folders, skipping completed shards, global plans, finalizers."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from harness.config import stable_hash
from synth.errors import CheckpointError, MissingInputError, RecipeError
from synth.io import StageDir, atomic_write_json
from synth.recipe import Recipe
from synth.stage import ShardTask, run_plan, run_shard


class Executor(Protocol):
    """Runs shard tasks somewhere (local processes, Ray tasks) and returns their results in order."""

    name: str

    def map(self, fn: Callable[[ShardTask], dict[str, Any]], tasks: Sequence[ShardTask],
            cpus: float, gpus: float) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


def stage_dirs(recipe: Recipe, out: str | Path) -> list[StageDir]:
    """The folder of every stage; each key chains the previous one, so a change moves all later stages."""
    from synth.stages import build_stage

    dirs: list[StageDir] = []
    parent = stable_hash({"recipe_seed": recipe.seed, "shards": recipe.shards})
    for i, (name, _) in enumerate(recipe.stages):
        stage = build_stage(recipe, i)
        key = stable_hash({"parent": parent, "name": name, "version": stage.version, "config": stage.config()},
                          length=12)
        root = Path(out) / f"{i:02d}-{name}" / f"v{stage.version}-{key}"
        dirs.append(StageDir(root=root, name=name, version=stage.version, key=key))
        parent = key
    return dirs


def plan_path(stage_dir: StageDir) -> Path:
    return stage_dir.root / "plan.json"


def load_plan(stage_dir: StageDir) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(plan_path(stage_dir).read_text())
    if data.get("key") != stage_dir.key:
        raise MissingInputError(f"{plan_path(stage_dir)} belongs to another stage version; delete it and rerun")
    return data["plan"]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class StageRun:
    """What one `run` did for one stage."""

    name: str
    dir: str
    ran: tuple[int, ...]
    skipped: tuple[int, ...]


def check_checkpoints(recipe: Recipe, names: Sequence[str]) -> None:
    """Fail before any work when a checkpoint a selected stage needs is missing."""
    from synth.stages import build_stage

    for i, (name, _) in enumerate(recipe.stages):
        if name not in names:
            continue
        for label, path in build_stage(recipe, i).checkpoints():
            if not Path(path).exists():
                hint = " (build the tiny ones with `synth build-tiny DIR`)" if recipe.name == "tiny" else ""
                raise CheckpointError(f"stage {name}: checkpoint {label} not found at {path}{hint}")


def _select(recipe: Recipe, only: Sequence[str] | None) -> list[str]:
    if not only:
        return recipe.stage_names
    unknown = [s for s in only if s not in recipe.stage_names]
    if unknown:
        raise RecipeError(f"--stages: {unknown[0]!r} is not a stage of {recipe.path} ({', '.join(recipe.stage_names)})")
    return [s for s in recipe.stage_names if s in only]


def run_pipeline(recipe: Recipe, out: str | Path, executor: Executor,
                 only: Sequence[str] | None = None) -> list[StageRun]:
    """Run the selected stages in order, each over its missing shards only."""
    from synth.stages import build_stage

    selected = _select(recipe, only)
    check_checkpoints(recipe, selected)
    dirs = stage_dirs(recipe, out)
    runs: list[StageRun] = []
    for i, (name, _) in enumerate(recipe.stages):
        if name not in selected:
            continue
        stage, sd = build_stage(recipe, i), dirs[i]
        if i > 0:
            missing_in = [s for s in range(recipe.shards) if not dirs[i - 1].is_done(s)]
            if missing_in:
                raise MissingInputError(
                    f"stage {name} needs {dirs[i - 1].name} shards {missing_in} in {dirs[i - 1].root}: "
                    f"run stage {dirs[i - 1].name} first"
                )
        sd.root.mkdir(parents=True, exist_ok=True)
        meta = {"name": name, "version": stage.version, "key": sd.key, "config": stage.config(),
                "shards": recipe.shards, "recipe": recipe.path}
        if not (sd.root / "stage.json").exists():
            atomic_write_json(sd.root / "stage.json", meta)
        todo = [s for s in range(recipe.shards) if not sd.is_done(s)]
        if todo and stage.scope == "global" and not plan_path(sd).exists():
            executor.map(run_plan, [ShardTask(recipe, i, -1, str(out))], stage.resources.cpus, stage.resources.gpus)
        tasks = [ShardTask(recipe, i, s, str(out)) for s in todo]
        if tasks:
            executor.map(run_shard, tasks, stage.resources.cpus, stage.resources.gpus)
        stage.finalize(sd, dirs[: i + 1], Path(out))
        runs.append(StageRun(name, str(sd.root), tuple(todo),
                             tuple(s for s in range(recipe.shards) if s not in todo)))
    return runs
