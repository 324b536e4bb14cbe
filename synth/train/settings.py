"""The hyperparameters of a training job: every one is set in the recipe and written to the card."""

from __future__ import annotations

from dataclasses import dataclass

from synth.errors import RecipeError

LAUNCHERS = ("inprocess", "accelerate")
SFT_LOSSES = ("trl", "model")
"""SFT loss code paths, same value: trl (SFTTrainer's fused LM head, for memory on GPUs, plus entropy and
token-accuracy logs) or model (the model's own cross-entropy, as transformers' Trainer: faster on a CPU,
where the fused head has no kernel)."""

# What a training stage's folder holds.
CHECKPOINT = "checkpoint"
CARD = "training_card.json"
LOSS_PNG = "loss.png"
TRAINER_DIR = "trainer"
"""Trainer checkpoints (`checkpoint-N`), kept only until the stage is done: what a killed run resumes from."""


@dataclass(frozen=True)
class TrainSettings:
    """What trl's config gets. Global batch = batch_size x grad_accum x num_processes."""

    epochs: float
    learning_rate: float
    lr_scheduler: str
    """transformers scheduler name (cosine, linear, constant_with_warmup, ...)."""
    warmup_ratio: float
    warmup_steps: int
    """> 0 overrides warmup_ratio (QPO: 20 steps)."""
    batch_size: int
    """Per device."""
    grad_accum: int
    max_length: int
    packing: bool
    bf16: bool
    weight_decay: float
    optim: str
    """transformers optimizer name (adamw_torch; the paper's QFT used paged_adamw_32bit)."""
    save_steps: int
    """Trainer checkpoint interval in optimizer steps: what a killed run resumes from."""
    logging_steps: int
    device: str
    """cpu, or auto (the accelerator when there is one)."""
    launcher: str
    """inprocess, or accelerate (`accelerate launch` with `accelerate_config`, e.g. recipes/zero3.yaml)."""
    num_processes: int
    accelerate_config: str
    def __post_init__(self) -> None:
        if self.launcher not in LAUNCHERS:
            raise RecipeError(f"launcher: {self.launcher!r} is not one of {', '.join(LAUNCHERS)}")
        if self.device not in ("cpu", "auto"):
            raise RecipeError(f"device: {self.device!r} is not cpu or auto")
        for name in ("batch_size", "grad_accum", "save_steps", "logging_steps", "num_processes", "max_length"):
            if int(getattr(self, name)) < 1:
                raise RecipeError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if self.epochs <= 0 or self.learning_rate <= 0:
            raise RecipeError("epochs and learning_rate must be > 0")

    @property
    def global_batch(self) -> int:
        return self.batch_size * self.grad_accum * self.num_processes
