"""Turn an lm-eval output folder into runs of our store, so `leaderboard`, `compare` and `report` read them.

lm-eval writes `<out>/<model>/results_<date>.json` and, with `--log_samples`,
`samples_<task>_<date>.jsonl` beside it. Each results file (one lm-eval invocation) becomes one run
`results/lm-eval-<model>-<hash>/`, written with the store's own writer: records graded by our
extractor and grader, metrics.json with lm-eval's metric beside ours, and a manifest that says
lm-eval produced the outputs (its version, model args, each task's config).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.benchmark import Benchmark
from harness.config import stable_hash
from harness.data import LoadedData, load_benchmark
from harness.errors import DataError
from harness.grade.env import GradeEnv
from harness.integrations.lm_eval_grade import GradedTask, grade_task, lm_eval_means, load_docs, task_metrics
from harness.integrations.lm_eval_samples import SAMPLES_FILE
from harness.integrations.lm_eval_tasks import TaskMap, task_map, unsupported_message
from harness.registry import get_benchmark
from harness.store.identity import checkpoint_fingerprint, checkpoint_name, remote_fingerprint
from harness.store.manifest import harness_info, now_iso
from harness.store.writer import RunStore

_RESULTS_FILE = re.compile(r"^results_(?P<date>\d{4}-\d{2}-\d{2}T[\d.-]+)\.json$")
RUN_PREFIX = "lm-eval"


@dataclass(frozen=True)
class OutputSet:
    """One lm-eval invocation: its results file (may be absent) and samples files by task."""

    folder: Path
    date: str
    results: Mapping[str, Any]
    samples: Mapping[str, Path]


@dataclass(frozen=True)
class ImportedRun:
    """What one import wrote."""

    run_id: str
    path: Path
    benchmarks: Mapping[str, Mapping[str, Any]]
    tasks: Mapping[str, str]
    """task -> benchmark."""
    skipped: tuple[str, ...] = field(default=())
    """One line per task that was not imported (unsupported)."""


def find_outputs(root: Path) -> list[OutputSet]:
    """Every invocation under `root`; DataError when there are no samples files at all."""
    if not root.is_dir():
        raise DataError(f"{root}: no such folder; pass the --output_path of an lm-eval run")
    samples: dict[tuple[Path, str], dict[str, Path]] = defaultdict(dict)
    for p in sorted(root.rglob("samples_*.jsonl")):
        m = SAMPLES_FILE.match(p.name)
        if m:
            samples[(p.parent, m.group("date"))][m.group("task")] = p
    if not samples:
        raise DataError(f"{root}: no lm-eval samples (samples_<task>_<date>.jsonl) found; rerun lm-eval with "
                        "--log_samples and --output_path")
    sets = []
    for (folder, date), files in sorted(samples.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        res_path = folder / f"results_{date}.json"
        results = json.loads(res_path.read_text(encoding="utf-8")) if res_path.is_file() else {}
        sets.append(OutputSet(folder, date, results, files))
    return sets


def _model(out: OutputSet) -> str:
    cfg = out.results.get("config") or {}
    args = cfg.get("model_args")
    if isinstance(args, Mapping) and args.get("pretrained"):
        return str(args["pretrained"])
    if isinstance(args, str):
        for part in args.split(","):
            key, _, value = part.partition("=")
            if key.strip() in ("pretrained", "model") and value:
                return value.strip()
    return str(out.results.get("model_name") or out.folder.name)


def _checkpoint(model: str) -> dict[str, str]:
    path = Path(model).expanduser()
    if path.is_dir() and (path / "config.json").is_file():
        return {"path": str(path.resolve()), "model": model, "fingerprint": checkpoint_fingerprint(path)}
    return {"path": model, "model": model, "fingerprint": remote_fingerprint(model)}


def partition(graded: Sequence[GradedTask]) -> list[dict[str, list[GradedTask]]]:
    """Tasks into runs, {benchmark: tasks} each: tasks of one benchmark share a run only when their
    items do not overlap (minerva_math_algebra ... _precalc make one `math`; gsm8k and gsm8k_cot
    grade the same items with different prompts, so they become two runs)."""
    runs: list[dict[str, list[GradedTask]]] = []
    for gt in graded:
        items = {s.id for _, s in gt.pairs}
        name = gt.benchmark.name
        for run in runs:
            if not any(items & {s.id for _, s in other.pairs} for other in run.get(name, [])):
                run.setdefault(name, []).append(gt)
                break
        else:
            runs.append({name: [gt]})
    return runs


def _bench_manifest(bench: Benchmark, data: LoadedData, graded: Sequence[GradedTask],
                    results: Mapping[str, Any]) -> dict[str, Any]:
    first = graded[0].records[0].prompt_hash if graded and graded[0].records else ""
    tasks = [gt.task for gt in graded]
    configs = results.get("configs") or {}
    return {
        "version": bench.version, "kind": bench.kind, "data_fingerprint": data.fingerprint, "rows": data.rows,
        "source": data.source, "mismatch": data.mismatch,
        "selected": sum(len(gt.pairs) for gt in graded),
        "prompt_format": "lm-eval:" + "+".join(tasks), "prompt_hash": first,
        "prompts_hash": stable_hash(sorted({r.prompt_hash for gt in graded for r in gt.records})),
        "lm_eval": {t: {"version": (results.get("versions") or {}).get(t), "n_shot": (results.get("n-shot") or {})
                        .get(t), "results": (results.get("results") or {}).get(t), "config": configs.get(t)}
                    for t in tasks},
    }


def _manifest(run_id: str, out: OutputSet, model: str, benches: Mapping[str, dict[str, Any]],
              graded: Mapping[str, Sequence[GradedTask]], env: GradeEnv) -> dict[str, Any]:
    res = out.results
    info = harness_info()
    described = env.describe()
    produced = {"harness": "lm-eval", "version": res.get("lm_eval_version"), "git_hash": res.get("git_hash"),
                "date": res.get("date"), "config": res.get("config"), "transformers_version":
                res.get("transformers_version"), "chat_template_sha": res.get("chat_template_sha"),
                "system_instruction": res.get("system_instruction"), "folder": str(out.folder.resolve()),
                "samples": {t: p.name for t, p in sorted(out.samples.items())}}
    return {
        "run_id": run_id, "created": now_iso(), "status": "complete", "checkpoint": _checkpoint(model),
        "produced_by": produced, "config": {"imported_from": "lm-eval", "lm_eval_config": res.get("config")},
        "config_hash": run_id.rsplit("-", 1)[-1], "harness_version": info["harness_version"],
        "git_sha": info["git_sha"],
        "grader_versions": {b: sorted({r.grade.grader_version for gt in g for r in gt.records})
                            for b, g in graded.items()},
        "benchmarks": benches, "tags": {"source": "lm-eval"}, "sandbox": described.get("sandbox"),
        "math_checker": described.get("math"),
        "warnings": [f"{b}: data mismatch: {m['mismatch']}" for b, m in benches.items() if m.get("mismatch")],
    }


def import_outputs(out: OutputSet, results_dir: Path, env: GradeEnv, data_dir: str | None,
                   want: Sequence[str] = (), note: Callable[[str], None] = print) -> list[ImportedRun]:
    """Grade one invocation's samples and write them as runs (usually one; see `partition`)."""
    by_bench: dict[str, list[tuple[str, TaskMap, Path]]] = defaultdict(list)
    skipped = []
    for task, path in sorted(out.samples.items()):
        if want and task not in want:
            continue
        try:
            tmap = task_map(task)
        except DataError:
            skipped.append(unsupported_message(task).split("; supported")[0] + " (skipped)")
            continue
        by_bench[tmap.benchmark].append((task, tmap, path))
    for line in skipped:
        note(line)
    if not by_bench:
        return []
    datas: dict[str, LoadedData] = {}
    graded: list[GradedTask] = []
    for name, tasks in by_bench.items():
        bench = get_benchmark(name)
        datas[name] = load_benchmark(bench, data_dir)
        graded += [grade_task(load_docs(p, t), tm, bench, datas[name], env, str(p)) for t, tm, p in tasks]
    return [_write_run(out, run, datas, results_dir, env, tuple(skipped)) for run in partition(graded)]


def _write_run(out: OutputSet, graded: Mapping[str, Sequence[GradedTask]], datas: Mapping[str, LoadedData],
               results_dir: Path, env: GradeEnv, skipped: tuple[str, ...]) -> ImportedRun:
    """One run directory, written with the store's writer (a re-import rewrites it)."""
    model = _model(out)
    ident = {"source": RUN_PREFIX, "config": out.results.get("config"), "date": out.date,
             "tasks": sorted(gt.task for gts in graded.values() for gt in gts), "folder": out.folder.name}
    run_id = f"{RUN_PREFIX}-{checkpoint_name(model)}-{stable_hash(ident, length=12)}"
    store = RunStore(results_dir / run_id)
    metrics: dict[str, Any] = {}
    benches: dict[str, dict[str, Any]] = {}
    for name, gts in graded.items():
        bench = get_benchmark(name)
        path = store.records_path(name)
        if path.exists():
            path.unlink()
        records = [r for gt in gts for r in gt.records]
        store.append_records(name, records, [p for gt in gts for p in gt.prompts])
        metrics[name] = task_metrics(bench, datas[name], records, lm_eval_means(d for gt in gts for d, _ in gt.pairs))
        benches[name] = _bench_manifest(bench, datas[name], gts, out.results)
    store.write_metrics({"run_id": run_id, "benchmarks": metrics})
    store.write_manifest(_manifest(run_id, out, model, benches, graded, env))
    task_bench = {gt.task: name for name, gts in graded.items() for gt in gts}
    return ImportedRun(run_id, store.root, metrics, task_bench, tuple(skipped))
