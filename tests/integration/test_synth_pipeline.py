"""The tiny recipe end to end on CPU: local executor, Ray executor, and a SIGKILLed run resumed."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "recipes" / "tiny.yaml"


@pytest.fixture(scope="module")
def tiny_env(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict[str, str]:
    from synth.tiny import build_tiny_models

    root = tmp_path_factory.mktemp("synth-tiny-models")
    build_tiny_models(root)
    return {**os.environ, "SYNTH_TINY_DIR": str(root), "HARNESS_DATA_DIR": str(data_dir)}


def synth(args: list[str], env: dict[str, str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "synth.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600, check=False, **kw)  # type: ignore[call-overload]


def stage_files(out: Path) -> dict[str, str]:
    """Every committed data/dropped file and the exported dataset, by path relative to `out`."""
    files = sorted([*out.glob("*/v*/data/*.jsonl"), *out.glob("*/v*/dropped/*.jsonl"), *out.glob("export/sft.jsonl")])
    return {str(p.relative_to(out)): p.read_text() for p in files}


@pytest.fixture(scope="module")
def local_run(tiny_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth-local")
    proc = synth(["run", str(TINY), "--executor", "local", "--shards", "2", "--out", str(out)], tiny_env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_local_run_completes_every_stage(local_run: Path, tiny_env: dict[str, str]) -> None:
    from harness.extract.math import extract_math
    from harness.types import ExtractStatus

    names = list(yaml.safe_load(TINY.read_text())["stages"])
    for i, name in enumerate(names):
        (stage_dir,) = local_run.glob(f"{i:02d}-{name}/v*")
        assert sorted(p.name for p in (stage_dir / "done").iterdir()) == ["shard-00000.json", "shard-00001.json"]
    rows = [json.loads(line) for line in (local_run / "export" / "sft.jsonl").read_text().splitlines()]
    assert rows, "the tiny recipe should keep at least one question"
    for row in rows:
        assert [m["role"] for m in row["prompt"]] == ["user"]
        assert [m["role"] for m in row["completion"]] == ["assistant"]
        # respond keeps a response only when the harness's math extractor finds its final answer
        assert extract_math(row["completion"][0]["content"]).status != ExtractStatus.NO_ANSWER
    card = json.loads((local_run / "export" / "data_card.json").read_text())
    counts = {s["stage"]: s for s in card["stages"]}
    assert counts["generate"]["out"] + sum(counts["generate"]["dropped"].values()) == 40
    assert counts["export"]["out"] == len(rows) == counts["reward"]["out"]
    for a, b in itertools.pairwise(names):
        assert counts[b]["in"] == counts[a]["out"]
    status = synth(["status", str(local_run)], tiny_env)
    assert status.returncode == 0 and status.stdout.count(" 2/2 ") == len(names), status.stdout


@pytest.mark.slow
def test_ray_executor_gives_the_same_records(local_run: Path, tiny_env: dict[str, str],
                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ray = pytest.importorskip("ray")
    from synth.executors.ray import RayExecutor
    from synth.pipeline import run_pipeline
    from synth.recipe import load_recipe

    for key in ("SYNTH_TINY_DIR", "HARNESS_DATA_DIR"):
        monkeypatch.setenv(key, tiny_env[key])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        run_pipeline(load_recipe(TINY, shards=2), tmp_path, RayExecutor())
    finally:
        ray.shutdown()
    assert stage_files(tmp_path) == stage_files(local_run)


@pytest.mark.slow
def test_killed_run_resumes_only_missing_shards(local_run: Path, tiny_env: dict[str, str], tmp_path: Path) -> None:
    raw = yaml.safe_load(TINY.read_text())
    raw["executor"]["workers"] = 1  # shards one after the other, so the kill lands between them
    recipe = tmp_path / "tiny-serial.yaml"
    recipe.write_text(yaml.safe_dump(raw, sort_keys=False))
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "synth.cli", "run", str(recipe), "--out", str(out)],
                            env=tiny_env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = "05-difficulty"
    deadline = time.monotonic() + 400
    try:
        while not list(out.glob(f"{target}/v*/done/shard-00000.json")):
            assert proc.poll() is None and time.monotonic() < deadline, "run ended before the kill point"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    (stage,) = out.glob(f"{target}/v*")
    assert not (stage / "done" / "shard-00001.json").exists(), "killed mid-stage: shard 1 must be unfinished"
    kept = {p: p.stat().st_mtime_ns for p in out.glob("*/v*/done/*.json")}

    rerun = synth(["run", str(recipe), "--out", str(out)], tiny_env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "difficulty           ran 1 shard(s), skipped 1 done" in rerun.stdout
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items()), "completed shards must not be redone"
    assert stage_files(out) == stage_files(local_run)
