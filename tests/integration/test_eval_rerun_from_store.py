"""Instant reruns on the real tiny checkpoint: an unchanged rerun answers from the store in a fresh
process that never imports torch; a changed chat template or changed data sends it down the full path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "vllm", "datasets", "sympy")
PROBE = (
    "import json, sys\n"
    "from harness.cli import main\n"
    "rc = main(json.loads(sys.argv[1]))\n"
    f"print(json.dumps({{'rc': rc, 'heavy': [m for m in {HEAVY!r} if m in sys.modules]}}))\n"
)


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def probe(argv: list[str]) -> tuple[dict[str, Any], str]:
    """Run the CLI in a fresh interpreter; its exit code and which heavy modules it imported."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], capture_output=True, text=True,
                          timeout=300, env=env, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stdout


def test_unchanged_rerun_skips_torch_and_changes_redo_the_work(
    tiny_checkpoint: Path, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ckpt, data, out = tmp_path / "ckpt", tmp_path / "data", tmp_path / "results"
    shutil.copytree(tiny_checkpoint, ckpt)
    for name in ("gsm8k", "humaneval"):
        shutil.copytree(data_dir / name, data / name)
    argv = ["eval", str(ckpt), "--benchmarks", "gsm8k,humaneval", "--limit", "2", "--backend", "hf",
            "--device", "cpu", "--max-tokens", "12", "--data-dir", str(data), "--out", str(out)]
    assert main(argv) == 0
    (first,) = out.iterdir()
    metrics = load(first / "metrics.json")
    assert load(first / "manifest.json")["rerun"]["key"]

    got, printed = probe(argv)
    assert got == {"rc": 0, "heavy": []}
    assert "answered from the store" in printed and "reused 4 stored" in printed
    manifest = load(first / "manifest.json")
    assert len(manifest["invocations"]) == 2 and manifest["timings"]["reused"]
    assert load(first / "metrics.json") == metrics

    # A changed chat template changes every prompt: a new run, generated in full.
    template = ckpt / "chat_template.jinja"
    template.write_text(template.read_text().replace("'<|im_start|>assistant\\n'", "'<|im_start|>assistant\\n\\n'"))
    capsys.readouterr()
    assert main(argv) == 0
    assert "answered from the store" not in capsys.readouterr().out
    (second,) = [p for p in out.iterdir() if p != first]
    timings = load(second / "manifest.json")["timings"]["benchmarks"]
    assert {b: t["generated"] for b, t in timings.items()} == {"gsm8k": 2, "humaneval": 2}

    # Changed data (a row past the limit): the full path runs and its data check catches it.
    rows = (data / "gsm8k" / "test.jsonl").read_text().splitlines(keepends=True)
    rows[100] = rows[100].replace('"question": "', '"question": "Edited: ', 1)
    (data / "gsm8k" / "test.jsonl").write_text("".join(rows))
    assert main(argv) == 2
    assert "gsm8k: expected fingerprint" in capsys.readouterr().err
