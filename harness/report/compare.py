"""Regression verdicts between two runs: paired statistics per benchmark on the items both share.

Runs whose benchmark versions, data fingerprints, prompt hashes or grader versions differ measure
different things; comparing them is refused unless forced, and a forced comparison says so in its
output.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from harness.errors import HarnessError
from harness.report.stats import PairedResult, StatsConfig, paired_test, per_item_scores
from harness.report.text import markdown_table, pct, pct_ci, rich_table
from harness.runner import RUNNER_VERSION
from harness.store.reader import Run

Verdict = Literal["better", "worse", "no significant change"]
IDENTITY_KEYS = ("version", "data_fingerprint", "prompt_hash")
MAX_IDS_SHOWN = 20


class ComparisonError(HarnessError):
    """Two runs that measure different things (benchmark version, data or prompt differ)."""


@dataclass(frozen=True)
class CompareConfig:
    """Everything that decides a verdict; echoed into the JSON output."""

    stats: StatsConfig = field(default_factory=StatsConfig)
    min_delta: float = 1.0
    """Points (percent) a significant drop must exceed to count as a regression."""
    force: bool = False
    benchmarks: tuple[str, ...] = ()
    """Restrict to these benchmarks; empty means every benchmark both runs have."""


@dataclass(frozen=True)
class BenchComparison:
    """One benchmark's paired comparison. Item ids are those solved by one run only.

    With n > 1 samples an item counts as solved when most of its samples are correct.
    """

    benchmark: str
    result: PairedResult
    samples_base: int
    samples_new: int
    newly_solved: tuple[str, ...]
    newly_broken: tuple[str, ...]
    only_in_base: int
    only_in_new: int
    verdict: Verdict
    regression: bool


@dataclass(frozen=True)
class Comparison:
    """All benchmarks of BASE vs NEW, with what could not be compared and why."""

    base: str
    new: str
    config: CompareConfig
    benchmarks: tuple[BenchComparison, ...]
    skipped: tuple[str, ...]
    mismatches: tuple[str, ...]

    @property
    def has_regression(self) -> bool:
        return any(b.regression for b in self.benchmarks)


def identity_mismatches(base: Run, new: Run, names: Sequence[str]) -> list[str]:
    """Differences in what was measured: manifest identity keys, the grader versions the records
    name (a run graded by an older grader scores the same outputs differently), then per-item
    prompt hashes."""
    problems = []
    for name in names:
        a, b = base.bench_info(name), new.bench_info(name)
        for key in IDENTITY_KEYS:
            if a.get(key) != b.get(key):
                problems.append(f"{name} {key} {a.get(key)} vs {b.get(key)}")
        # A sample the runner scored without grading (strict truncation) names the runner, not a grader.
        graders = [",".join(sorted({r.grade.grader_version for r in run.records(name)} - {RUNNER_VERSION}))
                   for run in (base, new)]
        if all(graders) and graders[0] != graders[1]:
            problems.append(f"{name} grader_version {graders[0]} vs {graders[1]}")
        if not any(a.get(k) != b.get(k) for k in IDENTITY_KEYS):
            hashes = {r.item_id: r.prompt_hash for r in base.records(name)}
            differ = len({r.item_id for r in new.records(name)
                          if r.item_id in hashes and hashes[r.item_id] != r.prompt_hash})
            if differ:
                problems.append(f"{name} prompt_hash differs on {differ} items")
    return problems


def _verdict(res: PairedResult, alpha: float) -> Verdict:
    if res.p_value >= alpha or res.delta == 0:
        return "no significant change"
    return "better" if res.delta > 0 else "worse"


def compare_benchmark(base: Run, new: Run, name: str, cfg: CompareConfig) -> BenchComparison:
    """Paired comparison of one benchmark over the items both runs have."""
    a, n_a = per_item_scores(base.records(name))
    b, n_b = per_item_scores(new.records(name))
    shared = sorted(set(a) & set(b))
    res = paired_test([a[i] for i in shared], [b[i] for i in shared], n_a <= 1 and n_b <= 1, cfg.stats)
    verdict = _verdict(res, cfg.stats.alpha)
    return BenchComparison(
        benchmark=name,
        result=res,
        samples_base=n_a,
        samples_new=n_b,
        newly_solved=tuple(i for i in shared if a[i] <= 0.5 < b[i]),
        newly_broken=tuple(i for i in shared if b[i] <= 0.5 < a[i]),
        only_in_base=len(set(a) - set(b)),
        only_in_new=len(set(b) - set(a)),
        verdict=verdict,
        regression=verdict == "worse" and -100.0 * res.delta > cfg.min_delta,
    )


def compare_runs(base: Run, new: Run, cfg: CompareConfig) -> Comparison:
    """Compare every shared benchmark; refuse (ComparisonError) on identity mismatches unless forced."""
    names_a, names_b = set(base.benchmarks), set(new.benchmarks)
    wanted = list(cfg.benchmarks) or sorted(names_a | names_b)
    shared = [n for n in wanted if n in names_a and n in names_b]
    skipped = [f"{n}: only in {'base' if n in names_a else 'new' if n in names_b else 'neither'}"
               for n in wanted if n not in shared]
    if not shared:
        raise ComparisonError(f"{base.run_id} and {new.run_id} share no benchmark to compare")
    mismatches = identity_mismatches(base, new, shared)
    if mismatches and not cfg.force:
        raise ComparisonError(
            f"refusing to compare {base.run_id} with {new.run_id}: {'; '.join(mismatches)} "
            "(they measure different things; pass --force to compare anyway)"
        )
    benches = tuple(compare_benchmark(base, new, n, cfg) for n in shared)
    return Comparison(base.run_id, new.run_id, cfg, benches, tuple(skipped), tuple(mismatches))


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:MAX_IDS_SHOWN])
    return shown + (f", … (+{len(ids) - MAX_IDS_SHOWN})" if len(ids) > MAX_IDS_SHOWN else "")


def _rows(comp: Comparison) -> tuple[list[str], list[list[str]]]:
    headers = ["benchmark", "items", "base %", "new %", "Δ pts", "95% CI Δ", "test", "p",
               "+solved", "-broken", "verdict"]
    rows = []
    for b in comp.benchmarks:
        r = b.result
        flag = " REGRESSION" if b.regression else ""
        rows.append([b.benchmark, str(r.n_items), pct(r.base_score), pct(r.new_score),
                     f"{100 * r.delta:+.1f}", pct_ci(r.ci), r.test, f"{r.p_value:.3g}",
                     str(len(b.newly_solved)), str(len(b.newly_broken)), b.verdict + flag])
    return headers, rows


def _notes(comp: Comparison) -> list[str]:
    s = comp.config.stats
    notes = [f"Δ = new - base on shared items; CI: paired bootstrap, {s.n_boot} resamples, seed {s.seed}; "
             f"alpha {s.alpha}; regression = significantly worse by more than {comp.config.min_delta} pts."]
    if comp.mismatches:
        notes.append("FORCED despite: " + "; ".join(comp.mismatches))
    notes.extend(f"skipped {s}" for s in comp.skipped)
    for b in comp.benchmarks:
        if b.only_in_base or b.only_in_new:
            notes.append(f"{b.benchmark}: {b.only_in_base} items only in base, {b.only_in_new} only in new")
        if b.newly_solved:
            notes.append(f"{b.benchmark} newly solved: {_ids(b.newly_solved)}")
        if b.newly_broken:
            notes.append(f"{b.benchmark} newly broken: {_ids(b.newly_broken)}")
    return notes


def to_json(comp: Comparison) -> dict[str, Any]:
    """The full comparison as JSON data (fractions 0..1, all ids, the statistics settings)."""
    data = asdict(comp)
    data["has_regression"] = comp.has_regression
    return data


def render(comp: Comparison, fmt: str) -> str:
    """The comparison as 'table' (terminal), 'md' or 'json'."""
    if fmt == "json":
        return json.dumps(to_json(comp), indent=2, ensure_ascii=False) + "\n"
    headers, rows = _rows(comp)
    notes = _notes(comp)
    title = f"compare  base={comp.base}  new={comp.new}"
    if fmt == "md":
        return f"### {title}\n\n" + markdown_table(headers, rows) + "\n" + "".join(f"- {n}\n" for n in notes)
    return rich_table(title, headers, rows, notes)
