"""Reward filtering: score each (question, response) with a sequence-classification reward model and
keep the single best response per question (no absolute threshold, as in the paper)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from harness.backends.hf import _DTYPES
from synth.context import Outcome, ShardContext
from synth.errors import RecipeError
from synth.records import Dropped, Record
from synth.stages.base import BaseStage


@dataclass(frozen=True)
class RewardConfig:
    """A transformers checkpoint with a scalar head (num_labels=1), e.g. a Llama/InternLM reward model.
    `device` and `dtype` mean what they mean for the harness hf backend ('auto': cuda when there is
    one; the checkpoint's dtype on GPU, float32 on CPU)."""

    checkpoint: str
    device: str
    dtype: str
    batch_size: int
    max_length: int

    def __post_init__(self) -> None:
        if self.dtype not in ("auto", *_DTYPES):
            raise RecipeError(f"dtype: unknown dtype {self.dtype!r} (known: auto, {', '.join(_DTYPES)})")


class Reward(BaseStage):
    """Scores responses through transformers and keeps the top one per question (ties: lowest k)."""

    name = "reward"
    version = "2"  # 2: device/dtype chosen as the hf backend does (dtype auto on CPU loads float32)
    Config = RewardConfig
    cfg: RewardConfig

    def checkpoints(self) -> list[tuple[str, str]]:
        return [("reward", self.cfg.checkpoint)]

    def open(self, ctx: ShardContext) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from harness.backends.hf import _pick_device, _torch_dtype

        self.torch = torch
        self.tok = AutoTokenizer.from_pretrained(self.cfg.checkpoint)
        self.tok.padding_side = "right"
        self.device = _pick_device(self.cfg.device)
        self.model: Any = AutoModelForSequenceClassification.from_pretrained(
            self.cfg.checkpoint, dtype=_torch_dtype(self.cfg.dtype, self.device))
        self.model.to(self.device).eval()

    def close(self) -> None:
        self.model = None

    def score(self, pairs: list[tuple[str, str]]) -> list[float]:
        """The reward head's scalar for each (question, response), as a two-turn chat."""
        out: list[float] = []
        for start in range(0, len(pairs), self.cfg.batch_size):
            chunk = pairs[start : start + self.cfg.batch_size]
            texts = [self.tok.apply_chat_template([{"role": "user", "content": q}, {"role": "assistant", "content": r}],
                                                  tokenize=False) for q, r in chunk]
            enc = self.tok(texts, padding=True, truncation=True, max_length=self.cfg.max_length,
                           add_special_tokens=False, return_tensors="pt").to(self.device)
            with self.torch.no_grad():
                logits = self.model(**enc).logits
            out.extend(round(float(v), 5) for v in logits[:, 0].float().cpu())
        return out

    def process(self, records: Iterator[Record], ctx: ShardContext) -> Iterator[Outcome]:
        groups: dict[str, list[Record]] = {}
        for rec in records:
            groups.setdefault(str(rec.data["question_id"]), []).append(rec)
        flat = [r for rs in groups.values() for r in rs]
        scores = dict(zip((r.id for r in flat),
                          self.score([(str(r.data["question"]), str(r.data["response"])) for r in flat]), strict=True))
        for recs in groups.values():
            best = max(recs, key=lambda r: (scores[r.id], -int(r.data["k"])))
            for rec in recs:
                scored = rec.derive({**rec.data, "reward": scores[rec.id]}, ctx.step)
                yield scored if rec is best else Dropped(scored, "not_top_reward")
