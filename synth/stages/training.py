"""The three training stages: what each trains on, and the frame its rows are written in."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synth.chat import end_of_turn, question_prefix
from synth.errors import RecipeError, SynthError
from synth.stages.train import TEMPLATES, TrainStage, _TrainConfig, need_fields, source_rows


def _render(tok: Any, model: str) -> Any:
    from harness.backends.common import render_with_template

    return lambda prompt: render_with_template(tok, prompt, model)


def _check_loss(value: str) -> None:
    from synth.train.settings import SFT_LOSSES

    if value not in SFT_LOSSES:
        raise RecipeError(f"sft_loss: {value!r} is not one of {', '.join(SFT_LOSSES)}")


def _turn_end(tok: Any, model: str, system: str = "") -> str:
    """What ends a turn in the tokenizer's chat template (`<|im_end|>` for ChatML); its eos without one."""
    if not getattr(tok, "chat_template", None):
        return str(tok.eos_token)
    return end_of_turn(_render(tok, model), system, model, tok.eos_token)


def _need_template(tok: Any, stage: str, model: str, fix: str) -> None:
    if not getattr(tok, "chat_template", None):
        raise SynthError(f"stage {stage}: base checkpoint {model} has no chat template; {fix}")


@dataclass(frozen=True)
class QftConfig(_TrainConfig):
    """Paper: GSM8K train + MATH train questions, 1 epoch, lr 2e-5 cosine, warmup 3%, packing to 256
    tokens, global batch 32, bf16. `system`/`prefix` frame the question exactly as `generate` does."""

    system: str
    prefix: str
    sft_loss: str
    """`synth.train.settings.SFT_LOSSES`: trl, or model (same value, faster on a CPU)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_loss(self.sft_loss)


class Qft(TrainStage):
    """Question fine-tuning: the solver learns to write a question after an opened user turn, then end
    the turn. Each row is prefix + question + end-of-turn (loss on all of it, as in the paper)."""

    name = "qft"
    version = "1"
    kind = "qft"
    Config = QftConfig
    cfg: QftConfig

    def _frame(self, tok: Any) -> tuple[str, str]:
        model = self.base_path()
        if not self.cfg.prefix:
            _need_template(tok, self.name, model, "set stages.qft.prefix explicitly or use a chat model")
        prefix = question_prefix(_render(tok, model), self.cfg.system, self.cfg.prefix, model)
        return prefix, tok.eos_token if self.cfg.prefix else _turn_end(tok, model, self.cfg.system)

    def job_extra(self, tok: Any) -> dict[str, Any]:
        return {"eos_token": self._frame(tok)[1], "sft_loss": self.cfg.sft_loss}

    def rows(self, task: Any, tok: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        prefix, eot = self._frame(tok)
        out = []
        for src in self.cfg.data:
            field = src.get("field") or "question"
            rows = source_rows(self, task, src)
            need_fields(rows, (field,), f"stages.qft.data {src.get('path') or src.get('from_stage')}")
            out += [{"text": f"{prefix}{str(r[field]).strip()}{eot}"} for r in rows if str(r[field]).strip()]
        return out, []


@dataclass(frozen=True)
class QpoConfig(_TrainConfig):
    """Paper: DPO, sigmoid loss, beta 0.1, lr 5e-7 cosine, 20 warmup steps, global batch 128, 1 epoch;
    100 pairs held out. The reference model is the base (the QFT checkpoint)."""

    beta: float
    loss_type: str
    heldout: int


class Qpo(TrainStage):
    """Question preference optimisation: DPO on (bare prefix, rewritten question, original question)."""

    name = "qpo"
    version = "1"
    kind = "dpo"
    Config = QpoConfig
    cfg: QpoConfig

    def job_extra(self, tok: Any) -> dict[str, Any]:
        return {"eos_token": _turn_end(tok, self.base_path()), "beta": self.cfg.beta, "loss_type": self.cfg.loss_type}

    def rows(self, task: Any, tok: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        eot = _turn_end(tok, self.base_path())
        pairs = [r for src in self.cfg.data for r in source_rows(self, task, src)]
        if not pairs:
            raise SynthError("stage qpo: every QPO pair was dropped (see the qpo_pairs stage's dropped/ reasons); "
                             "nothing to train on")
        need_fields(pairs, ("prompt", "chosen", "rejected"), "stages.qpo.data")
        if len(pairs) <= self.cfg.heldout:
            raise SynthError(f"stage qpo: {len(pairs)} pairs, not more than heldout={self.cfg.heldout}; "
                             "make more pairs or lower stages.qpo.heldout")
        rows = [{"prompt": p["prompt"], "chosen": p["chosen"] + eot, "rejected": p["rejected"] + eot} for p in pairs]
        random.Random(self.recipe.seed).shuffle(rows)
        return rows[self.cfg.heldout:], rows[: self.cfg.heldout]


@dataclass(frozen=True)
class SftConfig(_TrainConfig):
    """Paper: 3 epochs, lr 1e-5 (Mistral, Qwen2-Math) or 5e-5 (Llama3, DeepSeekMath), 3% warmup then
    cosine, loss on the completion only. `chat_template`: '' keeps the base's, 'chatml', or a .jinja path."""

    chat_template: str
    sft_loss: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_loss(self.sft_loss)
        if self.chat_template not in TEMPLATES and not self.chat_template.endswith(".jinja"):
            raise RecipeError(f"chat_template: {self.chat_template!r} is not '', 'chatml' or a .jinja file")


def template_text(name: str) -> str:
    """The chat template an sft stage installs into its base's tokenizer ('' for the base's own)."""
    if name == "chatml":
        from harness.tiny import CHATML_TEMPLATE

        return CHATML_TEMPLATE
    if name.endswith(".jinja"):
        path = Path(name)
        if not path.is_file():
            raise SynthError(f"chat template file not found: {path}")
        return path.read_text()
    return ""


class Sft(TrainStage):
    """Supervised fine-tuning of a base model on conversational prompt/completion rows (`export`)."""

    name = "sft"
    version = "1"
    kind = "sft"
    Config = SftConfig
    cfg: SftConfig

    def load_tokenizer(self) -> Any:
        tok = super().load_tokenizer()
        template = template_text(self.cfg.chat_template)
        if template:
            tok.chat_template = template
        _need_template(tok, self.name, self.base_path(), "set stages.sft.chat_template (chatml or a .jinja file)")
        return tok

    def job_extra(self, tok: Any) -> dict[str, Any]:
        return {"chat_template": tok.chat_template, "sft_loss": self.cfg.sft_loss,
                "eos_token": _turn_end(tok, self.base_path())}

    def rows(self, task: Any, tok: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rows = [r for src in self.cfg.data for r in source_rows(self, task, src)]
        need_fields(rows, ("prompt", "completion"), "stages.sft.data")
        return [{"prompt": r["prompt"], "completion": r["completion"]} for r in rows], []
