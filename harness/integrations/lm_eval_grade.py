"""Grade lm-eval samples with our extractor and grader: per-response records, our metrics, theirs.

Shared by `harness score --format lm-eval` and `harness import-lm-eval`, so both give the same
verdicts. Every response of a doc (`repeats` > 1) is one sample, index k in lm-eval's order, so
pass@k and maj@k come from the same code as for our own runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.benchmark import Benchmark
from harness.data import LoadedData
from harness.grade.env import GradeEnv
from harness.grade.metrics import benchmark_metrics
from harness.integrations.lm_eval_hooks import FALLBACK_FIELD
from harness.integrations.lm_eval_samples import LmEvalDoc, group_docs, match_docs, read_rows, to_score_inputs
from harness.integrations.lm_eval_tasks import TaskMap
from harness.prompts import prompt_hash
from harness.scoring import Graded, grade_records
from harness.types import Sample, SampleRecord


@dataclass(frozen=True)
class GradedTask:
    """One lm-eval task's docs, matched to our items and graded."""

    task: str
    benchmark: Benchmark
    pairs: tuple[tuple[LmEvalDoc, Sample], ...]
    graded: tuple[Graded, ...]
    records: tuple[SampleRecord, ...]
    prompts: tuple[str, ...]
    """The prompt lm-eval sent, per record (stored with it, shown by `harness report`)."""

    def lm_eval_means(self) -> dict[str, float]:
        """lm-eval's own metrics, averaged over this task's docs (`"<metric>,<filter>"`)."""
        return lm_eval_means(d for d, _ in self.pairs)


def lm_eval_means(docs: Any) -> dict[str, float]:
    """Mean of each `"<metric>,<filter>"` over the docs that report it."""
    sums: dict[str, list[float]] = defaultdict(list)
    for d in docs:
        for key, value in d.metrics.items():
            sums[key].append(value)
    return {k: sum(v) / len(v) for k, v in sorted(sums.items())}


def load_docs(path: Path, task: str) -> list[LmEvalDoc]:
    """The docs of one samples file."""
    return group_docs(read_rows(path), task)


def _record(g: Graded, bench: Benchmark, doc: LmEvalDoc) -> SampleRecord:
    # lm-eval's prompt_hash is sha256 of the prompt; ours is its first 16 hex digits.
    phash = doc.prompt_hash[:16] if doc.prompt_hash else prompt_hash(doc.prompt)
    return SampleRecord(
        benchmark=bench.name, version=bench.version, item_id=g.sample.id, k=int(g.record["k"]),
        prompt_hash=phash, output=str(g.record["output"]), finish_reason="", prompt_tokens=0,
        completion_tokens=0, extraction=g.extraction, grade=g.grade, gold=g.sample.gold,
    )


def grade_task(
    docs: Sequence[LmEvalDoc], task_map: TaskMap, bench: Benchmark, data: LoadedData, env: GradeEnv, where: str
) -> GradedTask:
    """Match the docs to `bench`'s items, then extract and grade every response."""
    # A task's item constraint (a MATH subject) holds only for the benchmark it was written for.
    meta = task_map.item_meta if task_map.benchmark == bench.name else {}
    pairs = match_docs(docs, data.samples, bench.kind, where, bench.name, meta)
    inputs = to_score_inputs(pairs, task_map)
    lookup = {s.id: s for _, s in pairs}
    # Our own tasks say in each doc whether their preset lets the math extractor fall back to the
    # last number (as `harness eval` does); stock lm-eval docs never do.
    fallback = any(bool(d.doc.get(FALLBACK_FIELD)) for d, _ in pairs)
    graded = grade_records(inputs, bench, env, lookup, answer_fallback=fallback)
    doc_of = {}
    for d, s in pairs:
        doc_of[s.id] = d
    records = tuple(_record(g, bench, doc_of[g.sample.id]) for g in graded)
    prompts = tuple(doc_of[g.sample.id].prompt for g in graded)
    return GradedTask(docs[0].task if docs else task_map.task, bench, tuple(pairs), tuple(graded), records, prompts)


def task_metrics(
    bench: Benchmark, data: LoadedData, records: Sequence[SampleRecord], lm_eval: Mapping[str, float]
) -> dict[str, Any]:
    """Our metrics.json entry for the graded records, with lm-eval's own metric beside it."""
    meta = {s.id: s.meta for s in data.samples}
    items = {r.item_id for r in records}
    out = benchmark_metrics(records, version=bench.version, kind=bench.kind, limited=len(items) < len(data.samples),
                            item_meta=meta, breakdown=bench.breakdown)
    out["complete"] = True
    out["lm_eval"] = dict(lm_eval)
    return out
