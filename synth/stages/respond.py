"""Response generation: k chain-of-thought solutions per question; answerless responses are dropped."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from harness.types import ExtractStatus
from synth.prompts import SOLVE_INSTRUCTION, pick
from synth.records import Dropped, Record
from synth.stage import Outcome, ShardContext
from synth.stages.base import BackendStage, solve_batches


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
    batch_size: int


class Respond(BackendStage):
    """One output record per (question, sample k); all k of a question stay in the question's shard."""

    name = "respond"
    version = "2"  # 2: final answers found by harness.extract.math instead of substring markers
    Config = RespondConfig
    cfg: RespondConfig

    def open(self, ctx: ShardContext) -> None:
        self.instruction = pick(SOLVE_INSTRUCTION, self.cfg.instruction, "stages.respond.instruction")
        super().open(ctx)

    def process(self, records: Iterator[Record], ctx: ShardContext) -> Iterator[Outcome]:
        from harness.extract.math import extract_math

        for batch, outs in solve_batches(self, records, ctx, self.instruction):
            for rec, comps in zip(batch, outs, strict=True):
                for k, comp in enumerate(comps):
                    out = rec.derive({"question": rec.data["question"], "question_id": rec.id, "k": k,
                                      "response": comp.text, "finish_reason": comp.finish_reason}, ctx.step)
                    # The harness's own extractor decides, so a kept response is one our grader can read.
                    if extract_math(comp.text).status != ExtractStatus.NO_ANSWER:
                        yield out
                    else:
                        yield Dropped(out, "no_final_answer")
