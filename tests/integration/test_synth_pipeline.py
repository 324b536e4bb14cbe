"""The tiny recipe end to end on CPU (qft -> qpo_pairs -> qpo -> generate -> ... -> export -> sft, then
`harness eval` of the SFT checkpoint): local executor, Ray executor, and a SIGKILLed run resumed."""

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
def tiny_recipe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """recipes/tiny.yaml with 40 questions (it makes ~1.6K for the scale-up demo): the same loop, faster."""
    raw = yaml.safe_load(TINY.read_text())
    raw["stages"]["generate"]["num_questions"] = 40
    path = tmp_path_factory.mktemp("recipe") / "tiny.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


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
def local_run(tiny_env: dict[str, str], tiny_recipe: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth-local")
    proc = synth(["run", str(tiny_recipe), "--executor", "local", "--shards", "2", "--out", str(out)], tiny_env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_local_run_completes_every_stage(local_run: Path, tiny_env: dict[str, str]) -> None:
    from harness.extract.math import extract_math
    from harness.types import ExtractStatus

    names = list(yaml.safe_load(TINY.read_text())["stages"])
    trained = {"qft", "qpo", "sft"}
    for i, name in enumerate(names):
        (stage_dir,) = local_run.glob(f"{i:02d}-{name}/v*")
        shards = ["shard-00000.json"] if name in trained else ["shard-00000.json", "shard-00001.json"]
        assert sorted(p.name for p in (stage_dir / "done").iterdir()) == shards
    rows = [json.loads(line) for line in (local_run / "export" / "sft.jsonl").read_text().splitlines()]
    assert rows, "the tiny recipe should keep at least one question"
    for row in rows:
        assert [m["role"] for m in row["prompt"]] == ["system", "user"]  # the eval preset's system turn
        assert [m["role"] for m in row["completion"]] == ["assistant"]
        # respond keeps a response only when the harness's math extractor finds its final answer
        assert extract_math(row["completion"][0]["content"]).status != ExtractStatus.NO_ANSWER
    card = json.loads((local_run / "export" / "data_card.json").read_text())
    counts = {s["stage"]: s for s in card["stages"]}
    assert counts["generate"]["out"] + sum(counts["generate"]["dropped"].values()) == 40
    check = card["answer_check"]  # the exported answers, graded against arith's reference gold
    assert check["benchmark"] == "arith" and check["rows"] == len(rows)
    assert 0 < check["checked"] <= check["rows"] and check["share_correct"] == round(check["correct"] / check["checked"], 4)
    assert counts["export"]["out"] == len(rows) == counts["reward"]["out"]
    record_stages = names[names.index("generate"): names.index("export") + 1]
    assert [s["stage"] for s in card["stages"]] == record_stages
    for a, b in itertools.pairwise(record_stages):
        assert counts[b]["in"] == counts[a]["out"]
    status = synth(["status", str(local_run)], tiny_env)
    assert status.returncode == 0, status.stderr
    assert status.stdout.count(" 2/2 ") == len(names) - 3 and status.stdout.count(" 1/1 ") == 3, status.stdout


@pytest.mark.slow
def test_ray_executor_gives_the_same_records(local_run: Path, tiny_env: dict[str, str], tiny_recipe: Path,
                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ray = pytest.importorskip("ray")
    from synth.executors.ray import RayExecutor
    from synth.pipeline import run_pipeline
    from synth.plan import load_recipe

    for key in ("SYNTH_TINY_DIR", "HARNESS_DATA_DIR"):
        monkeypatch.setenv(key, tiny_env[key])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        run_pipeline(load_recipe(tiny_recipe, shards=2), tmp_path, RayExecutor())
    finally:
        ray.shutdown()
    assert stage_files(tmp_path) == stage_files(local_run)


@pytest.mark.slow
def test_killed_run_resumes_only_missing_shards(local_run: Path, tiny_env: dict[str, str], tiny_recipe: Path,
                                                tmp_path: Path) -> None:
    raw = yaml.safe_load(tiny_recipe.read_text())
    raw["executor"]["workers"] = 1  # shards one after the other, so the kill lands between them
    recipe = tmp_path / "tiny-serial.yaml"
    recipe.write_text(yaml.safe_dump(raw, sort_keys=False))
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "synth.cli", "run", str(recipe), "--out", str(out)],
                            env=tiny_env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = "*-difficulty"
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
    assert "qft                  already trained" in rerun.stdout and "sft                  trained" in rerun.stdout
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items()), "completed shards must not be redone"
    assert stage_files(out) == stage_files(local_run)


def _card(out: Path, stage: str) -> dict[str, object]:
    (path,) = out.glob(f"*-{stage}/v*/training_card.json")
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def test_training_stages_chain_their_checkpoints_and_cards(local_run: Path) -> None:
    qft, qpo, sft = (_card(local_run, s) for s in ("qft", "qpo", "sft"))
    for card in (qft, qpo, sft):
        assert card["optimizer_steps"] == card["max_steps"] > 0 and card["tokens_seen"] > 0
        assert card["versions"]["trl"] and card["base_model"]["fingerprint"] and card["data"]["rows"] > 0
        assert card["loss"]["first"] is not None and card["loss"]["last"] is not None
    # qpo starts from the qft checkpoint; sft trains on export's rows; lineage names the upstream keys
    assert qpo["base_model"]["path"].endswith(f"{qft['key']}/checkpoint")
    assert qpo["lineage"]["qft"] == qft["key"] and "qpo_pairs" in qpo["lineage"]
    assert qpo["hyperparameters"]["beta"] == 0.1 and qpo["data"]["eval_rows"] == 10
    assert qpo["heldout"]["before"]["eval_rewards/accuracies"] == 0.0
    assert qpo["heldout"]["after"]["eval_loss"] < qpo["heldout"]["before"]["eval_loss"]
    assert sft["lineage"]["export"] and sft["data"]["rows"] == len(
        (local_run / "export" / "sft.jsonl").read_text().splitlines())
    (gen,) = local_run.glob("*-generate/v*/stage.json")
    assert json.loads(gen.read_text())["config"]["model"] == "qgen"
    for stage in ("qft", "qpo", "sft"):
        (root,) = local_run.glob(f"*-{stage}/v*")
        assert (root / "loss.png").stat().st_size > 1000 and not (root / "trainer").exists()


def test_harness_eval_scores_the_sft_checkpoint(local_run: Path, tiny_env: dict[str, str], tmp_path: Path) -> None:
    (ckpt,) = local_run.glob("*-sft/v*/checkpoint")
    gen_cfg = json.loads((ckpt / "generation_config.json").read_text())
    assert not {"temperature", "top_p", "top_k", "do_sample"} & set(gen_cfg), "decoding must not hide in the checkpoint"
    proc = subprocess.run([sys.executable, "-m", "harness", "eval", str(ckpt), "--benchmarks", "gsm8k", "--limit",
                           "3", "--max-tokens", "16", "--out", str(tmp_path)], env=tiny_env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (metrics,) = tmp_path.glob("*/metrics.json")
    (manifest,) = tmp_path.glob("*/manifest.json")
    assert json.loads(metrics.read_text())["benchmarks"]["gsm8k"]["n_items"] == 3
    assert str(ckpt) in manifest.read_text()
