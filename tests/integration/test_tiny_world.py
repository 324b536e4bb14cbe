"""The tiny arith world: a briefly trained solver beats the fresh base on arith through the harness
eval API (fast); the full build measures each model and is kept until its version or seed changes (slow)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from harness.tiny import evaluate


def test_a_briefly_trained_solver_scores_above_the_fresh_base(tmp_path: Path) -> None:
    from synth import tiny

    tok = tiny.make_tokenizer(0)
    tiny.build_solver(tok, tmp_path / "solver", seed=0, steps=200)  # a third of the real build's steps
    tiny._save(tiny.fresh_model(tok, 1), tok, tmp_path / "base")
    scores = {name: evaluate(tmp_path / name, out_dir=tmp_path / "runs", limit=20, preset=tiny.EVAL_PRESET,
                             max_tokens=48)["arith"] for name in ("solver", "base")}
    assert scores["base"]["score"] == 0.0 and scores["solver"]["score"] > scores["base"]["score"]
    assert scores["solver"]["n_items"] == 20
    chat = tok.apply_chat_template([{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}],
                                   tokenize=False)
    assert chat == tiny.chat_text("Q", "A")  # the texts trained on are what the template renders


def test_corruptions_change_the_answer_and_keep_the_shape() -> None:
    from benchmarks.arith import train_rows
    from synth import tiny

    rng = random.Random(0)
    for row in train_rows(200):
        for bad in (tiny.corrupt_answer(row["solution"], rng), tiny.corrupt_step(row["solution"], rng)):
            boxed = bad.rsplit("\\boxed{", 1)[1].split("}")[0]
            assert int(boxed) >= 0 and boxed != row["answer"] and bad.count("=") == row["solution"].count("=")


@pytest.mark.slow
def test_full_build_measures_each_model_and_is_kept(tmp_path: Path) -> None:
    from synth.tiny import MARKER, build_tiny_models

    lines: list[str] = []
    roles = build_tiny_models(tmp_path, log=lines.append)
    assert set(roles) == {"qgen", "solver", "judge", "reward", "optimizer", "base"} and roles["qgen"] == roles["solver"]
    record = json.loads((tmp_path / MARKER).read_text())
    assert record["measured"]["solver"]["arith"] >= 0.6 and record["measured"]["base"]["arith"] <= 0.05
    accuracy = record["reward"]["pairwise_accuracy"]
    assert accuracy["boxed"] >= 0.8 and accuracy["all"] > 0.6  # arithmetic slips ("step") stay near chance
    assert any(line.startswith("solver") and "arith" in line for line in lines)
    again: list[str] = []
    build_tiny_models(tmp_path, log=again.append)  # kept: same figures, nothing rebuilt
    assert again == lines and json.loads((tmp_path / MARKER).read_text()) == record
