"""Question filters: language (ASCII plus an English function-word check) and solvability (a judge model)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from harness.config import SamplingConfig
from harness.types import ChatMessage, Prompt
from synth.context import Outcome, ShardContext
from synth.errors import RecipeError
from synth.prompts import SOLVABILITY, pick
from synth.records import Dropped, Record
from synth.stages.base import BackendStage, BaseStage, batched

# Frequent English function words: ASCII-only French or Spanish text contains almost none of them.
_ENGLISH_WORDS = (
    "a an the is are was were be been of to in on at for from by with and or if then than that this these "
    "those what which who whom how many much find compute calculate determine each every per total "
    "has have had does do did will would can could should must there their its his her they he she it "
    "we you i not no all some any more less number sum product value how long after before when"
)
_ENGLISH = frozenset(_ENGLISH_WORDS.split())
_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class LanguageConfig:
    """The paper keeps a question only if every character is ASCII; the word check is our addition."""

    require_ascii: bool
    min_english_ratio: float
    """Share of alphabetic words that must be common English words (0 disables the check)."""
    min_words: int
    """Questions with fewer alphabetic words skip the English check (formulas, short prompts)."""


def language_verdict(text: str, cfg: LanguageConfig) -> str | None:
    """None to keep the question, else the drop reason."""
    if not text.strip():
        return "empty"
    if cfg.require_ascii and not text.isascii():
        return "non_ascii"
    words = [w.lower() for w in _WORD.findall(text)]
    if cfg.min_english_ratio > 0 and len(words) >= cfg.min_words:
        ratio = sum(w in _ENGLISH for w in words) / len(words)
        if ratio < cfg.min_english_ratio:
            return "not_english"
    return None


class FilterLanguage(BaseStage):
    """Drops non-English and non-ASCII questions."""

    name = "filter_language"
    version = "1"
    Config = LanguageConfig
    cfg: LanguageConfig

    def process(self, records: Iterator[Record], ctx: ShardContext) -> Iterator[Outcome]:
        for rec in records:
            reason = language_verdict(str(rec.data["question"]), self.cfg)
            yield rec.passed(ctx.step) if reason is None else Dropped(rec, reason)


KEEP_RULES = ("contains_yes", "last_word")


@dataclass(frozen=True)
class SolvabilityConfig:
    """Greedy yes/no judging. `prompt` names a `synth.prompts.SOLVABILITY` template; `keep_rule`:
    'contains_yes' (the reference code) or 'last_word' (stricter)."""

    model: str
    prompt: str
    system: str
    max_tokens: int
    keep_rule: str
    batch_size: int

    def __post_init__(self) -> None:
        pick(SOLVABILITY, self.prompt, "prompt")
        if self.keep_rule not in KEEP_RULES:
            raise RecipeError(f"keep_rule: unknown rule {self.keep_rule!r} (known: {', '.join(KEEP_RULES)})")

    @property
    def template(self) -> str:
        return SOLVABILITY[self.prompt]


def judge_says_yes(output: str, rule: str) -> bool:
    """Parse the judge's verdict under `rule`, one of `KEEP_RULES`."""
    if rule == "contains_yes":
        return "yes" in output.lower()
    if rule != "last_word":
        raise ValueError(f"unknown keep_rule {rule!r}")
    words = _WORD.findall(output)
    return bool(words) and words[-1].lower() == "yes"


class FilterSolvability(BackendStage):
    """A judge model decides whether each question is a solvable math problem."""

    name = "filter_solvability"
    version = "1"
    Config = SolvabilityConfig
    cfg: SolvabilityConfig

    def process(self, records: Iterator[Record], ctx: ShardContext) -> Iterator[Outcome]:
        sampling = SamplingConfig(n=1, temperature=0.0, top_p=1.0, max_tokens=self.cfg.max_tokens, seed=0)
        system = (ChatMessage("system", self.cfg.system),) if self.cfg.system else ()
        for batch in batched(records, self.cfg.batch_size):
            texts = [self.cfg.template.format(question=r.data["question"]) for r in batch]
            prompts = [Prompt(messages=(*system, ChatMessage("user", t))) for t in texts]
            for rec, comps in zip(batch, self.backend.generate(prompts, sampling), strict=True):
                comp = comps[0]
                ctx.stats.add_tokens(comp.prompt_tokens, comp.completion_tokens)
                if judge_says_yes(comp.text, self.cfg.keep_rule):
                    yield rec.passed(ctx.step)
                else:
                    yield Dropped(rec.derive({**rec.data, "judge": comp.text}, ctx.step), "unsolvable")
