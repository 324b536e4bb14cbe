"""One scale-up point: SFT of the base on a nested subset, then `harness eval` of the checkpoint, tagged
with the subset's size and fingerprint and the training card. A task runs under any synth executor
(local process, Ray task with the recipe's GPUs); both halves resume and skip what is done."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.config import stable_hash
from synth.errors import SynthError
from synth.io import StageDir
from synth.recipe import ExecutorConfig, Recipe
from synth.scaleup.config import ScaleUpConfig
from synth.train.settings import CARD, CHECKPOINT

EVAL_DIR = "eval"


@dataclass(frozen=True)
class PointTask:
    """Train (unless `size` is 0: the base model itself) and evaluate one point."""

    cfg: ScaleUpConfig
    size: int
    subset: str
    """Fingerprint of the subset's rows ('' for the base)."""
    root: str
    rows_file: str

    @property
    def sft_dir(self) -> StageDir:
        from synth.stages.training import Sft

        return StageDir(Path(self.root) / "sft", "sft", Sft.version, point_key(self.cfg, self.subset))


def point_key(cfg: ScaleUpConfig, subset: str) -> str:
    """What a point's checkpoint depends on: the subset, the base, the SFT settings and the seed."""
    from dataclasses import asdict

    return stable_hash({"subset": subset, "base": cfg.base.model, "sft": asdict(cfg.sft), "seed": cfg.seed},
                       length=12)


def _sft_stage(cfg: ScaleUpConfig) -> Any:
    from synth.stages.training import Sft

    recipe = Recipe(name=cfg.name, path=cfg.path, seed=cfg.seed, shards=1, data_dir="", models={"base": cfg.base},
                    model_stages={}, stages=(("sft", {}),), resources={}, executor=ExecutorConfig())
    return Sft(cfg.sft, recipe, None)


def train_point(task: PointTask) -> Path:
    """The point's checkpoint, trained now unless its done marker is there."""
    sd = task.sft_dir
    if not sd.is_done(0):
        stage = _sft_stage(task.cfg)
        rows = [json.loads(line) for line in Path(task.rows_file).read_text().splitlines() if line.strip()]
        sd.root.mkdir(parents=True, exist_ok=True)
        lineage = {"subset_fingerprint": task.subset, "size": task.size,
                   "order": str(Path(task.cfg.out) / "order.json")}
        stage.fit(sd, stage.load_tokenizer(), rows, [], lineage, list(task.cfg.data.sources))
    return sd.root / CHECKPOINT


def eval_argv(task: PointTask, ckpt: Path) -> list[str]:
    """The `harness eval` command of a point (also what a user would type)."""
    e, b = task.cfg.eval, task.cfg.base
    argv = ["eval", str(ckpt), "--preset", e.preset, "--backend", b.kind, "--max-tokens", str(e.max_tokens),
            "--n", str(e.n), "--temperature", str(e.temperature), "--seed", str(e.seed),
            "--out", str(Path(task.root) / EVAL_DIR), "--tag", f"size={task.size}", "--tag", f"subset={task.subset}"]
    argv += ["--benchmarks", ",".join(e.benchmarks)] if e.benchmarks else ["--suite", e.suite]
    if e.limit:
        argv += ["--limit", str(e.limit)]
    if b.kind == "hf":
        argv += ["--device", b.device]
    if task.size:
        argv += ["--tag", f"training_card={task.sft_dir.root / CARD}"]
    return argv


def _pin_threads(cpus: float) -> None:
    """torch threads = the point's CPUs (more threads than cores slow tiny models down many times)."""
    import torch

    torch.set_num_threads(max(1, int(cpus)))


def run_point(task: PointTask) -> dict[str, Any]:
    """Train (points after the base) and evaluate; returns the run directory."""
    from harness.cli import main as harness_main

    _pin_threads(task.cfg.resources.cpus)
    ckpt = train_point(task) if task.size else Path(task.cfg.base.model)
    code = harness_main(eval_argv(task, ckpt))
    if code != 0:
        raise SynthError(f"harness eval of point {task.size} exited with {code}; see its output above")
    runs = sorted(p.parent for p in (Path(task.root) / EVAL_DIR).glob("*/manifest.json"))
    if len(runs) != 1:
        raise SynthError(f"expected one run in {Path(task.root) / EVAL_DIR}, found {len(runs)}: delete the folder "
                         "and rerun")
    return {"size": task.size, "run": str(runs[0])}
