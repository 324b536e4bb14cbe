"""Sequence the stages for one benchmark in batches: prompt -> generate -> extract -> grade -> store.

The runner never branches on a benchmark's name: it only calls the declaration's fields. Work is
keyed by (benchmark, version, item id, k); a key already graded (with the same prompt hash) is
skipped, a key generated but never graded is regraded from its stored output, and the rest is
generated in batches of `batch_size` prompts. Each batch's generations are stored before grading
and its records after, both durably, so a kill loses at most the batch in flight.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from harness.backends.base import Backend
from harness.benchmark import Benchmark
from harness.config import SamplingConfig, TruncationPolicy
from harness.grade.env import GradeEnv
from harness.store.codec import Generation, SampleKey, record_key
from harness.store.resume import StoredState, load_state
from harness.store.writer import RunStore
from harness.types import Completion, Extraction, ExtractStatus, Grade, Prompt, Sample, SampleRecord, Status

PromptFormat = Callable[[Sample, Sequence[Sample]], Prompt]
"""A preset's prompt format for one prompt family: (sample, few-shot exemplars) -> Prompt."""

T = TypeVar("T")
STRICT_TRUNCATION_RULE = "strict-truncation"
RUNNER_VERSION = "runner-1"


@dataclass(frozen=True)
class BatchStats:
    """What one batch did, for progress displays."""

    items: int
    samples: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float


class Progress(Protocol):
    """Receives progress events; the runner knows nothing about how they are shown."""

    def start(self, benchmark: str, total_items: int, done_items: int) -> None: ...

    def advance(self, benchmark: str, stats: BatchStats) -> None: ...

    def finish(self, benchmark: str) -> None: ...


class NullProgress:
    """Progress sink that shows nothing (library use, tests)."""

    def start(self, benchmark: str, total_items: int, done_items: int) -> None:
        return None

    def advance(self, benchmark: str, stats: BatchStats) -> None:
        return None

    def finish(self, benchmark: str) -> None:
        return None


@dataclass(frozen=True)
class PreparedItem:
    """One selected sample with its prompt and the hash of its rendered text."""

    sample: Sample
    prompt: Prompt
    prompt_hash: str
    rendered: str
    """The exact text the model sees (stored with each record)."""


@dataclass(frozen=True)
class BenchJob:
    """Everything the runner needs for one benchmark; items are already limited and rendered."""

    benchmark: Benchmark
    items: tuple[PreparedItem, ...]


@dataclass(frozen=True)
class RunSettings:
    """The knobs of the batch loop (all from RunConfig)."""

    sampling: SamplingConfig
    truncation: TruncationPolicy = "grade"
    batch_size: int = 8
    answer_fallback: bool = False


@dataclass(frozen=True)
class BenchOutcome:
    """Result of running one benchmark: the records of the selection and what was done to get them."""

    name: str
    records: tuple[SampleRecord, ...]
    generated: int
    regraded: int
    skipped: int
    generate_s: float
    grade_s: float
    grader_versions: tuple[str, ...] = field(default=())


@dataclass
class _Clock:
    """Accumulates stage durations for one benchmark (private, mutable by design)."""

    generate_s: float = 0.0
    grade_s: float = 0.0
    generated: int = 0
    regraded: int = 0
    records: list[SampleRecord] = field(default_factory=list)


def sample_keys(job: BenchJob, n: int) -> list[tuple[PreparedItem, SampleKey]]:
    """(item, key) for every sample index of every selected item."""
    b = job.benchmark
    return [(it, (b.name, b.version, it.sample.id, k)) for it in job.items for k in range(n)]


@dataclass(frozen=True)
class WorkPlan:
    """What is left of one benchmark's selection: stored outputs to grade, keys to generate (and
    the items that need a prompt for them, longest rendered prompt first), keys already done."""

    regrade: list[tuple[PreparedItem, Generation]]
    items: list[PreparedItem]
    missing: set[SampleKey]
    done: int


def plan_work(job: BenchJob, state: StoredState, n: int) -> WorkPlan:
    """Split the selection by what the store already holds for each sample key."""
    regrade: list[tuple[PreparedItem, Generation]] = []
    todo: dict[str, PreparedItem] = {}
    missing: set[SampleKey] = set()
    done = 0
    for item, key in sample_keys(job, n):
        rec = state.graded.get(key)
        if rec is not None and rec.prompt_hash == item.prompt_hash:
            done += 1
            continue
        gen = state.generated.get(key)
        if gen is not None and gen.prompt_hash == item.prompt_hash and rec is None:
            regrade.append((item, gen))
        else:
            todo[item.sample.id] = item
            missing.add(key)
    # Longest-first keeps batches of similar length (less padding) and is deterministic, so a
    # resumed run forms the same batches as an uninterrupted one.
    ordered = sorted(todo.values(), key=lambda it: -len(it.rendered))
    return WorkPlan(regrade, ordered, missing, done)


def extract_one(bench: Benchmark, output: str, sample: Sample, fallback: bool) -> Extraction:
    """The benchmark's extraction, then its fallback extractor when allowed and nothing was found."""
    extraction = bench.extract(output, sample)
    if fallback and extraction.status == ExtractStatus.NO_ANSWER and bench.extract_fallback is not None:
        return bench.extract_fallback(output, sample)
    return extraction


def grade_generations(
    bench: Benchmark,
    pairs: Sequence[tuple[PreparedItem, Generation]],
    env: GradeEnv,
    truncation: TruncationPolicy,
    answer_fallback: bool = False,
) -> list[SampleRecord]:
    """Extract and grade stored generations; under 'strict' a length-truncated output is `truncated`."""
    extractions = [extract_one(bench, gen.output, item.sample, answer_fallback) for item, gen in pairs]
    strict = [truncation == "strict" and gen.finish_reason == "length" for _, gen in pairs]
    grades = grade_unless_cut(bench, [item.sample for item, _ in pairs], extractions, strict, env)
    return [
        SampleRecord(**vars(gen), extraction=ex, grade=gr, gold=item.sample.gold)
        for (item, gen), ex, gr in zip(pairs, extractions, grades, strict=True)
    ]


def grade_unless_cut(bench: Benchmark, samples: Sequence[Sample], extractions: Sequence[Extraction],
                     cut: Sequence[bool], env: GradeEnv) -> list[Grade]:
    """Grade every pair not `cut`; a cut one (strict truncation: DART-Math's rule) is `truncated`.
    Shared by `harness eval` and `harness score`, so both stamp the same rule and version."""
    to_grade = [(s, ex) for s, ex, c in zip(samples, extractions, cut, strict=True) if not c]
    got = list(bench.grade(to_grade, env)) if to_grade else []
    if len(got) != len(to_grade):
        raise RuntimeError(f"{bench.name}: grader returned {len(got)} grades for {len(to_grade)} outputs")
    graded = iter(got)
    return [Grade(Status.TRUNCATED, STRICT_TRUNCATION_RULE, RUNNER_VERSION, "finish_reason=length") if c
            else next(graded) for c in cut]


def to_generations(
    bench: Benchmark, items: Sequence[PreparedItem], outs: Sequence[Sequence[Completion]], wanted: set[SampleKey]
) -> list[tuple[PreparedItem, Generation]]:
    """Pair backend completions with their items, keeping only sample keys not already stored."""
    if len(outs) != len(items):
        raise RuntimeError(f"backend returned {len(outs)} completion lists for {len(items)} prompts")
    pairs: list[tuple[PreparedItem, Generation]] = []
    for item, comps in zip(items, outs, strict=True):
        for k, c in enumerate(comps):
            gen = Generation(
                benchmark=bench.name,
                version=bench.version,
                item_id=item.sample.id,
                k=k,
                prompt_hash=item.prompt_hash,
                output=item.prompt.assistant_prefix + c.text,
                finish_reason=c.finish_reason,
                prompt_tokens=c.prompt_tokens,
                completion_tokens=c.completion_tokens,
            )
            if gen.key in wanted:
                pairs.append((item, gen))
    return pairs


def _store_graded(
    store: RunStore, bench: Benchmark, pairs: Sequence[tuple[PreparedItem, Generation]],
    env: GradeEnv, settings: RunSettings, clock: _Clock,
) -> None:
    t0 = time.perf_counter()
    records = grade_generations(bench, pairs, env, settings.truncation, settings.answer_fallback)
    clock.grade_s += time.perf_counter() - t0
    store.append_records(bench.name, records, [item.rendered for item, _ in pairs])
    clock.records.extend(records)


def chunks(seq: Sequence[T], size: int) -> list[Sequence[T]]:
    """Consecutive slices of at most `size` elements."""
    size = max(1, size)
    return [seq[i : i + size] for i in range(0, len(seq), size)]


def run_benchmark(
    job: BenchJob,
    *,
    backend: Backend,
    settings: RunSettings,
    env: GradeEnv,
    store: RunStore,
    progress: Progress | None = None,
) -> BenchOutcome:
    """Run one benchmark to completion, skipping stored work; returns the selection's records."""
    bench, n = job.benchmark, settings.sampling.n
    progress = progress or NullProgress()
    state = load_state(store, bench.name)
    plan = plan_work(job, state, n)
    clock = _Clock()
    pending_ids = {key[2] for key in plan.missing} | {it.sample.id for it, _ in plan.regrade}
    progress.start(bench.name, len(job.items), len(job.items) - len(pending_ids))
    for pairs in chunks(plan.regrade, settings.batch_size * n):
        _store_graded(store, bench, pairs, env, settings, clock)
        clock.regraded += len(pairs)
        progress.advance(bench.name, BatchStats(len({it.sample.id for it, _ in pairs}), len(pairs), 0, 0, 0.0))
    for batch in chunks(plan.items, settings.batch_size):  # only the missing keys are kept
        _run_batch(batch, bench, plan.missing, backend, settings, env, store, progress, clock)
    progress.finish(bench.name)
    final = dict(state.graded)
    final.update((record_key(r), r) for r in clock.records)
    records = tuple(final[key] for _, key in sample_keys(job, n) if key in final)
    versions = tuple(sorted({r.grade.grader_version for r in records}))
    return BenchOutcome(bench.name, records, clock.generated, clock.regraded, plan.done,
                        clock.generate_s, clock.grade_s, versions)


def _run_batch(
    items: Sequence[PreparedItem], bench: Benchmark, wanted: set[SampleKey], backend: Backend,
    settings: RunSettings, env: GradeEnv, store: RunStore, progress: Progress, clock: _Clock,
) -> None:
    """Generate one batch, store the raw outputs, grade them, store the records."""
    t0 = time.perf_counter()
    outs = backend.generate([it.prompt for it in items], settings.sampling)
    dt = time.perf_counter() - t0
    clock.generate_s += dt
    pairs = to_generations(bench, items, outs, wanted)
    store.append_generations(bench.name, [g for _, g in pairs])
    clock.generated += len(pairs)
    _store_graded(store, bench, pairs, env, settings, clock)
    stats = BatchStats(
        items=len(items),
        samples=len(pairs),
        prompt_tokens=sum(g.prompt_tokens for _, g in pairs),
        completion_tokens=sum(g.completion_tokens for _, g in pairs),
        seconds=dt,
    )
    progress.advance(bench.name, stats)
