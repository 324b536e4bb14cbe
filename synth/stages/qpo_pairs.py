"""QPO preference pairs: the QFT model writes questions (prefix-only, as `generate`), an optimiser model
rewrites each along one direction picked at random per question (solvability or difficulty), and each
usable rewrite becomes a pair: prompt = the bare prefix, chosen = the rewrite, rejected = the original."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from harness.config import SamplingConfig
from harness.types import ChatMessage, Prompt
from synth.context import Outcome, ShardContext
from synth.errors import RecipeError
from synth.prompts import QPO_MARKERS, QPO_PROMPTS
from synth.records import Dropped, Record
from synth.stages.base import batched, local_checkpoints
from synth.stages.generate import Generate, GenerateConfig


@dataclass(frozen=True)
class QpoPairsConfig(GenerateConfig):
    """Paper: 10K questions per generator; GPT-4o-mini rewrites at temperature 0 with the system message
    'You are a helpful assistant.'; any backend serves (hf, vllm, an OpenAI-compatible server)."""

    optimizer: str
    """Model role of the rewriting model."""
    prompts: str
    """Key of `synth.prompts.QPO_PROMPTS` (scalequest, or short for small local optimisers)."""
    directions: tuple[str, ...]
    optimizer_system: str
    optimizer_temperature: float
    optimizer_max_tokens: int

    def __post_init__(self) -> None:
        if self.prompts not in QPO_PROMPTS:
            raise RecipeError(f"prompts: unknown QPO prompt set {self.prompts!r} (known: {', '.join(QPO_PROMPTS)})")
        bad = [d for d in self.directions if d not in QPO_MARKERS]
        if bad or not self.directions:
            raise RecipeError(f"directions: {bad[0] if bad else 'none'!r}; use solvability and/or difficulty")


def parse_rewrite(text: str, direction: str) -> str | None:
    """The text after the last marker of `direction` (case-insensitive); None when there is no marker."""
    marker = QPO_MARKERS[direction]
    at = text.lower().rfind(marker.lower())
    if at < 0:
        return None
    return text[at + len(marker):].strip().strip("*").strip()


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


class QpoPairs(Generate):
    """Questions from the QFT model, rewritten by the optimiser; rows without a marker, or whose rewrite
    equals the original, are dropped with that reason."""

    name = "qpo_pairs"
    version = "1"
    Config = QpoPairsConfig  # type: ignore[assignment]
    cfg: QpoPairsConfig
    _optimizer: Any = None

    def roles(self) -> list[str]:
        return [self.cfg.model, self.cfg.optimizer]

    def checkpoints(self) -> list[tuple[str, str]]:
        return local_checkpoints(self.recipe, self.roles(), self.name)

    def open(self, ctx: ShardContext) -> None:
        from harness.backends import load_backend

        super().open(ctx)
        self._optimizer = load_backend(self.recipe.model(self.cfg.optimizer, "stages.qpo_pairs"))

    def close(self) -> None:
        super().close()
        if self._optimizer is not None:
            self._optimizer.close()
            self._optimizer = None

    def process(self, records: Iterator[Record], ctx: ShardContext) -> Iterator[Outcome]:
        prefix = self.prefix()
        questions = super().process(records, ctx)
        system = (ChatMessage("system", self.cfg.optimizer_system),) if self.cfg.optimizer_system else ()
        for bno, batch in enumerate(batched(questions, self.cfg.batch_size)):
            kept = [q for q in batch if isinstance(q, Record)]
            yield from (q for q in batch if isinstance(q, Dropped))
            dirs = [random.Random(ctx.seed("direction", q.id)).choice(self.cfg.directions) for q in kept]
            prompts = [Prompt(messages=(*system, ChatMessage(
                "user", QPO_PROMPTS[self.cfg.prompts][d].format(question=q.data["question"]))))
                for q, d in zip(kept, dirs, strict=True)]
            sampling = SamplingConfig(n=1, temperature=self.cfg.optimizer_temperature, top_p=1.0,
                                      max_tokens=self.cfg.optimizer_max_tokens, seed=ctx.seed("rewrite", bno))
            outs = self._optimizer.generate(prompts, sampling) if prompts else []
            for q, d, (comp,) in zip(kept, dirs, outs, strict=True):
                ctx.stats.add_tokens(comp.prompt_tokens, comp.completion_tokens)
                rewrite = parse_rewrite(comp.text, d)
                pair = Record.new({"prompt": prefix, "chosen": rewrite or "", "rejected": q.data["question"],
                                   "direction": d, "raw": comp.text}, parents=(q.id,), trail=q.trail)
                if rewrite is None:
                    yield Dropped(pair, "no_marker")
                elif not rewrite or _same(rewrite, q.data["question"]):
                    yield Dropped(pair, "unchanged")
                else:
                    yield pair
