"""Training stages on real tiny checkpoints: bad input is one line and exit 2 with nothing marked done,
a killed training resumes to the same step count, and the accelerate path runs the same job."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from synth.cli import main

TRAIN = {"epochs": 1, "learning_rate": 1.0e-3, "lr_scheduler": "cosine", "warmup_ratio": 0.0, "warmup_steps": 0,
         "batch_size": 4, "grad_accum": 1, "max_length": 48, "packing": False, "bf16": False, "weight_decay": 0.0,
         "optim": "adamw_torch", "save_steps": 2, "logging_steps": 1, "device": "cpu", "launcher": "inprocess",
         "num_processes": 1, "accelerate_config": ""}
# The untrained chat model never writes the rewrite marker: every pair is dropped.
PAIRS = {"model": "writer", "optimizer": "writer", "num_questions": 4, "system": "", "prefix": "",
         "stop": ["<|im_end|>"], "temperature": 1.0, "top_p": 0.99, "max_tokens": 12, "batch_size": 4,
         "drop_truncated": False, "prompts": "short", "directions": ["difficulty"], "optimizer_system": "",
         "optimizer_temperature": 0.0, "optimizer_max_tokens": 8}
QPO = {"model": "writer", "data": [{"from_stage": "qpo_pairs"}], "beta": 0.1, "loss_type": "sigmoid", "heldout": 1,
       **TRAIN}
HF = {"kind": "hf", "device": "cpu", "dtype": "float32", "batch_size": 8}


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from harness.tiny import build_tiny_checkpoint

    root = tmp_path_factory.mktemp("train-ckpts")
    return {"chat": build_tiny_checkpoint(root / "chat"), "plain": build_tiny_checkpoint(root / "plain", chat=False)}


def questions(path: Path, n: int, field: str = "question") -> Path:
    path.write_text("".join(json.dumps({field: f"What is {i} + {i % 7}?"}) + "\n" for i in range(n)))
    return path


def recipe(tmp_path: Path, models: dict[str, Any], stages: dict[str, Any]) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump({"name": "train-test", "seed": 0, "shards": 1, "models": models,
                                    "stages": stages, "executor": {"workers": 1, "ray_address": ""}}, sort_keys=False))
    return path


def qft(data: Path, model: str = "writer", **over: Any) -> dict[str, Any]:
    return {"model": model, "data": [{"path": str(data), "field": "question"}], "system": "", "prefix": "",
            "sft_loss": "model", **TRAIN, **over}


def run(path: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["run", str(path), "--out", str(out)])
    return code, capsys.readouterr().err.strip()


def assert_nothing_done(out: Path) -> None:
    assert not list(out.glob("*/v*/done/*.json")) and not list(out.glob("*/v*/checkpoint"))


def test_qft_trains_prefix_question_end_of_turn(ckpts: dict[str, Path], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = recipe(tmp_path, {"writer": {**HF, "model": str(ckpts["chat"])}},
                  {"qft": qft(questions(tmp_path / "q.jsonl", 12))})
    code, err = run(path, tmp_path / "out", capsys)
    assert code == 0, err
    (root,) = (tmp_path / "out").glob("00-qft/v*")
    first = json.loads((root / "data.jsonl").read_text().splitlines()[0])
    assert first == {"text": "<|im_start|>user\nWhat is 0 + 0?<|im_end|>"}
    card = json.loads((root / "training_card.json").read_text())
    assert card["optimizer_steps"] == 3 and card["hyperparameters"]["global_batch"] == 4
    assert card["data"]["rows"] == 12 and len(card["data"]["fingerprint"]) == 64
    # unchanged: skipped; a changed hyperparameter: retrained into a new folder
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 0
    assert "qft                  already trained" in capsys.readouterr().out
    path = recipe(tmp_path, {"writer": {**HF, "model": str(ckpts["chat"])}},
                  {"qft": qft(tmp_path / "q.jsonl", learning_rate=2.0e-3)})
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 0
    assert len(list((tmp_path / "out").glob("00-qft/v*/done/shard-00000.json"))) == 2


@pytest.mark.parametrize("case", ["empty", "wrong_field", "no_template", "sft_no_template", "sft_fields"])
def test_bad_training_input_is_one_line(case: str, ckpts: dict[str, Path], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = questions(tmp_path / "q.jsonl", 6)
    models = {"writer": {**HF, "model": str(ckpts["chat"])}, "plain": {**HF, "model": str(ckpts["plain"])}}
    sft = {"model": "plain", "data": [{"path": str(data)}], "chat_template": "", "sft_loss": "model", **TRAIN}
    stages, expect = {
        "empty": ({"qft": qft((tmp_path / "e.jsonl"), model="writer")}, "has no rows"),
        "wrong_field": ({"qft": qft(questions(tmp_path / "p.jsonl", 3, field="problem"))}, "row 1 has no 'question'"),
        "no_template": ({"qft": qft(data, model="plain")}, "has no chat template"),
        "sft_no_template": ({"sft": sft}, "has no chat template; set stages.sft.chat_template"),
        "sft_fields": ({"sft": {**sft, "model": "writer"}}, "row 1 has no 'prompt' field"),
    }[case]
    (tmp_path / "e.jsonl").write_text("")
    code, err = run(recipe(tmp_path, models, stages), tmp_path / "out", capsys)
    assert code == 2 and err.count("\n") == 0 and expect in err, err
    assert_nothing_done(tmp_path / "out")


@pytest.mark.parametrize(("source", "expect"), [("qfft", "is not a stage of"), ("sft", "runs after stage 'qft'"),
                                                ("qft", "makes records, not a checkpoint")])
def test_from_stage_must_name_an_earlier_training_stage(source: str, expect: str, ckpts: dict[str, Path],
                                                        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = questions(tmp_path / "q.jsonl", 6)
    models = {"writer": {**HF, "from_stage": source}, "base": {**HF, "model": str(ckpts["chat"])}}
    stages: dict[str, Any] = {"qft": qft(data), "sft": {"model": "base", "data": [{"path": str(data)}],
                                                        "chat_template": "", "sft_loss": "model", **TRAIN}}
    if source == "qft":  # a record stage named as a model source
        models = {"writer": {**HF, "model": str(ckpts["chat"])}, "policy": {**HF, "from_stage": "qpo_pairs"}}
        stages = {"qpo_pairs": PAIRS, "qpo": {**QPO, "model": "policy"}}
        expect = "from_stage 'qpo_pairs' makes records"
    code, err = run(recipe(tmp_path, models, stages), tmp_path / "out", capsys)
    assert code == 2 and err.count("\n") == 0 and expect in err, err
    assert not (tmp_path / "out").exists()


def test_every_qpo_pair_dropped_is_one_line(ckpts: dict[str, Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    models = {"writer": {**HF, "model": str(ckpts["chat"])}, "optimizer": {**HF, "model": str(ckpts["chat"])}}
    code, err = run(recipe(tmp_path, models, {"qpo_pairs": PAIRS, "qpo": QPO}), tmp_path / "out", capsys)
    assert code == 2 and err.count("\n") == 0 and "every QPO pair was dropped" in err, err
    stats = json.loads(next((tmp_path / "out").glob("00-qpo_pairs/v*/stats/shard-00000.json")).read_text())
    assert stats["dropped"] == {"no_marker": 4}
    assert not list((tmp_path / "out").glob("01-qpo/v*/done/*"))


def test_full_disk_while_saving_is_one_line_and_nothing_done(ckpts: dict[str, Path], tmp_path: Path) -> None:
    path = recipe(tmp_path, {"writer": {**HF, "model": str(ckpts["chat"])}},
                  {"qft": qft(questions(tmp_path / "q.jsonl", 12))})
    limit = 200_000  # the data file fits; the first trainer checkpoint (weights + optimizer) does not

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(
        [sys.executable, "-c", "import signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN);"
         "from synth.cli import main; raise SystemExit(main())", "run", str(path), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, preexec_fn=limit_file_size, timeout=300, check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"})
    err = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and "no space left while training" in err[-1], proc.stderr[-2000:]
    assert_nothing_done(tmp_path / "out")


def _qft_job(ckpts: dict[str, Path], tmp_path: Path, **over: Any) -> Path:
    return recipe(tmp_path, {"writer": {**HF, "model": str(ckpts["chat"])}},
                  {"qft": qft(questions(tmp_path / "q.jsonl", 400), **{"batch_size": 2, **over})})


@pytest.mark.slow
def test_killed_training_resumes_to_the_same_steps(ckpts: dict[str, Path], tmp_path: Path) -> None:
    path = _qft_job(ckpts, tmp_path, save_steps=20)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "synth.cli", "run", str(path), "--out", str(out)]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    try:
        while not list(out.glob("00-qft/v*/trainer/checkpoint-40/trainer_state.json")):
            assert proc.poll() is None and time.monotonic() < deadline, "training ended before the kill point"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert_nothing_done(out)
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    card = json.loads(next(out.glob("00-qft/v*/training_card.json")).read_text())
    assert card["resumed_from"] in ("checkpoint-40", "checkpoint-60", "checkpoint-80")
    assert card["optimizer_steps"] == card["max_steps"] == 200
    fresh = tmp_path / "fresh"
    assert subprocess.run([*cmd[:-1], str(fresh)], capture_output=True, timeout=600, check=False).returncode == 0
    fresh_card = json.loads(next(fresh.glob("00-qft/v*/training_card.json")).read_text())
    assert fresh_card["optimizer_steps"] == 200 and fresh_card["resumed_from"] is None


@pytest.mark.slow
def test_accelerate_launch_runs_the_same_job(ckpts: dict[str, Path], tmp_path: Path) -> None:
    path = recipe(tmp_path, {"writer": {**HF, "model": str(ckpts["chat"])}},
                  {"qft": qft(questions(tmp_path / "q.jsonl", 12), launcher="accelerate")})
    proc = subprocess.run([sys.executable, "-m", "synth.cli", "run", str(path), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (root,) = (tmp_path / "out").glob("00-qft/v*")
    job = json.loads((root / "job.json").read_text())
    assert job["settings"]["launcher"] == "accelerate"
    card = json.loads((root / "training_card.json").read_text())
    assert card["optimizer_steps"] == 3 and (root / "checkpoint" / "model.safetensors").is_file()


def test_a_stage_using_an_unfinished_training_stage_is_one_line(ckpts: dict[str, Path], tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    models = {"writer": {**HF, "model": str(ckpts["chat"])}, "qgen_qft": {**HF, "from_stage": "qft"}}
    stages = {"qft": qft(questions(tmp_path / "q.jsonl", 6)), "qpo_pairs": {**PAIRS, "model": "qgen_qft"}}
    code = main(["run", str(recipe(tmp_path, models, stages)), "--stages", "qpo_pairs", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "uses model 'qgen_qft' from stage qft, which has not finished" in err
