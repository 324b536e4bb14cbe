"""The eval API behind `harness eval`: plan a run (checkpoint, data, prompts, run id), run it benchmark
by benchmark through the runner, and keep `manifest.json` and `metrics.json` current.

Planning touches no run directory, so `--dry-run` and bad input leave nothing behind.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.backends.base import Backend
from harness.backends.common import check_checkpoint_dir
from harness.benchmark import Benchmark
from harness.config import LOCAL_KINDS, RunConfig, stable_hash, to_jsonable
from harness.data import LoadedData
from harness.errors import StoreError
from harness.grade.env import GradeEnv
from harness.grade.metrics import benchmark_metrics
from harness.prompts import prompt_hash
from harness.runner import (
    BenchJob,
    BenchOutcome,
    PreparedItem,
    Progress,
    PromptFormat,
    RunSettings,
    run_benchmark,
    sample_keys,
)
from harness.store.identity import checkpoint_fingerprint, identity_payload, make_run_id, remote_fingerprint
from harness.store.manifest import hardware, harness_info, now_iso
from harness.store.rerun import completion_stamp
from harness.store.resume import load_state
from harness.store.writer import RunStore


@dataclass(frozen=True)
class CheckpointRef:
    """The model under test: as given, its local directory (None when served remotely), fingerprint."""

    model: str
    path: str | None
    fingerprint: str


@dataclass(frozen=True)
class FormatChoice:
    """A named prompt format (the name enters the run id)."""

    name: str
    fn: PromptFormat


@dataclass(frozen=True)
class BenchPlan:
    """One benchmark's selected, rendered items and where its data came from."""

    job: BenchJob
    data: LoadedData
    format_name: str
    prompt_hash: str
    """Hash of the first rendered prompt ('' when nothing is selected)."""
    prompts_hash: str
    """Hash over the hashes of every selected rendered prompt."""
    limited: bool

    @property
    def name(self) -> str:
        return self.job.benchmark.name


@dataclass(frozen=True)
class EvalPlan:
    """A fully resolved run: nothing left to decide, nothing written yet."""

    config: RunConfig
    checkpoint: CheckpointRef
    run_id: str
    config_hash: str
    run_dir: Path
    benches: tuple[BenchPlan, ...]
    rerun_key: str | None = None
    """harness.store.rerun key of this invocation's inputs; stamped into a complete run's manifest."""


@dataclass(frozen=True)
class EvalResult:
    """What a run produced (this invocation)."""

    run_id: str
    run_dir: Path
    status: str
    metrics: Mapping[str, Any]
    outcomes: tuple[BenchOutcome, ...] = field(default=())
    wall_s: float = 0.0


def resolve_checkpoint(model: str, kind: str) -> CheckpointRef:
    """Check the checkpoint argument; local backends need a directory with config.json."""
    path = Path(model).expanduser()
    if kind in LOCAL_KINDS:
        check_checkpoint_dir(model)
    if path.is_dir() and (path / "config.json").is_file():
        resolved = str(path.resolve())
        return CheckpointRef(model=model, path=resolved, fingerprint=checkpoint_fingerprint(path))
    return CheckpointRef(model=model, path=None, fingerprint=remote_fingerprint(model))


def plan_bench(
    bench: Benchmark, data: LoadedData, choice: FormatChoice, backend: Backend, limit: int | None
) -> BenchPlan:
    """Select the first `limit` samples and render their prompts."""
    samples = data.samples[:limit] if limit is not None else data.samples
    items: list[PreparedItem] = []
    for s in samples:
        prompt = choice.fn(s, bench.fewshot)
        text = backend.render(prompt)
        items.append(PreparedItem(s, prompt, prompt_hash(text), text))
    hashes = [it.prompt_hash for it in items]
    return BenchPlan(
        job=BenchJob(bench, tuple(items)),
        data=data,
        format_name=choice.name,
        prompt_hash=hashes[0] if hashes else "",
        prompts_hash=stable_hash(hashes) if hashes else "",
        limited=len(samples) < len(data.samples),
    )


def make_plan(
    config: RunConfig, checkpoint: CheckpointRef, benches: Sequence[BenchPlan], rerun_key: str | None = None
) -> EvalPlan:
    """Name the run: the run id hashes everything that moves results (harness.store.identity)."""
    formats = {b.name: f"{b.format_name}:{b.prompt_hash}" for b in benches}
    versions = {
        b.name: {"version": b.job.benchmark.version, "data_fingerprint": b.data.fingerprint} for b in benches
    }
    payload = identity_payload(config, checkpoint.fingerprint, formats, versions)
    run_id, config_hash = make_run_id(checkpoint.model, payload)
    return EvalPlan(config, checkpoint, run_id, config_hash, Path(config.out_dir) / run_id, tuple(benches), rerun_key)


def settings_for(config: RunConfig) -> RunSettings:
    """The runner's knobs, taken from the run config."""
    return RunSettings(
        sampling=config.sampling, truncation=config.math.truncation, batch_size=config.backend.batch_size,
        answer_fallback=config.math.answer_fallback,
    )


def metrics_for(bp: BenchPlan, records: Sequence[Any], n: int) -> dict[str, Any]:
    """The metrics.json entry of one benchmark, flagged complete when every selected sample is graded."""
    bench = bp.job.benchmark
    meta = {it.sample.id: it.sample.meta for it in bp.job.items}
    out = benchmark_metrics(
        records, version=bench.version, kind=bench.kind, limited=bp.limited, item_meta=meta,
        breakdown=bench.breakdown,
    )
    out["complete"] = len(records) == len(bp.job.items) * n
    return out


def stored_metrics(plan: EvalPlan, store: RunStore, names: set[str]) -> dict[str, dict[str, Any]]:
    """Metrics from what is on disk for benchmarks this invocation did not finish (partial runs)."""
    out: dict[str, dict[str, Any]] = {}
    n = plan.config.sampling.n
    for bp in plan.benches:
        if bp.name in names:
            continue
        graded = load_state(store, bp.name).graded
        records = [graded[key] for it, key in sample_keys(bp.job, n)
                   if key in graded and graded[key].prompt_hash == it.prompt_hash]
        if records:
            out[bp.name] = metrics_for(bp, records, n)
    return out


def check_existing(plan: EvalPlan, previous: Mapping[str, Any] | None) -> None:
    """A run directory may only be continued by the configuration that created it."""
    if previous is not None and previous.get("config_hash") != plan.config_hash:
        raise StoreError(
            f"{plan.run_dir} holds a run with config hash {previous.get('config_hash')}, not {plan.config_hash}; "
            "move it aside or use another --out"
        )


def bench_manifest(bp: BenchPlan) -> dict[str, Any]:
    """The manifest's `benchmarks` entry for one benchmark."""
    return {
        "version": bp.job.benchmark.version,
        "kind": bp.job.benchmark.kind,
        "data_fingerprint": bp.data.fingerprint,
        "rows": bp.data.rows,
        "source": bp.data.source,
        "mismatch": bp.data.mismatch,
        "selected": len(bp.job.items),
        "prompt_format": bp.format_name,
        "prompt_hash": bp.prompt_hash,
        "prompts_hash": bp.prompts_hash,
    }


@dataclass
class _Invocation:
    """Bookkeeping of one invocation (private and mutable by design)."""

    started: str
    t0: float
    load_s: float
    host: dict[str, Any] = field(default_factory=lambda: {**harness_info(), "hardware": hardware()})
    """Harness version, git sha and hardware, looked up once per invocation."""
    status: str = "running"
    outcomes: list[BenchOutcome] = field(default_factory=list)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)


def build_manifest(
    plan: EvalPlan, backend: Backend, env: GradeEnv, inv: _Invocation, previous: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The manifest (docs/CONTRACTS.md), keeping earlier invocations' timings."""
    described = env.describe()
    bench_t = {
        o.name: {"generate_s": round(o.generate_s, 3), "grade_s": round(o.grade_s, 3), "generated": o.generated,
                 "regraded": o.regraded, "skipped": o.skipped}
        for o in inv.outcomes
    }
    this = {"started": inv.started, "finished": now_iso(), "status": inv.status, "limit": plan.config.limit,
            "wall_s": round(time.perf_counter() - inv.t0, 3), "backend_load_s": round(inv.load_s, 3),
            "benchmarks": bench_t}
    history = list((previous or {}).get("invocations", []))
    warnings = [f"{b.name}: data mismatch: {b.data.mismatch}" for b in plan.benches if b.data.mismatch]
    return {
        "run_id": plan.run_id,
        "created": (previous or {}).get("created", inv.started),
        "status": inv.status,
        "checkpoint": {"path": plan.checkpoint.path or plan.checkpoint.model, "model": plan.checkpoint.model,
                       "fingerprint": plan.checkpoint.fingerprint},
        "config": to_jsonable(plan.config),
        "config_hash": plan.config_hash,
        "harness_version": inv.host["harness_version"],
        "git_sha": inv.host["git_sha"],
        "grader_versions": {o.name: list(o.grader_versions) for o in inv.outcomes},
        "benchmarks": {b.name: bench_manifest(b) for b in plan.benches},
        "backend": backend.info(),
        "hardware": inv.host["hardware"],
        "timings": this,
        "invocations": [*history, this],
        "tags": dict(plan.config.tags),
        "sandbox": described.get("sandbox"),
        "math_checker": described.get("math"),
        "warnings": warnings,
        "rerun": (completion_stamp(RunStore(plan.run_dir), plan.rerun_key, [b.name for b in plan.benches])
                  if inv.status == "complete" and plan.rerun_key else None),
    }


def run_plan(
    plan: EvalPlan, *, backend: Backend, env: GradeEnv, progress: Progress | None = None, load_s: float = 0.0
) -> EvalResult:
    """Run every benchmark of the plan; manifest and metrics are written even when interrupted."""
    store = RunStore(plan.run_dir)
    previous = store.read_manifest()
    check_existing(plan, previous)
    inv = _Invocation(started=now_iso(), t0=time.perf_counter(), load_s=load_s)
    store.write_manifest(build_manifest(plan, backend, env, inv, previous))
    settings = settings_for(plan.config)
    try:
        for bp in plan.benches:
            outcome = run_benchmark(bp.job, backend=backend, settings=settings, env=env, store=store,
                                    progress=progress)
            inv.outcomes.append(outcome)
            inv.metrics[bp.name] = metrics_for(bp, outcome.records, settings.sampling.n)
            store.write_metrics(_metrics_doc(plan, inv.metrics))
        inv.status = "complete"
    except KeyboardInterrupt:
        inv.status = "interrupted"
        raise
    except BaseException:
        inv.status = "failed"
        raise
    finally:
        inv.metrics.update(stored_metrics(plan, store, set(inv.metrics)))
        store.write_metrics(_metrics_doc(plan, inv.metrics))
        store.write_manifest(build_manifest(plan, backend, env, inv, previous))
    ordered = {b.name: inv.metrics[b.name] for b in plan.benches if b.name in inv.metrics}
    return EvalResult(plan.run_id, plan.run_dir, inv.status, ordered, tuple(inv.outcomes),
                      time.perf_counter() - inv.t0)


def _metrics_doc(plan: EvalPlan, metrics: Mapping[str, Any]) -> dict[str, Any]:
    ordered = {b.name: metrics[b.name] for b in plan.benches if b.name in metrics}
    return {"run_id": plan.run_id, "benchmarks": ordered}
