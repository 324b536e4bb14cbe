"""Decontamination: drop questions sharing a word 13-gram with any benchmark in the harness registry.

Hits are counted per benchmark (drop reason `contaminated:<benchmark>`). Benchmark items shorter than
n words cannot be matched by n-gram overlap; those are compared whole (normalised) instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from synth.context import Outcome, ShardContext
from synth.errors import RecipeError
from synth.records import Dropped, Record
from synth.stages.base import BaseStage
from synth.stages.dedup import normalise, shingles


@dataclass(frozen=True)
class DecontamConfig:
    """`benchmarks`: registry names, or ('all',) for every benchmark the registry declares."""

    ngram: int
    benchmarks: tuple[str, ...]


class NgramIndex:
    """Word n-grams of benchmark questions (a shorter question whole), mapped to the benchmarks holding them."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.grams: dict[str, set[str]] = {}

    def add(self, bench: str, texts: Iterable[str]) -> None:
        for text in texts:
            for g in shingles(normalise(text), self.n):
                self.grams.setdefault(g, set()).add(bench)

    def hits(self, text: str) -> set[str]:
        """Benchmarks this text overlaps with (a short text only matches a short one, whole)."""
        found: set[str] = set()
        for g in shingles(normalise(text), self.n):
            found |= self.grams.get(g, set())
        return found


def benchmark_questions(names: tuple[str, ...], data_dir: str) -> dict[str, list[str]]:
    """Question texts of the selected registry benchmarks, read through the harness data loader."""
    from harness.data import load_benchmark  # type: ignore[import-not-found,unused-ignore]
    from harness.registry import all_benchmarks  # type: ignore[import-not-found,unused-ignore]

    if not data_dir or not os.path.isdir(data_dir):
        raise RecipeError(
            f"stage decontaminate needs the benchmark data dir: set data_dir in the recipe or "
            f"HARNESS_DATA_DIR (got {data_dir!r})"
        )
    benches = {b.name: b for b in all_benchmarks()}
    chosen = sorted(benches) if names == ("all",) else list(names)
    for name in chosen:
        if name not in benches:
            raise RecipeError(f"stages.decontaminate.benchmarks: {name!r} is not in the registry")
    return {n: [s.question for s in load_benchmark(benches[n], data_dir).samples] for n in chosen}


class Decontaminate(BaseStage):
    """Drops generated questions that overlap a benchmark test item."""

    name = "decontaminate"
    version = "1"
    Config = DecontamConfig
    cfg: DecontamConfig

    def open(self, ctx: ShardContext) -> None:
        self.index = NgramIndex(self.cfg.ngram)
        for bench, texts in benchmark_questions(self.cfg.benchmarks, ctx.recipe.data_dir).items():
            self.index.add(bench, texts)

    def process(self, records: Iterator[Record], ctx: ShardContext) -> Iterator[Outcome]:
        per_bench = ctx.stats.extra.setdefault("hits_per_benchmark", {})
        for rec in records:
            hits = sorted(self.index.hits(str(rec.data["question"])))
            for b in hits:
                per_bench[b] = per_bench.get(b, 0) + 1
            yield Dropped(rec, f"contaminated:{hits[0]}") if hits else rec.passed(ctx.step)
