"""The tiny world's learning signal through `synth scale-up`: a fresh base trained on more arith rows
scores higher beyond the CIs, the same rows with wrong answers make the gate fire (exit 1, naming
arith), and (slow) the README's `synth demo` end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from synth.cli import main

REPO = Path(__file__).resolve().parents[2]
SCALEUP_TINY = REPO / "recipes" / "scaleup-tiny.yaml"


def _rows(n: int) -> list[dict[str, Any]]:
    from benchmarks.arith import train_rows
    from harness.prompts import BOXED_INSTRUCTION

    return [{"prompt": [{"role": "system", "content": BOXED_INSTRUCTION}, {"role": "user", "content": r["question"]}],
             "completion": [{"role": "assistant", "content": r["solution"]}]} for r in train_rows(n, seed=0)]


def _recipe(root: Path, base: Path, sizes: list[int], corrupt: list[int]) -> Path:
    """scaleup-tiny.yaml's SFT and eval settings, on gold arith rows, 100 eval items."""
    su = yaml.safe_load(SCALEUP_TINY.read_text())["scale_up"]
    su.update(out=str(root / "out"), sizes=sizes, resources={"cpus": 1, "gpus": 0},
              base={"kind": "hf", "model": str(base), "device": "cpu", "dtype": "float32", "batch_size": 64},
              data={"sources": [{"path": str(root / "rows.jsonl")}], "when_missing": {}, "order_seed": 0,
                    "corrupt_sizes": corrupt})
    su["eval"]["limit"] = 100
    path = root / f"scaleup-{len(corrupt)}.yaml"
    path.write_text(yaml.safe_dump({"name": "tiny-test", "seed": 0, "scale_up": su}))
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    from synth.tiny import build_base

    root = tmp_path_factory.mktemp("tiny-scaleup")
    build_base(root / "base", seed=0)
    (root / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _rows(1100)))
    assert main(["scale-up", str(_recipe(root, root / "base", [64, 1024], [])), "--fail-on-regression"]) == 0
    return root


def _points(root: Path) -> dict[int, dict[str, Any]]:
    doc = json.loads((root / "out" / "scale_up.json").read_text())
    return {p["size"]: p for p in doc["points"]}


def test_scores_rise_with_data_beyond_their_cis(world: Path) -> None:
    points = _points(world)
    small, large = points[64]["metrics"]["arith"], points[1024]["metrics"]["arith"]
    assert points[0]["metrics"]["arith"]["score"] < 0.05, "the fresh base knows no arithmetic"
    assert large["ci95"][0] > small["ci95"][1] and large["score"] - small["score"] >= 0.20, (small, large)
    assert points[1024]["vs_previous"]["arith"]["verdict"] == "better"


def test_corrupted_answers_make_the_gate_fire(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kept = {p: p.stat().st_mtime_ns for p in world.glob("out/points/*/sft/checkpoint/model.safetensors")}
    capsys.readouterr()
    # the next point: 1100 rows, the 1024 of the last point and 76 more, every boxed answer shifted
    code = main(["scale-up", str(_recipe(world, world / "base", [64, 1024, 1100], [1100])), "--fail-on-regression"])
    out = capsys.readouterr().out
    assert code == 1, out[-3000:]
    assert "REGRESSION arith: size 1100 vs 1024" in out and "newly broken" in out
    assert "verdict: the newest point (1100 rows) is significantly worse on arith" in out
    assert len(kept) == 2 and all(p.stat().st_mtime_ns == t for p, t in kept.items()), "clean points are reused"
    points = _points(world)
    bad, good = points[1100]["metrics"]["arith"]["score"], points[1024]["metrics"]["arith"]["score"]
    assert points[1100]["corrupted"] is True and bad < good - 0.3, (bad, good)


@pytest.mark.slow
def test_demo_shows_the_leaderboard_plot_and_verdict(tmp_path: Path, data_dir: Path) -> None:
    env = {**os.environ, "HARNESS_DATA_DIR": str(data_dir)}
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "synth.cli", "demo", "--models", str(tmp_path / "models"),
                           "--out", str(tmp_path / "demo")], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=1200, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    tail = proc.stdout[-4000:]
    assert "scaling plot:" in tail and tail.rstrip().splitlines()[-1].startswith("verdict: no significant regression")
    assert "| size | run | checkpoint | arith |" in tail  # the leaderboard, before the plot and the verdict
    points = json.loads((tmp_path / "demo" / "scaleup" / "scale_up.json").read_text())["points"]
    scores = [p["metrics"]["arith"]["score"] for p in points]
    assert scores[-1] - scores[1] >= 0.20, scores
    print(f"demo wall time {time.monotonic() - start:.0f} s")
