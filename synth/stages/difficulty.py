"""Difficulty: the fail rate of k sampled solutions, graded by the harness math grader against their majority.

Choice (documented in docs/synth.md): the paper trains a DeepSeekMath-7B regression head on fail
rates measured against gold answers; its weights are unreleased and generated questions have no
gold. We measure the fail rate directly: sample k solutions, take the majority final answer as the
pseudo-gold, grade every sample against it with our own grader (so `1/2` and `0.5` agree), and
count the rest (and answerless samples) as failures. Cost: k extra generations per question.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from harness.config import MathGradeConfig
from harness.types import Extraction, ExtractStatus, Sample, Status
from synth.context import Outcome, ShardContext
from synth.errors import RecipeError
from synth.records import Dropped, Record
from synth.stages.base import BackendStage, SolveConfig, solve_batches

BUCKETS = (("easy", 0.0, 1 / 3), ("medium", 1 / 3, 2 / 3), ("hard", 2 / 3, 1.01))


@dataclass(frozen=True)
class DifficultyConfig(SolveConfig):
    """The solve settings, then `select`: 'threshold' keeps min_fail_rate <= rate <= max_fail_rate;
    'target' samples each shard to the `target` share per bucket (easy < 1/3 <= medium < 2/3 <= hard)."""

    number_fallback: bool
    """Accept the last number as the answer when nothing is boxed."""
    select: str
    min_fail_rate: float
    max_fail_rate: float
    target: Mapping[str, float] | None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.select not in ("threshold", "target"):
            raise RecipeError(f"select: must be 'threshold' or 'target', got {self.select!r}")
        if self.select == "target":
            if not isinstance(self.target, Mapping) or not self.target:
                raise RecipeError("target: select 'target' needs a mapping of bucket shares (easy, medium, hard)")
            unknown = sorted(set(self.target) - {b for b, _, _ in BUCKETS})
            if unknown:
                raise RecipeError(f"target: unknown bucket {unknown[0]!r} (easy, medium, hard)")


def bucket_of(rate: float) -> str:
    return next(name for name, lo, hi in BUCKETS if lo <= rate < hi)


def majority_answer(extractions: list[Extraction]) -> str | None:
    """The most frequent extracted answer (first seen wins ties), or None when no sample answered."""
    answers = [e.answer for e in extractions if e.status == ExtractStatus.OK and e.answer]
    return Counter(answers).most_common(1)[0][0] if answers else None


def fail_rates(groups: list[tuple[str, list[str]]], grade_env: Any, fallback: bool) -> list[tuple[float, str | None]]:
    """(fail rate, majority answer) per (question, outputs), grading all outputs in one batch."""
    from harness.extract.math import extract_math  # type: ignore[import-not-found,unused-ignore]
    from harness.grade.math_grade import grade_math  # type: ignore[import-not-found,unused-ignore]

    pairs: list[tuple[Sample, Extraction]] = []
    plan: list[tuple[int, str | None]] = []
    for qi, (question, outputs) in enumerate(groups):
        exts = [extract_math(o, last_number_fallback=fallback) for o in outputs]
        maj = majority_answer(exts)
        plan.append((len(outputs), maj))
        if maj is not None:
            sample = Sample(benchmark="synth", version="1", id=str(qi), question=question, gold=maj)
            pairs.extend((sample, e) for e in exts)
    grades = iter(grade_math(pairs, grade_env)) if pairs else iter(())
    out: list[tuple[float, str | None]] = []
    for n, maj in plan:
        if maj is None:
            out.append((1.0, None))
            continue
        correct = sum(next(grades).status == Status.CORRECT for _ in range(n))
        out.append((round(1 - correct / n, 6), maj))
    return out


class Difficulty(BackendStage):
    """Labels each question with its fail rate and keeps it by threshold or by target distribution."""

    name = "difficulty"
    version = "2"  # 2: the solve prompt shared with respond (trailing whitespace stripped)
    Config = DifficultyConfig
    cfg: DifficultyConfig

    def open(self, ctx: ShardContext) -> None:
        from harness.grade.env import GradeEnv

        super().open(ctx)
        self.grade_env = GradeEnv(math_config=MathGradeConfig(workers=1))

    def close(self) -> None:
        if getattr(self, "grade_env", None) is not None:
            self.grade_env.close()
        super().close()

    def _labelled(self, records: Iterator[Record], ctx: ShardContext) -> Iterator[Record]:
        for batch, outs in solve_batches(self, records, ctx):
            groups = [(str(r.data["question"]), [c.text for c in comps]) for r, comps in zip(batch, outs, strict=True)]
            for rec, (rate, maj) in zip(batch, fail_rates(groups, self.grade_env, self.cfg.number_fallback),
                                        strict=True):
                yield rec.derive({**rec.data, "fail_rate": rate, "majority_answer": maj}, ctx.step)

    def process(self, records: Iterator[Record], ctx: ShardContext) -> Iterator[Outcome]:
        labelled = self._labelled(records, ctx)
        if self.cfg.select == "threshold":
            for rec in labelled:
                rate = float(rec.data["fail_rate"])
                if rate < self.cfg.min_fail_rate:
                    yield Dropped(rec, "too_easy")
                elif rate > self.cfg.max_fail_rate:
                    yield Dropped(rec, "too_hard")
                else:
                    yield rec
            return
        yield from sample_to_target(list(labelled), dict(self.cfg.target or {}), ctx.seed("target"))


def sample_to_target(records: list[Record], target: dict[str, float], seed: int) -> Iterator[Outcome]:
    """Keep the largest subset whose bucket shares match `target` (bucket names checked by
    `DifficultyConfig`); the choice within a bucket is seeded."""
    import hashlib

    by_bucket: dict[str, list[Record]] = {b: [] for b, _, _ in BUCKETS}
    for rec in records:
        by_bucket[bucket_of(float(rec.data["fail_rate"]))].append(rec)
    wanted = {b: w for b, w in target.items() if w > 0}
    total = min((len(by_bucket[b]) / w for b, w in wanted.items()), default=0.0)
    keep: set[str] = set()
    for b, recs in by_bucket.items():
        quota = int(total * wanted.get(b, 0.0) + 1e-9)
        ranked = sorted(recs, key=lambda r: hashlib.sha256(f"{seed}:{r.id}".encode()).hexdigest())
        keep.update(r.id for r in ranked[:quota])
    for rec in records:
        yield rec if rec.id in keep else Dropped(rec, f"over_target:{bucket_of(float(rec.data['fail_rate']))}")
