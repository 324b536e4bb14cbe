"""`harness eval` end to end on the real tiny checkpoint: every benchmark through hf and through a real
`transformers serve`, a dry run, and resume after a SIGKILL mid-benchmark."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.registry import all_benchmarks
from harness.types import Status

REPO = Path(__file__).resolve().parents[2]
MANIFEST_KEYS = {"run_id", "created", "checkpoint", "config", "config_hash", "harness_version", "git_sha",
                 "grader_versions", "benchmarks", "backend", "hardware", "timings", "tags", "sandbox", "warnings"}
METRIC_KEYS = {"version", "kind", "n_items", "n_samples", "limited", "primary", "score", "ci95", "pass_at_k",
               "maj_at_k", "status_counts", "truncation_rate", "extraction_failure_rate", "breakdown"}
# `--truncation grade` so the real graders (math pool, code sandbox) see every output of the tiny model,
# which rarely stops on its own within a few tokens.
HF = ["--backend", "hf", "--device", "cpu", "--max-tokens", "24", "--truncation", "grade"]


def only_run(out: Path) -> Path:
    runs = [p for p in out.iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def check_run(run_dir: Path, names: list[str], items: int) -> dict[str, Any]:
    """The run directory holds the contract's files and every benchmark's `items` graded records."""
    manifest, metrics = load(run_dir / "manifest.json"), load(run_dir / "metrics.json")
    assert manifest.keys() >= MANIFEST_KEYS and manifest["status"] == "complete"
    assert manifest["run_id"] == run_dir.name == metrics["run_id"]
    assert list(metrics["benchmarks"]) == names
    for name in names:
        m = metrics["benchmarks"][name]
        assert m.keys() >= METRIC_KEYS and m["n_items"] == items and m["complete"] and m["limited"]
        assert sum(m["status_counts"].values()) == items and 0.0 <= m["score"] <= 1.0
        recs = jsonl(run_dir / "records" / f"{name}.jsonl")
        assert len(recs) == items and all(Status(r["grade"]["status"]) for r in recs)
        assert manifest["benchmarks"][name]["prompt_hash"] in {r["prompt_hash"] for r in recs}
    return metrics


def test_eval_smoke_hf_then_rerun(tiny_checkpoint: Path, data_dir: Path, tmp_path: Path) -> None:
    """The default-suite version: one math and one code benchmark, two items each, then a rerun."""
    out = tmp_path / "results"
    argv = ["eval", str(tiny_checkpoint), "--benchmarks", "gsm8k,humaneval", "--limit", "2", *HF,
            "--data-dir", str(data_dir), "--out", str(out)]
    assert main(argv) == 0
    run_dir = only_run(out)
    metrics = check_run(run_dir, ["gsm8k", "humaneval"], 2)
    assert main(argv) == 0
    assert all(b["generated"] == 0 for b in load(run_dir / "manifest.json")["timings"]["benchmarks"].values())
    assert load(run_dir / "metrics.json") == metrics


@pytest.mark.slow
def test_eval_every_benchmark_hf_then_rerun(tiny_checkpoint: Path, data_dir: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results"
    argv = ["eval", str(tiny_checkpoint), "--suite", "all", "--limit", "3", *HF, "--data-dir", str(data_dir),
            "--out", str(out), "--tag", "purpose=test"]
    assert main(argv) == 0
    names = [b.name for b in all_benchmarks()]
    run_dir = only_run(out)
    metrics = check_run(run_dir, names, 3)
    printed = capsys.readouterr().out
    assert str(run_dir) in printed and "gsm8k" in printed
    manifest = load(run_dir / "manifest.json")
    assert manifest["tags"] == {"purpose": "test"} and manifest["backend"]["backend"] == "hf"
    assert manifest["checkpoint"]["path"] == str(tiny_checkpoint.resolve())
    # the same command again: nothing generated, same metrics
    assert main(argv) == 0
    again = load(run_dir / "manifest.json")
    assert len(again["invocations"]) == 2
    assert all(b["generated"] == 0 for b in again["timings"]["benchmarks"].values())
    assert load(run_dir / "metrics.json") == metrics


@pytest.mark.slow
def test_eval_openai_against_served_tiny(served_tiny: Any, data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "results"
    names = [b.name for b in all_benchmarks()]
    # completions endpoint: prompts are templated here (code formats continue an assistant prefix,
    # which `transformers serve`'s chat endpoint cannot do)
    argv = ["eval", served_tiny.model, "--backend", "openai", "--base-url", served_tiny.base_url, "--endpoint",
            "completions", "--suite", "all", "--limit", "3", "--max-tokens", "24", "--truncation", "grade",
            "--data-dir", str(data_dir), "--out", str(out)]
    assert main(argv) == 0
    run_dir = only_run(out)
    check_run(run_dir, names, 3)
    assert load(run_dir / "manifest.json")["backend"]["base_url"] == served_tiny.base_url.rstrip("/")


def test_dry_run_writes_nothing(tiny_checkpoint: Path, data_dir: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results"
    rc = main(["eval", str(tiny_checkpoint), "--benchmarks", "gsm8k,humaneval", *HF, "--data-dir", str(data_dir),
               "--out", str(out), "--dry-run"])
    printed = capsys.readouterr().out
    assert rc == 0 and not out.exists()
    assert "<|im_start|>" in printed and "Janet" in printed  # the chat template and GSM8K's first item
    assert printed.count("hash:") == 2 and "tokens:" in printed and "'max_tokens': 24" in printed


def _cli(args: list[str], **kw: Any) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "harness", *args], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)


def _wait_for_lines(path: Path, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count("\n") >= 1:
            return
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.02)
    pytest.fail(f"no batch reached {path} in {timeout} s")


@pytest.mark.slow
def test_sigkill_mid_benchmark_then_resume(tiny_checkpoint: Path, data_dir: Path, tmp_path: Path) -> None:
    common = ["eval", str(tiny_checkpoint), "--benchmarks", "gsm8k,math500", "--limit", "12", "--batch-size", "2",
              "--backend", "hf", "--device", "cpu", "--max-tokens", "64", "--data-dir", str(data_dir)]
    killed_out = tmp_path / "killed"
    proc = _cli([*common, "--out", str(killed_out)])
    try:
        # wait until the first batch of the first benchmark is durable, then kill -9
        run_dirs = lambda: [p for p in killed_out.glob("*") if p.is_dir()]  # noqa: E731
        deadline = time.monotonic() + 120
        while not run_dirs() and time.monotonic() < deadline:
            assert proc.poll() is None
            time.sleep(0.02)
        _wait_for_lines(run_dirs()[0] / "records" / "gsm8k.jsonl", proc)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
    run_dir = run_dirs()[0]
    before = jsonl(run_dir / "records" / "gsm8k.jsonl")
    assert 1 <= len(before) < 12, "the kill must land mid-benchmark"
    assert load(run_dir / "manifest.json")["status"] == "running"
    assert main([*common, "--out", str(killed_out)]) == 0
    assert main([*common, "--out", str(tmp_path / "clean")]) == 0
    clean_dir = only_run(tmp_path / "clean")
    assert clean_dir.name == run_dir.name  # same configuration, same run id
    assert load(run_dir / "metrics.json") == load(clean_dir / "metrics.json")
    for name in ("gsm8k", "math500"):
        gens = jsonl(run_dir / "generations" / f"{name}.jsonl")
        keys = [(g["item_id"], g["k"]) for g in gens]
        assert len(keys) == len(set(keys)) == 12  # no sample generated twice
    kept = {(r["item_id"], r["output"]) for r in before}
    assert kept <= {(r["item_id"], r["output"]) for r in jsonl(run_dir / "records" / "gsm8k.jsonl")}
