"""Re-grade existing generations: `{"id", "output"}` or `{"gold", "output"}` records against a benchmark.

Generic over the benchmark's own `extract` and `grade` (math and code alike); other fields of
each record are passed through to the output unchanged.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from harness.benchmark import Benchmark
from harness.config import TruncationPolicy
from harness.errors import ConfigError, DataError
from harness.extract.math import extract_last_expression
from harness.grade.env import GradeEnv
from harness.runner import extract_one, grade_unless_cut
from harness.types import Extraction, ExtractStatus, Grade, Sample, Status

Fallback = Literal["none", "last-expression"]
FALLBACK_RULE_PREFIX = "fallback_last_expression:"
"""Prefix of the rule of every grade whose answer came from the last-expression fallback."""


@dataclass(frozen=True)
class ScoreSummary:
    """Counts over one scored file. `accuracy` is correct / n (every status counts in n)."""

    benchmark: str
    n: int
    correct: int
    status_counts: Mapping[str, int]
    grader_versions: tuple[str, ...]
    extract_counts: Mapping[str, int] = field(default_factory=dict)
    truncated_outputs: int = 0
    """Records whose `finish_reason` is `length` (graded or not, per the truncation policy)."""

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "n": self.n,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "status_counts": dict(self.status_counts),
            **{status.value: self.status_counts.get(status.value, 0) for status in Status},
            "extract_status_counts": dict(self.extract_counts),
            "truncated_outputs": self.truncated_outputs,
            "grader_version": ",".join(self.grader_versions),
        }


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """JSON objects, one per line; blank lines skipped. DataError names the first bad line."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such file; pass a JSONL file of records with 'output' and 'id' or 'gold'")
    records = []
    with p.open(encoding="utf-8", errors="surrogateescape") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{p}:{line_no}: not valid JSON ({exc.msg})") from None
            if not isinstance(rec, dict) or "output" not in rec or not ("id" in rec or "gold" in rec):
                raise DataError(f"{p}:{line_no}: each record needs 'output' and one of 'id' or 'gold'")
            records.append(rec)
    return records


def samples_for(records: Sequence[Mapping[str, Any]], bench: Benchmark, lookup: Mapping[str, Sample]) -> list[Sample]:
    """The Sample each record is graded against: looked up by id, its gold overridden by a record's gold."""
    out = []
    for line_no, rec in enumerate(records, 1):
        rid = str(rec["id"]) if "id" in rec else None
        base = lookup.get(rid) if rid is not None else None
        if base is None and "gold" not in rec:
            raise DataError(f"record {line_no}: id {rid!r} is not an item of {bench.name}; give 'gold' instead")
        if base is None:
            base = Sample(bench.name, bench.version, rid or f"line-{line_no}", "", "", rec.get("meta") or {})
        if "gold" in rec:
            base = Sample(base.benchmark, base.version, base.id, base.question, str(rec["gold"]), base.meta)
        out.append(base)
    return out


@dataclass(frozen=True)
class Graded:
    """One input record with the item it was graded against, its extraction and its grade."""

    record: Mapping[str, Any]
    sample: Sample
    extraction: Extraction
    grade: Grade
    cut: bool
    """`finish_reason` was `length`."""

    def to_json(self) -> dict[str, Any]:
        return _scored(self.record, self.sample, self.extraction, self.grade)


def grade_records(
    records: Sequence[Mapping[str, Any]],
    bench: Benchmark,
    env: GradeEnv,
    lookup: Mapping[str, Sample] | None = None,
    answers_only: bool = False,
    truncation: TruncationPolicy = "grade",
    answer_fallback: bool = False,
    fallback: Fallback = "none",
) -> list[Graded]:
    """Extract (unless `answers_only`) and grade every record, in order.

    A record with `finish_reason: "length"` is counted as truncated; under `strict` it is not graded
    but scored `truncated` (DART-Math's rule), as the runner does. `answer_fallback` lets the
    benchmark's fallback extractor answer when extraction finds nothing, as a preset lets the runner.
    `fallback="last-expression"` (math only, opt-in) answers an output without any marker with its last
    LaTeX expression or number, and the grade's rule then starts with `fallback_last_expression:`.
    """
    if fallback != "none" and bench.kind != "math":
        raise ConfigError(f"--fallback {fallback} applies to math benchmarks; {bench.name} is a {bench.kind} benchmark")
    samples = samples_for(records, bench, lookup or {})
    extractions = [
        _extract(str(rec["output"]), s, bench, answers_only, answer_fallback, fallback)
        for rec, s in zip(records, samples, strict=True)
    ]
    cut = [rec.get("finish_reason") == "length" for rec in records]
    grades = grade_unless_cut(bench, samples, extractions, [c and truncation == "strict" for c in cut], env)
    grades = [replace(g, rule=FALLBACK_RULE_PREFIX + g.rule) if ex.method == "last_expression" else g
              for g, ex in zip(grades, extractions, strict=True)]
    return [Graded(*row) for row in zip(records, samples, extractions, grades, cut, strict=True)]


def score_records(
    records: Sequence[Mapping[str, Any]],
    bench: Benchmark,
    env: GradeEnv,
    lookup: Mapping[str, Sample] | None = None,
    answers_only: bool = False,
    truncation: TruncationPolicy = "grade",
    fallback: Fallback = "none",
) -> tuple[list[dict[str, Any]], ScoreSummary]:
    """`grade_records`, as one output record per input record and the summary over them."""
    graded = grade_records(records, bench, env, lookup, answers_only, truncation, fallback=fallback)
    summary = summarize(bench.name, [g.grade for g in graded], [g.extraction for g in graded],
                        truncated=sum(g.cut for g in graded))
    return [g.to_json() for g in graded], summary


def _extract(output: str, sample: Sample, bench: Benchmark, answers_only: bool, answer_fallback: bool,
             fallback: Fallback) -> Extraction:
    if not answers_only:
        found = extract_one(bench, output, sample, answer_fallback)
        if fallback == "last-expression" and found.status is ExtractStatus.NO_ANSWER:
            return extract_last_expression(output)
        return found
    status = ExtractStatus.OK if output.strip() else ExtractStatus.NO_ANSWER
    return Extraction(output if output.strip() else None, "answers_only", status)


def _scored(rec: Mapping[str, Any], sample: Sample, ex: Extraction, grade: Grade) -> dict[str, Any]:
    return {
        **rec,
        "gold": sample.gold,
        "extracted": ex.answer,
        "extract_method": ex.method,
        "extract_status": ex.status.value,
        "status": grade.status.value,
        "rule": grade.rule,
        "grader_version": grade.grader_version,
        "detail": grade.detail,
    }


def summarize(
    name: str, grades: Iterable[Grade], extractions: Iterable[Extraction] = (), truncated: int = 0
) -> ScoreSummary:
    """Per-status counts and accuracy."""
    grades = list(grades)
    counts = Counter(g.status.value for g in grades)
    return ScoreSummary(
        benchmark=name,
        n=len(grades),
        correct=counts.get(Status.CORRECT.value, 0),
        status_counts=dict(counts),
        grader_versions=tuple(sorted({g.grader_version for g in grades})),
        extract_counts=dict(Counter(e.status.value for e in extractions)),
        truncated_outputs=truncated,
    )


def write_records(path: str | Path, records: Iterable[Mapping[str, Any]]) -> None:
    """One JSON object per line (non-ASCII escaped, so lone surrogates cannot break the file)."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec) + "\n")
