"""Our `evaluate` metrics, loaded offline from their folders: the same verdicts as `harness score` on the
same inputs, code run in the sandbox (a code_eval drop-in), and the math metric as a Trainer's compute_metrics."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.data import load_benchmark
from harness.integrations import evaluate_metric_path, math_compute_metrics
from harness.registry import get_benchmark


@pytest.fixture(scope="module")
def hf_home(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """evaluate copies metric scripts into HF_HOME/modules: keep that out of the user's cache."""
    before = os.environ.get("HF_HOME")
    os.environ["HF_HOME"] = str(tmp_path_factory.mktemp("hf"))
    yield
    if before is None:
        os.environ.pop("HF_HOME", None)
    else:
        os.environ["HF_HOME"] = before


def _score(records: list[dict[str, Any]], bench: str, tmp_path: Path, data_dir: Path, *extra: str) -> list[str]:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert main(["score", str(src), "--benchmark", bench, "--out", str(out), "--data-dir", str(data_dir),
                 *extra]) == 0
    return [json.loads(x)["status"] for x in out.read_text().splitlines()]


def test_math_metric_gives_the_verdicts_of_harness_score(hf_home: Any, tmp_path: Path, data_dir: Path) -> None:
    import evaluate

    items = load_benchmark(get_benchmark("math500"), data_dir).samples[:5]
    outputs = [
        f"Thus the answer is $\\boxed{{{items[0].gold}}}$.",
        f"The final answer is \\boxed{{{items[1].gold} + 1}}",
        "I cannot solve this.",
        f"Final Answer: The final answer is ${items[3].gold}$. I hope it is correct.",
        "\\boxed{0.5}",
    ]
    golds = [s.gold for s in items[:4]] + ["\\frac{1}{2}"]
    metric = evaluate.load(evaluate_metric_path("math"))
    got = metric.compute(predictions=outputs, references=golds)
    want = _score([{"gold": g, "output": o} for g, o in zip(golds, outputs, strict=True)], "math", tmp_path, data_dir)
    assert got["verdicts"] == want == ["correct", "incorrect", "no_answer", "correct", "correct"]
    assert got["accuracy"] == pytest.approx(3 / 5)
    assert got["status_counts"]["no_answer"] == 1 and sum(got["status_counts"].values()) == 5


def test_code_metric_is_code_eval_through_the_sandbox(hf_home: Any, tmp_path: Path, data_dir: Path) -> None:
    import evaluate

    items = load_benchmark(get_benchmark("humaneval"), data_dir).samples[:3]
    completions = [[s.meta["reference"][len(s.meta["prompt"]):], "    return None\n"] for s in items]
    metric = evaluate.load(evaluate_metric_path("code"))
    pass_k, results = metric.compute(
        predictions=[[s.meta["prompt"] + c for c in cs] for s, cs in zip(items, completions, strict=True)],
        references=[s.meta["test"] for s in items], k=[1, 2], sandbox="local")
    want = _score([{"id": s.id, "output": c} for s, cs in zip(items, completions, strict=True) for c in cs],
                  "humaneval", tmp_path, data_dir, "--sandbox", "local")
    got = [r["passed"] for t in range(3) for _, r in results[t]]
    assert got == [w == "correct" for w in want] == [True, False] * 3
    assert pass_k == {"pass@1": pytest.approx(0.5), "pass@2": pytest.approx(1.0)}
    # The programs run in another process (the sandbox), never the caller's; an endless loop is killed.
    pid = os.getpid()
    pass_k, results = metric.compute(predictions=[[f"import os\nassert os.getpid() != {pid}\n", "while True: pass"]],
                                     references=["pass"], k=[1], timeout=1.0, sandbox="local")
    assert results[0][0][1]["passed"] and results[0][1][1]["result"].startswith("timeout")


def test_math_metric_as_a_trainer_compute_metrics(hf_home: Any, tiny_checkpoint: Path, tmp_path: Path) -> None:
    import numpy as np
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, EvalPrediction, Trainer, TrainingArguments

    tok = AutoTokenizer.from_pretrained(tiny_checkpoint)
    compute = math_compute_metrics(tok, benchmark="gsm8k", answers_only=True)
    answers = ["12", "7", "30", "5"]
    labels = tok(answers, padding="max_length", max_length=4, return_tensors="np")["input_ids"]
    preds = labels.copy()
    preds[2:] = tok(["13", "8"], padding="max_length", max_length=4, return_tensors="np")["input_ids"]
    labels = np.where(labels == tok.pad_token_id, -100, labels)
    got = compute(EvalPrediction(predictions=preds, label_ids=labels))
    assert got["accuracy"] == pytest.approx(0.5) and got["status_correct"] == 2 and got["status_incorrect"] == 2

    # Plugged into a real Trainer (trl's trainers take the same callable): eval_* metrics come back.
    model = AutoModelForCausalLM.from_pretrained(tiny_checkpoint, dtype=torch.float32)
    enc = tok(["1+1=2", "2+3=5", "3+4=7"], padding="max_length", max_length=8)
    rows = [{"input_ids": i, "attention_mask": a, "labels": i} for i, a in zip(enc["input_ids"], enc["attention_mask"],
                                                                               strict=True)]
    args = TrainingArguments(output_dir=str(tmp_path / "t"), per_device_eval_batch_size=3, report_to=[],
                             use_cpu=True)
    metrics = Trainer(model=model, args=args, eval_dataset=rows, compute_metrics=compute).evaluate()
    assert 0.0 <= metrics["eval_accuracy"] <= 1.0
    assert sum(v for k, v in metrics.items() if k.startswith("eval_status_")) == 3
