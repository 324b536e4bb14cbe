"""Question generation by prefix-only prompting: the chat prefix up to an opened user turn, no question.

The question generator (QFT/QPO-tuned in the paper) continues the prefix with a question and ends
its turn; the stripped continuation becomes the question.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from harness.config import SamplingConfig
from harness.types import Prompt
from synth.chat import question_prefix
from synth.context import Outcome, ShardContext
from synth.records import Dropped, Record
from synth.stages.base import BackendStage


@dataclass(frozen=True)
class GenerateConfig:
    """Paper settings: temperature 1.0, top-p 0.99, 512 new tokens, one sample per request."""

    model: str
    num_questions: int
    """Total over all shards."""
    system: str
    """System message in the rendered prefix ('' for none)."""
    prefix: str
    """Explicit prefix text (e.g. DeepSeek's 'User: '); '' derives it from the chat template."""
    stop: tuple[str, ...]
    temperature: float
    top_p: float
    max_tokens: int
    batch_size: int
    drop_truncated: bool
    """Drop questions cut off at max_tokens (they rarely end in a well-formed question)."""


def shard_count(total: int, shard: int, shards: int) -> int:
    """How many of `total` items shard `shard` makes: an even split, the remainder to the first shards."""
    return total // shards + (1 if shard < total % shards else 0)


class Generate(BackendStage):
    """Writes `num_questions` questions, split evenly across shards."""

    name = "generate"
    version = "1"
    Config = GenerateConfig
    consumes = False
    cfg: GenerateConfig

    def prefix(self) -> str:
        """The text the generator continues: the chat template cut just where user content would start."""
        return question_prefix(self.backend.render, self.cfg.system, self.cfg.prefix, self.cfg.model)

    def process(self, records: Iterator[Record], ctx: ShardContext) -> Iterator[Outcome]:
        for _ in records:  # the first stage has no input
            pass
        count = shard_count(self.cfg.num_questions, ctx.shard, ctx.num_shards)
        prompt = Prompt(text=self.prefix(), stop=self.cfg.stop)
        made = 0
        batch_no = 0
        while made < count:
            size = min(self.cfg.batch_size, count - made)
            # One prompt, n samples: backends seed each sample by its index k, so n copies of the
            # same prompt with n=1 would all draw the same sample.
            sampling = SamplingConfig(n=size, temperature=self.cfg.temperature, top_p=self.cfg.top_p,
                                      max_tokens=self.cfg.max_tokens, seed=ctx.seed("batch", batch_no))
            (comps,) = self.backend.generate([prompt], sampling)
            for j, comp in enumerate(comps):
                ctx.stats.n_in += 1
                ctx.stats.add_tokens(comp.prompt_tokens, comp.completion_tokens)
                rec = Record.new({"question": comp.text.strip(), "generator": self.cfg.model,
                                  "slot": f"{ctx.shard}:{made + j}"}, trail=(ctx.step,))
                if not rec.data["question"]:
                    yield Dropped(rec, "empty")
                elif self.cfg.drop_truncated and comp.finish_reason == "length":
                    yield Dropped(rec, "truncated")
                else:
                    yield rec
            made += size
            batch_no += 1
