"""Training stages on trl: `qft` (question fine-tuning), `qpo` (question preference optimisation, DPO)
and `sft` (the solver). Each gathers its rows, hands one job to `synth.train.launch` and marks itself
done only once the checkpoint, its training card and loss curve are completely written."""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from harness.config import stable_hash
from synth.context import Resources
from synth.errors import RecipeError, SynthError
from synth.io import StageDir, atomic_write_json, atomic_write_lines
from synth.stages.base import BaseStage, local_checkpoints
from synth.train.settings import TRAINER_DIR, TrainSettings

TEMPLATES = ("", "chatml")
"""Named chat templates an sft base may be given ('' keeps the base's own; a path names a .jinja file)."""


def parse_sources(raw: Any) -> tuple[dict[str, Any], ...]:
    """`data:` entries: `{path, field?, limit?}` (a jsonl file) or `{from_stage: NAME}` (its records)."""
    if not isinstance(raw, (list, tuple)) or not raw:
        raise RecipeError("data: must be a non-empty list of sources ({path: FILE, field: NAME} or {from_stage: NAME})")
    out = []
    for src in raw:
        if not isinstance(src, Mapping) or ("path" in src) == ("from_stage" in src):
            raise RecipeError(f"data: each source needs exactly one of path or from_stage, got {src!r}")
        unknown = set(src) - {"path", "field", "limit", "from_stage"}
        if unknown:
            raise RecipeError(f"data: unknown key {sorted(unknown)[0]!r} in source {src!r}")
        out.append(dict(src))
    return tuple(out)


@dataclass(frozen=True)
class _TrainConfig(TrainSettings):
    model: str
    """Model role of the base checkpoint (a path, or `from_stage` of an earlier training stage)."""
    data: tuple[Any, ...]

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "data", parse_sources(self.data))

    def settings(self) -> TrainSettings:
        return TrainSettings(**{f: getattr(self, f) for f in TrainSettings.__dataclass_fields__})


class TrainStage(BaseStage):
    """A stage whose product is a checkpoint: one job, no shards, no records."""

    scope = "train"
    consumes = False
    produces_records = False
    default_resources: ClassVar[Resources] = Resources(cpus=1.0, gpus=0.0)
    kind: ClassVar[str]
    cfg: Any

    def checkpoints(self) -> list[tuple[str, str]]:
        return local_checkpoints(self.recipe, self.roles(), self.name)

    def sources(self) -> list[str]:
        return [s["from_stage"] for s in self.cfg.data if "from_stage" in s]

    def base_path(self) -> str:
        return self.recipe.model(self.cfg.model, f"stages.{self.name}").model

    def rows(self, task: Any, tok: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(training rows, eval rows) in the trainer's format."""
        raise NotImplementedError

    def job_extra(self, tok: Any) -> dict[str, Any]:
        return {}

    def load_tokenizer(self) -> Any:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(self.base_path())

    def train(self, task: Any) -> dict[str, Any]:
        """The stage's one job: gather its rows, then `fit`."""
        tok = self.load_tokenizer()
        rows, eval_rows = self.rows(task, tok)
        lineage = {d.name: d.key for d in task.dirs[: task.stage_index]}
        return self.fit(task.stage_dir, tok, rows, eval_rows, lineage, list(self.cfg.data))

    def fit(self, sd: StageDir, tok: Any, rows: list[dict[str, Any]], eval_rows: list[dict[str, Any]],
            lineage: dict[str, Any], sources: list[Any]) -> dict[str, Any]:
        """Train on `rows` into `sd` (checkpoint, card, loss curve), then write stats and the done marker."""
        from synth.train.launch import launch

        start = time.monotonic()
        out = sd.root
        spec = {"kind": self.kind, "base": self.base_path(), "out": str(out), "seed": self.recipe.seed,
                "settings": dataclasses.asdict(self.cfg.settings()),
                **self.job_extra(tok),
                "card": {"stage": self.name, "version": self.version, "key": sd.key, "lineage": lineage,
                         "data": {**write_rows(out / "data.jsonl", rows), "sources": sources,
                                  "eval_rows": len(eval_rows)}}}
        spec["data"] = str(out / "data.jsonl")
        if eval_rows:
            write_rows(out / "eval.jsonl", eval_rows)
            spec["eval_data"] = str(out / "eval.jsonl")
        card = launch(spec)
        stats = {"in": len(rows), "out": 0, "dropped": {}, "tokens": {"prompt": card["tokens_seen"], "completion": 0},
                 "seconds": round(time.monotonic() - start, 3),
                 "extra": {"optimizer_steps": card["optimizer_steps"], "loss": card["loss"]["last"]}}
        atomic_write_json(sd.stats(0), stats)
        atomic_write_json(sd.marker(0), {"stage": self.name, "version": self.version, "key": sd.key, "shard": 0,
                                         "records": 0, "sha256": card["checkpoint"]["fingerprint"]})
        # Trainer checkpoints (optimizer state: twice the model) only serve a resume; the stage is done.
        shutil.rmtree(out / TRAINER_DIR, ignore_errors=True)
        return stats


def write_rows(path: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Write the exact rows the trainer reads; returns file, row count and content fingerprint."""
    if not rows:
        raise SynthError(f"no training rows for {path.parent}: check the stage's data sources")
    atomic_write_lines(path, (json.dumps(r, ensure_ascii=False, sort_keys=True) for r in rows))
    return {"file": str(path), "rows": len(rows), "fingerprint": stable_hash(rows, length=64)}


def source_rows(stage: TrainStage, task: Any, src: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The raw rows of one data source: a jsonl file's objects, or a finished stage's record data."""
    if "from_stage" in src:
        names = [d.name for d in task.dirs[: task.stage_index]]
        if src["from_stage"] not in names:
            raise RecipeError(f"stages.{stage.name}.data: from_stage {src['from_stage']!r} is not a stage before it")
        sd = task.dirs[names.index(src["from_stage"])]
        rows = [dict(r.data) for s in range(stage.recipe.shards) for r in sd.read_records(s)]
    else:
        from harness.data import read_jsonl

        path = Path(src["path"])
        if not path.is_file():
            raise SynthError(f"stages.{stage.name}.data: training file not found: {path}")
        rows = read_jsonl(path)
    limit = int(src.get("limit") or 0)
    return rows[:limit] if limit else rows


def need_fields(rows: list[dict[str, Any]], fields: tuple[str, ...], where: str) -> None:
    """One line naming the first row that lacks a field the trainer needs."""
    if not rows:
        raise SynthError(f"{where}: the training data has no rows")
    for n, row in enumerate(rows, 1):
        missing = [f for f in fields if not isinstance(row, Mapping) or f not in row]
        if missing:
            found = ", ".join(sorted(row)) if isinstance(row, Mapping) else type(row).__name__
            raise SynthError(f"{where}: row {n} has no {missing[0]!r} field (found: {found}); "
                             f"each row needs {', '.join(fields)}")

