"""The lm-eval round trip, offline, with a real `lm_eval` run on the tiny checkpoint.

One lm_eval invocation runs our tasks (written by `harness lm-eval-tasks`) and lm-eval's stock
`gsm8k` task pointed at the local GSM8K files (same YAML, `include:`d, only the dataset swapped).
Then: lm-eval's per-sample metric equals `harness score` on the same outputs; `harness score
--format lm-eval` and `harness import-lm-eval` read the folder, stock task included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main

REPO = Path(__file__).resolve().parents[2]
OURS = {"harness_gsm8k": "gsm8k", "harness_math500": "math500", "harness_humaneval": "humaneval"}


def _stock_gsm8k_yaml(data_dir: Path) -> str:
    import lm_eval

    stock = Path(lm_eval.__file__).parent / "tasks" / "gsm8k" / "gsm8k.yaml"
    return (f"include: {stock}\ntask: gsm8k\ndataset_path: json\ndataset_name: null\ndataset_kwargs:\n"
            f"  data_files:\n    test: {data_dir / 'gsm8k' / 'test.jsonl'}\n"
            f"    train: {data_dir / 'gsm8k' / 'train.jsonl'}\n")


@pytest.fixture(scope="module")
def lm_eval_out(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoint: Path, data_dir: Path) -> Path:
    """The folder of one offline lm_eval run (--log_samples) over three of our tasks and stock gsm8k."""
    root = tmp_path_factory.mktemp("lmeval")
    tasks = root / "tasks"
    assert main(["lm-eval-tasks", str(tasks), "--benchmarks", *OURS.values()]) == 0
    (tasks / "stock_gsm8k_local.yaml").write_text(_stock_gsm8k_yaml(data_dir))
    env = {**os.environ, "PYTHONPATH": str(REPO), "HARNESS_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1",
           "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(root / "hf"), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "lm_eval", "--model", "hf", "--model_args",
           f"pretrained={tiny_checkpoint},dtype=float32", "--device", "cpu", "--include_path", str(tasks),
           "--tasks", ",".join([*OURS, "gsm8k"]), "--limit", "3", "--log_samples", "--output_path",
           str(root / "out"), "--apply_chat_template", "--confirm_run_unsafe_code", "--batch_size", "4",
           "--gen_kwargs", "max_gen_toks=24"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root / "out"


def _samples(out: Path, task: str) -> Path:
    return next(out.rglob(f"samples_{task}_*.jsonl"))


def _score(path: Path, bench: str, graded: Path, data_dir: Path, *extra: str) -> list[dict[str, Any]]:
    assert main(["score", str(path), "--benchmark", bench, "--out", str(graded), "--data-dir", str(data_dir),
                 *extra]) == 0
    return [json.loads(x) for x in graded.read_text().splitlines()]


@pytest.mark.parametrize("task", list(OURS))
def test_lm_eval_per_sample_metric_equals_harness_score(lm_eval_out: Path, data_dir: Path, tmp_path: Path,
                                                        task: str) -> None:
    path = _samples(lm_eval_out, task)
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    assert len(rows) == 3
    graded = _score(path, OURS[task], tmp_path / "g.jsonl", data_dir, "--format", "lm-eval")
    metric = "pass@1" if OURS[task] == "humaneval" else "acc"
    assert [r["lm_eval"]["doc_id"] for r in graded] == [r["doc_id"] for r in rows]
    assert [r["id"] for r in graded] == [r["doc"]["harness_id"] for r in rows]
    assert [r[metric] for r in rows] == [float(g["status"] == "correct") for g in graded]


def test_hook_and_score_agree_on_known_right_and_wrong_answers(
        lm_eval_out: Path, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The tiny model answers nothing right; give lm-eval's own rows right and wrong responses, grade them
    # with the very hook lm-eval calls, and check `harness score` gives the same verdicts.
    monkeypatch.setenv("HARNESS_DATA_DIR", str(data_dir))
    from harness.data import load_benchmark
    from harness.integrations.lm_eval_hooks import process_results
    from harness.registry import get_benchmark

    for task, bench in OURS.items():
        items = {s.id: s for s in load_benchmark(get_benchmark(bench), data_dir).samples}
        rows = [json.loads(x) for x in _samples(lm_eval_out, task).read_text().splitlines()]
        for i, row in enumerate(rows):
            s = items[row["doc"]["harness_id"]]
            if bench == "humaneval":  # the prompt ends in an opened ```python fence
                body = s.meta["reference"] if i != 1 else s.meta["prompt"] + "    return None\n"
                resp = body + "```"
            elif i == 1:  # no boxed answer: the preset's last-number fallback decides, in both
                resp = "Adding them up gives 23 apples, then 7 more."
            else:
                resp = f"... so the result is \\boxed{{{s.gold}}}."
            row["resps"], row["filtered_resps"] = [[resp]], [resp]
            row.update(process_results(row["doc"], [resp]))
        path = tmp_path / _samples(lm_eval_out, task).name
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        graded = _score(path, bench, tmp_path / f"{task}.jsonl", data_dir)
        metric = "pass@1" if bench == "humaneval" else "acc"
        assert [r[metric] for r in rows] == [float(g["status"] == "correct") for g in graded]
        assert [r[metric] for r in rows][::2] == [1.0, 1.0]
        assert graded[1]["status"] == "incorrect"
        if bench != "humaneval":  # scalequest lets the math extractor fall back to the last number
            assert graded[1]["extracted"] == "7" and rows[1]["doc"]["harness_answer_fallback"] is True


def test_stock_lm_eval_task_output_is_read(lm_eval_out: Path, data_dir: Path, tmp_path: Path) -> None:
    graded = _score(_samples(lm_eval_out, "gsm8k"), "gsm8k", tmp_path / "g.jsonl", data_dir)
    assert [g["id"] for g in graded] == ["0", "1", "2"]
    assert set(graded[0]["lm_eval"]["metrics"]) == {"exact_match,strict-match", "exact_match,flexible-extract"}


def test_import_lm_eval_reads_the_output_folder(lm_eval_out: Path, data_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    res = tmp_path / "results"
    assert main(["import-lm-eval", str(lm_eval_out), "--out", str(res), "--data-dir", str(data_dir)]) == 0
    runs = [p for p in res.iterdir() if (p / "manifest.json").is_file()]
    tasks: dict[str, str] = {}
    for run in runs:
        manifest = json.loads((run / "manifest.json").read_text())
        metrics = json.loads((run / "metrics.json").read_text())["benchmarks"]
        assert manifest["produced_by"]["harness"] == "lm-eval" and manifest["produced_by"]["version"] == "0.4.13"
        assert manifest["checkpoint"]["fingerprint"]
        for name, info in manifest["benchmarks"].items():
            for task, lm in info["lm_eval"].items():
                tasks[task] = name
                assert lm["config"]["task"] == task
            assert metrics[name]["n_items"] == 3 and metrics[name]["lm_eval"]
    # harness_gsm8k and stock gsm8k grade the same three items with different prompts: two runs.
    assert len(runs) == 2
    assert tasks == {**OURS, "gsm8k": "gsm8k"}
    capsys.readouterr()
    assert main(["leaderboard", str(res), "--published", "none"]) == 0
    assert capsys.readouterr().out.count("lm-eval-") == 2


def test_our_tasks_render_the_prompts_harness_eval_renders(
        lm_eval_out: Path, data_dir: Path, tiny_checkpoint: Path, tmp_path: Path) -> None:
    # lm-eval (--apply_chat_template) and `harness eval` with the same preset send byte-identical prompts,
    # so `harness compare` accepts an imported lm-eval run against our own run without --force.
    res = tmp_path / "results"
    assert main(["import-lm-eval", str(lm_eval_out), "--out", str(res), "--data-dir", str(data_dir),
                 "--tasks", "harness_gsm8k"]) == 0
    assert main(["eval", str(tiny_checkpoint), "--benchmarks", "gsm8k", "--limit", "3", "--max-tokens", "24",
                 "--device", "cpu", "--out", str(res), "--data-dir", str(data_dir)]) == 0
    imported = next(p for p in res.iterdir() if p.name.startswith("lm-eval-"))
    ours = next(p for p in res.iterdir() if p.is_dir() and not p.name.startswith("lm-eval-"))
    hashes = [[json.loads(x)["prompt_hash"] for x in (run / "records" / "gsm8k.jsonl").read_text().splitlines()]
              for run in (imported, ours)]
    assert sorted(hashes[0]) == sorted(hashes[1]) and len(hashes[0]) == 3
    assert main(["compare", str(ours), str(imported), "--n-boot", "200"]) == 0
