"""Response generation: k chain-of-thought solutions per question; answerless responses are dropped."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from harness.types import ExtractStatus
from synth.context import Outcome, ShardContext
from synth.records import Dropped, Record
from synth.stages.base import BackendStage, SolveConfig, solve_batches


@dataclass(frozen=True)
class RespondConfig(SolveConfig):
    """Paper settings: k 5, temperature 0.7, top-p 0.95, 2048 new tokens. A response is kept when
    `harness.extract.math` finds a final answer in it (the reference post-filter looked for the
    substrings 'boxed', 'he answer is', 'final answer is')."""


class Respond(BackendStage):
    """One output record per (question, sample k); all k of a question stay in the question's shard."""

    name = "respond"
    version = "2"  # 2: final answers found by harness.extract.math instead of substring markers
    Config = RespondConfig
    cfg: RespondConfig

    def process(self, records: Iterator[Record], ctx: ShardContext) -> Iterator[Outcome]:
        from harness.extract.math import extract_math

        for batch, outs in solve_batches(self, records, ctx):
            for rec, comps in zip(batch, outs, strict=True):
                for k, comp in enumerate(comps):
                    out = rec.derive({"question": rec.data["question"], "question_id": rec.id, "k": k,
                                      "response": comp.text, "finish_reason": comp.finish_reason}, ctx.step)
                    # The harness's own extractor decides, so a kept response is one our grader can read.
                    if extract_math(comp.text).status != ExtractStatus.NO_ANSWER:
                        yield out
                    else:
                        yield Dropped(out, "no_final_answer")
