"""The scale-up loop: order the rows, cut nested subsets, train and evaluate the points that are not done
(through a synth executor), compare each point with the one before and with the base, and gate."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.config import stable_hash
from synth.executors import Executor
from synth.io import atomic_write_json, atomic_write_lines
from synth.scaleup.config import ScaleUpConfig
from synth.scaleup.data import corrupt, ordered, read_sources, resolve_sizes
from synth.scaleup.point import PointTask, point_key, run_point

POINT_MARKER = "point.json"


@dataclass(frozen=True)
class Point:
    """A finished point: its size, subset fingerprint and run directory."""

    size: int
    subset: str
    root: str
    run: str
    corrupted: bool


def ensure_data(cfg: ScaleUpConfig, executor_kind: str) -> None:
    """Run the recipe named by `data.when_missing` when the first export source does not exist yet."""
    first = cfg.data.sources[0]
    missing = "export" in first and not (Path(first["export"]) / "export" / "sft.jsonl").is_file()
    if not (missing and cfg.data.when_missing):
        return
    from synth.executors import make_executor
    from synth.pipeline import run_pipeline
    from synth.plan import load_recipe

    named = Path(cfg.data.when_missing["recipe"])
    # relative to the working folder, else to the project folder the scale-up recipe sits in
    beside = Path(cfg.path).resolve().parent.parent / named
    recipe = load_recipe(named if named.exists() or named.is_absolute() or not beside.exists() else beside)
    print(f"scale-up: no export in {first['export']}: running {recipe.path} first", flush=True)
    executor = make_executor(executor_kind, recipe.executor.workers or recipe.shards, recipe.executor.ray_address)
    try:
        for run in run_pipeline(recipe, first["export"], executor):
            print(run.summary(), flush=True)
    finally:
        executor.close()


def plan_points(cfg: ScaleUpConfig) -> list[PointTask]:
    """The base (size 0) and one task per size, each with its subset written once."""
    out = Path(cfg.out)
    rows = ordered(read_sources(cfg.data.sources), cfg.data.order_seed, out)
    tasks = [PointTask(cfg, 0, "", str(out / "points" / "base"), "")]
    for n in resolve_sizes(cfg.sizes, len(rows)):
        subset = rows[:n]
        if n in cfg.data.corrupt_sizes:
            subset = corrupt(subset, cfg.data.order_seed)
        fp = stable_hash(subset, length=64)
        # size, subset and training key: a changed SFT setting or base trains into a new folder
        root = out / "points" / f"{n:09d}-{fp[:12]}-{point_key(cfg, fp)}"
        rows_file = root / "rows.jsonl"
        if not rows_file.is_file():
            atomic_write_lines(rows_file, (json.dumps(r, ensure_ascii=False, sort_keys=True) for r in subset))
        tasks.append(PointTask(cfg, n, fp, str(root), str(rows_file)))
    return tasks


def _marker(task: PointTask, code: str) -> dict[str, Any]:
    # The harness code is part of the eval key: a grader fix re-evaluates (training stays, by its own key).
    return {"size": task.size, "subset": task.subset, "train_key": point_key(task.cfg, task.subset) if task.size
            else "", "eval": stable_hash([task.cfg.eval, task.cfg.base, code])}


def _done(task: PointTask, code: str) -> Point | None:
    path = Path(task.root) / POINT_MARKER
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if {k: data.get(k) for k in ("size", "subset", "train_key", "eval")} != _marker(task, code):
        return None
    if not (Path(data["run"]) / "metrics.json").is_file():
        return None
    return Point(task.size, task.subset, task.root, data["run"], task.size in task.cfg.data.corrupt_sizes)


def run_points(cfg: ScaleUpConfig, tasks: Sequence[PointTask], executor: Executor) -> list[Point]:
    """Run every point that is not done (in parallel where the executor allows), mark each done."""
    from harness.store.rerun import default_source_roots, source_digest

    code = source_digest(default_source_roots())  # once: it reads every harness source file
    todo = [t for t in tasks if _done(t, code) is None]
    if todo:
        results = executor.map(run_point, todo, cfg.resources.cpus, cfg.resources.gpus)  # type: ignore[arg-type]
        for task, res in zip(todo, results, strict=True):
            atomic_write_json(Path(task.root) / POINT_MARKER, {**_marker(task, code), "run": res["run"]})
    points = [_done(t, code) for t in tasks]
    assert all(p is not None for p in points), "every point was just run"
    return [p for p in points if p is not None]
