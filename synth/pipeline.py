"""Drives a recipe: runs the planned stages in order, each over its missing shards (or its one training
job), then the stage's finalizer. Where the work runs is the executor's business."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from synth.errors import CheckpointError, MissingInputError, RecipeError
from synth.executors import Executor
from synth.io import StageDir, atomic_write_json
from synth.plan import resolve_models, stage_dirs
from synth.recipe import Recipe
from synth.shardrun import ShardTask, plan_path, run_plan, run_shard, run_train
from synth.stages import build_stage


@dataclass(frozen=True)
class StageRun:
    """What one `run` did for one stage."""

    name: str
    dir: str
    ran: tuple[int, ...]
    skipped: tuple[int, ...]
    trains: bool = False

    def summary(self) -> str:
        if self.trains:
            return f"{self.name:20s} {'trained' if self.ran else 'already trained'}  {self.dir}"
        return f"{self.name:20s} ran {len(self.ran)} shard(s), skipped {len(self.skipped)} done  {self.dir}"


def check_checkpoints(recipe: Recipe, names: Sequence[str]) -> None:
    """Fail before any work when a checkpoint a selected stage needs is missing."""
    for i, (name, _) in enumerate(recipe.stages):
        if name not in names:
            continue
        for label, path in build_stage(recipe, i).checkpoints():
            if not Path(path).exists():
                hint = " (build the tiny ones with `synth build-tiny DIR`)" if recipe.name.startswith("tiny") else ""
                raise CheckpointError(f"stage {name}: checkpoint {label} not found at {path}{hint}")


def _select(recipe: Recipe, only: Sequence[str] | None) -> list[str]:
    if not only:
        return recipe.stage_names
    unknown = [s for s in only if s not in recipe.stage_names]
    if unknown:
        raise RecipeError(f"--stages: {unknown[0]!r} is not a stage of {recipe.path} ({', '.join(recipe.stage_names)})")
    return [s for s in recipe.stage_names if s in only]


def _units(recipe: Recipe, scope: str) -> range:
    return range(1) if scope == "train" else range(recipe.shards)


def _check_input(recipe: Recipe, dirs: list[StageDir], i: int) -> None:
    """The records a stage reads and the checkpoints of training stages it uses must be done."""
    stage = build_stage(recipe, i)
    by_name = {d.name: d for d in dirs}
    for role in stage.roles():
        source = recipe.model_stages.get(role)
        if source is not None and not by_name[source].is_done(0):
            raise MissingInputError(f"stage {stage.name} uses model {role!r} from stage {source}, which has not "
                                    f"finished in {by_name[source].root}: run stage {source} first")
    if i == 0 or not stage.consumes:
        return
    prev = dirs[i - 1]
    missing = [s for s in range(recipe.shards) if not prev.is_done(s)]
    if missing:
        raise MissingInputError(f"stage {stage.name} needs {prev.name} shards {missing} in {prev.root}: "
                                f"run stage {prev.name} first")


def _record_chain(recipe: Recipe, dirs: list[StageDir], i: int) -> list[StageDir]:
    """The record stages that lead to stage i: those after the last training stage before it."""
    start = max((j + 1 for j in range(i) if not build_stage(recipe, j).produces_records), default=0)
    return dirs[start: i + 1]


def run_pipeline(recipe: Recipe, out: str | Path, executor: Executor,
                 only: Sequence[str] | None = None) -> list[StageRun]:
    """Run the selected stages in order, each over its missing shards only."""
    selected = _select(recipe, only)
    check_checkpoints(recipe, selected)
    dirs = stage_dirs(recipe, out)
    recipe = resolve_models(recipe, dirs)
    runs: list[StageRun] = []
    for i, (name, _) in enumerate(recipe.stages):
        if name not in selected:
            continue
        stage, sd = build_stage(recipe, i), dirs[i]
        _check_input(recipe, dirs, i)
        units = _units(recipe, stage.scope)
        sd.root.mkdir(parents=True, exist_ok=True)
        meta = {"name": name, "version": stage.version, "key": sd.key, "config": stage.config(),
                "shards": len(units), "recipe": recipe.path}
        if not (sd.root / "stage.json").exists():
            atomic_write_json(sd.root / "stage.json", meta)
        todo = [s for s in units if not sd.is_done(s)]
        tasks = {s: ShardTask(recipe, i, s, str(out), tuple(dirs)) for s in [-1, *todo]}
        if todo and stage.scope == "global" and not plan_path(sd).exists():
            executor.map(run_plan, [tasks[-1]], stage.resources.cpus, stage.resources.gpus)
        if todo:
            fn = run_train if stage.scope == "train" else run_shard
            executor.map(fn, [tasks[s] for s in todo], stage.resources.cpus, stage.resources.gpus)
        stage.finalize(sd, _record_chain(recipe, dirs, i), Path(out))
        runs.append(StageRun(name, str(sd.root), tuple(todo), tuple(s for s in units if s not in todo),
                             trains=stage.scope == "train"))
    return runs
