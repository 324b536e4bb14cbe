"""The eval API around the runner: run ids, manifest and metrics files, interrupted runs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from runner_helpers import ScriptedBackend, ToyGrader, answer_script, toy_benchmark, toy_format, toy_samples

from harness.config import BackendConfig, RunConfig, SamplingConfig
from harness.data import LoadedData
from harness.errors import StoreError
from harness.evaluate import CheckpointRef, EvalPlan, FormatChoice, make_plan, plan_bench, run_plan
from harness.grade.env import GradeEnv

CKPT = CheckpointRef(model="/ckpts/toy-model", path=None, fingerprint="f" * 64)


def plan_for(out: Path, backend: ScriptedBackend, *, limit: int | None = None, temperature: float = 0.0) -> EvalPlan:
    config = RunConfig(benchmarks=("toy", "toy2"), backend=BackendConfig(kind="fake", batch_size=4),
                       sampling=SamplingConfig(temperature=temperature), limit=limit, out_dir=str(out))
    benches = []
    for name in ("toy", "toy2"):
        data = LoadedData(toy_samples(10, name), "file:toy.jsonl", "d" * 64, 10, None)
        benches.append(plan_bench(toy_benchmark(ToyGrader(), name), data, FormatChoice("toy/qa", toy_format),
                                  backend, limit))
    return make_plan(config, CKPT, benches)


def test_run_id_and_files(tmp_path: Path) -> None:
    backend = ScriptedBackend(answer_script)
    plan = plan_for(tmp_path, backend, limit=5)
    assert plan.run_id.startswith("toy-model-") and plan.run_id == plan_for(tmp_path, backend).run_id
    assert plan.run_id != plan_for(tmp_path, backend, temperature=0.5).run_id
    result = run_plan(plan, backend=backend, env=GradeEnv())
    manifest = json.loads((plan.run_dir / "manifest.json").read_text())
    metrics = json.loads((plan.run_dir / "metrics.json").read_text())
    assert result.status == manifest["status"] == "complete"
    assert manifest["config_hash"] == plan.config_hash and manifest["checkpoint"]["fingerprint"] == "f" * 64
    assert manifest["benchmarks"]["toy"]["selected"] == 5 and manifest["benchmarks"]["toy"]["prompt_format"] == "toy/qa"
    assert manifest["grader_versions"] == {"toy": ["toy-1"], "toy2": ["toy-1"]}
    toy = metrics["benchmarks"]["toy"]
    # items 0..4: even items answered right -> 0, 2, 4 correct
    assert toy["n_items"] == 5 and toy["score"] == pytest.approx(0.6) and toy["limited"] and toy["complete"]
    assert toy["breakdown"]["level"] == {"easy": {"n": 3, "score": 1.0}, "hard": {"n": 2, "score": 0.0}}


def test_interrupted_run_keeps_partial_metrics_and_resumes(tmp_path: Path) -> None:
    dying = ScriptedBackend(answer_script, fail_on_call=2)
    plan = plan_for(tmp_path, dying)
    with pytest.raises(KeyboardInterrupt):
        run_plan(plan, backend=dying, env=GradeEnv())
    manifest = json.loads((plan.run_dir / "manifest.json").read_text())
    metrics = json.loads((plan.run_dir / "metrics.json").read_text())["benchmarks"]
    assert manifest["status"] == "interrupted" and list(metrics) == ["toy"]
    assert metrics["toy"]["n_items"] == 4 and not metrics["toy"]["complete"]
    resumed = ScriptedBackend(answer_script)
    result = run_plan(plan_for(tmp_path, resumed), backend=resumed, env=GradeEnv())
    assert result.status == "complete" and sum(map(len, resumed.calls)) == 6 + 10
    assert len(json.loads((plan.run_dir / "manifest.json").read_text())["invocations"]) == 2


def test_foreign_run_directory_is_refused(tmp_path: Path) -> None:
    backend = ScriptedBackend(answer_script)
    plan = plan_for(tmp_path, backend, limit=2)
    run_plan(plan, backend=backend, env=GradeEnv())
    manifest = json.loads((plan.run_dir / "manifest.json").read_text())
    (plan.run_dir / "manifest.json").write_text(json.dumps({**manifest, "config_hash": "other"}))
    with pytest.raises(StoreError, match="move it aside"):
        run_plan(replace(plan), backend=backend, env=GradeEnv())
