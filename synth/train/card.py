"""The training card (`training_card.json`) and loss curve (`loss.png`) written beside a checkpoint:
what was trained, on what, how, and what came out, so every downstream score traces back to its data."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from synth.io import atomic_write_json
from synth.train.settings import CARD, CHECKPOINT, LOSS_PNG, TrainSettings

_EVAL_KEYS = ("eval_loss", "eval_rewards/accuracies", "eval_rewards/margins", "eval_rewards/chosen",
              "eval_rewards/rejected")


def eval_metrics(trainer: Any) -> dict[str, float]:
    """Held-out loss and (DPO) reward accuracy and margins."""
    metrics = trainer.evaluate()
    return {k: round(float(v), 6) for k, v in metrics.items() if k in _EVAL_KEYS}


def versions() -> dict[str, str]:
    import accelerate
    import torch
    import transformers
    import trl

    import harness

    return {"trl": trl.__version__, "transformers": transformers.__version__, "torch": torch.__version__,
            "accelerate": accelerate.__version__, "harness": harness.__version__}


def losses(log_history: list[dict[str, Any]]) -> list[tuple[int, float]]:
    """(step, training loss) of every logged step."""
    return [(int(e["step"]), float(e["loss"])) for e in log_history if "loss" in e and "step" in e]


def plot_loss(points: list[tuple[int, float]], title: str, path: Path) -> None:
    """The loss curve as a PNG (bare Figure on the Agg canvas: no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    if points:
        ax.plot([p[0] for p in points], [p[1] for p in points], marker=".")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("training loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_card(spec: dict[str, Any], s: TrainSettings, trainer: Any, out: Path, *, wall: float,
               resumed: Path | None, evals: dict[str, Any] | None) -> dict[str, Any]:
    """Write the card and the loss curve; returns the card."""
    from harness.store.identity import checkpoint_fingerprint
    state = trainer.state
    points = losses(state.log_history)
    card = {
        **spec["card"],
        "kind": spec["kind"],
        "base_model": {"path": spec["base"], "fingerprint": checkpoint_fingerprint(Path(spec["base"]))},
        "hyperparameters": {**dataclasses.asdict(s), "global_batch": s.global_batch,
                            **{k: spec[k] for k in ("beta", "loss_type") if k in spec}},
        "versions": versions(),
        "seed": spec["seed"],
        "optimizer_steps": int(state.global_step),
        "max_steps": int(state.max_steps),
        "tokens_seen": int(getattr(state, "num_input_tokens_seen", 0) or 0),
        "wall_seconds": round(wall, 2),
        "resumed_from": resumed.name if resumed else None,
        "loss": {"first": points[0][1] if points else None, "last": points[-1][1] if points else None,
                 "curve": points},
        "heldout": evals,
        "checkpoint": {"path": CHECKPOINT, "fingerprint": checkpoint_fingerprint(out / CHECKPOINT)},
    }
    plot_loss(points, f"{spec['card'].get('stage', spec['kind'])}: training loss", out / LOSS_PNG)
    atomic_write_json(out / CARD, card)
    return card


def read_card(stage_root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((stage_root / CARD).read_text())
    return data
