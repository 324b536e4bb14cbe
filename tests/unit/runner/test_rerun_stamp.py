"""A complete run is stamped with its rerun key; a rerun reuses it only while its files are unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from runner_helpers import ScriptedBackend, ToyGrader, answer_script, toy_benchmark, toy_format, toy_samples

from harness.config import BackendConfig, RunConfig
from harness.data import LoadedData
from harness.evaluate import CheckpointRef, EvalPlan, FormatChoice, make_plan, plan_bench, run_plan
from harness.grade.env import GradeEnv
from harness.store.rerun import find_completed

CKPT = CheckpointRef(model="/ckpts/toy-model", path=None, fingerprint="f" * 64)
NAMES = ("toy", "toy2")
KEY = "k" * 32


def plan_for(out: Path, backend: ScriptedBackend, key: str | None = KEY, limit: int = 3) -> EvalPlan:
    config = RunConfig(benchmarks=NAMES, backend=BackendConfig(kind="fake"), limit=limit, out_dir=str(out))
    benches = [
        plan_bench(toy_benchmark(ToyGrader(), name), LoadedData(toy_samples(5, name), "file:t", "d" * 64, 5, None),
                   FormatChoice("toy/qa", toy_format), backend, limit)
        for name in NAMES
    ]
    return make_plan(config, CKPT, benches, key)


def completed(tmp_path: Path) -> EvalPlan:
    backend = ScriptedBackend(answer_script)
    plan = plan_for(tmp_path, backend)
    assert run_plan(plan, backend=backend, env=GradeEnv()).status == "complete"
    return plan


def test_complete_run_is_stamped_and_found(tmp_path: Path) -> None:
    plan = completed(tmp_path)
    stamp = json.loads((plan.run_dir / "manifest.json").read_text())["rerun"]
    assert stamp["key"] == KEY and set(stamp["records_bytes"]) == set(NAMES)
    found = find_completed(str(tmp_path), CKPT.model, KEY, NAMES)
    assert found is not None and found.run_dir == plan.run_dir
    assert list(found.metrics["benchmarks"]) == list(NAMES)
    assert find_completed(str(tmp_path), CKPT.model, "other" * 6, NAMES) is None
    assert find_completed(str(tmp_path), CKPT.model, KEY, ("toy",)) is None
    assert find_completed(str(tmp_path), "/ckpts/another-model", KEY, NAMES) is None
    assert find_completed(str(tmp_path / "absent"), CKPT.model, KEY, NAMES) is None


def test_run_without_key_is_not_stamped(tmp_path: Path) -> None:
    backend = ScriptedBackend(answer_script)
    plan = plan_for(tmp_path, backend, key=None)
    run_plan(plan, backend=backend, env=GradeEnv())
    assert json.loads((plan.run_dir / "manifest.json").read_text())["rerun"] is None


def _drop_records(run_dir: Path) -> None:
    (run_dir / "records" / "toy2.jsonl").unlink()


def _append_record(run_dir: Path) -> None:
    path = run_dir / "records" / "toy.jsonl"
    path.write_text(path.read_text() + path.read_text().splitlines(keepends=True)[0])


def _edit_metrics(run_dir: Path) -> None:
    path = run_dir / "metrics.json"
    data = json.loads(path.read_text())
    data["benchmarks"]["toy"]["score"] = 1.0 - data["benchmarks"]["toy"]["score"]
    path.write_text(json.dumps(data))


def _interrupted(run_dir: Path) -> None:
    path = run_dir / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "status": "interrupted"}))


@pytest.mark.parametrize("damage", [_drop_records, _append_record, _edit_metrics, _interrupted])
def test_changed_run_files_refuse_reuse(tmp_path: Path, damage: Callable[[Path], None]) -> None:
    plan = completed(tmp_path)
    damage(plan.run_dir)
    assert find_completed(str(tmp_path), CKPT.model, KEY, NAMES) is None


def test_interrupted_invocation_clears_the_stamp(tmp_path: Path) -> None:
    plan = completed(tmp_path)
    dying = ScriptedBackend(answer_script, fail_on_call=1)
    bigger = plan_for(tmp_path, dying, limit=5)  # the same run (the limit is not in the run id), continued
    assert bigger.run_dir == plan.run_dir
    with pytest.raises(KeyboardInterrupt):
        run_plan(bigger, backend=dying, env=GradeEnv())
    assert json.loads((plan.run_dir / "manifest.json").read_text())["rerun"] is None
    assert find_completed(str(tmp_path), CKPT.model, KEY, NAMES) is None
