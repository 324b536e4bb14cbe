"""Response generation: k chain-of-thought solutions per question; answerless responses are dropped."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from harness.config import SamplingConfig
from harness.types import ChatMessage, Prompt
from synth.prompts import SOLVE_INSTRUCTION, pick
from synth.records import Dropped, Record
from synth.stage import Outcome, ShardContext
from synth.stages.base import BackendStage, batched


@dataclass(frozen=True)
class RespondConfig:
    """Paper settings: k 5, temperature 0.7, top-p 0.95, 2048 new tokens; the answer markers of the
    reference post-filter ('boxed', 'he answer is', 'final answer is')."""

    model: str
    k: int
    temperature: float
    top_p: float
    max_tokens: int
    system: str
    instruction: str
    answer_markers: tuple[str, ...]
    batch_size: int


class Respond(BackendStage):
    """One output record per (question, sample k); all k of a question stay in the question's shard."""

    name = "respond"
    version = "1"
    Config = RespondConfig
    cfg: RespondConfig

    def open(self, ctx: ShardContext) -> None:
        self.instruction = pick(SOLVE_INSTRUCTION, self.cfg.instruction, "stages.respond.instruction")
        super().open(ctx)

    def process(self, records: Iterator[Record], ctx: ShardContext) -> Iterator[Outcome]:
        system = (ChatMessage("system", self.cfg.system),) if self.cfg.system else ()
        for bno, batch in enumerate(batched(records, self.cfg.batch_size)):
            texts = [f"{r.data['question']}\n{self.instruction}".rstrip() for r in batch]
            prompts = [Prompt(messages=(*system, ChatMessage("user", t))) for t in texts]
            sampling = SamplingConfig(n=self.cfg.k, temperature=self.cfg.temperature, top_p=self.cfg.top_p,
                                      max_tokens=self.cfg.max_tokens, seed=ctx.seed("batch", bno))
            for rec, comps in zip(batch, self.backend.generate(prompts, sampling), strict=True):
                for k, comp in enumerate(comps):
                    ctx.stats.add_tokens(comp.prompt_tokens, comp.completion_tokens)
                    out = rec.derive({"question": rec.data["question"], "question_id": rec.id, "k": k,
                                      "response": comp.text, "finish_reason": comp.finish_reason}, ctx.step)
                    if any(m in comp.text for m in self.cfg.answer_markers):
                        yield out
                    else:
                        yield Dropped(out, "no_final_answer")
