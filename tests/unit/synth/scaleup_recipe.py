"""A small scale-up recipe and its rows, written for tests (unit and integration)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


def rows(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"prompt": [{"role": "user", "content": f"What is {i} + 1?"}],
             "completion": [{"role": "assistant", "content": f"{i} + 1 = {i + 1}. \\boxed{{{i + 1}}}"}]}
            for i in range(start, start + n)]


def write_recipe(tmp_path: Path, base: Path, **over: Any) -> Path:
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows(40)))
    su: dict[str, Any] = {
        "out": str(tmp_path / "out"),
        "data": {"sources": [{"path": str(data)}], "when_missing": {}, "order_seed": 0, "corrupt_sizes": []},
        "sizes": [10, 20], "base": {"kind": "hf", "model": str(base), "device": "cpu", "dtype": "float32"},
        "sft": {"chat_template": "", "epochs": 1, "learning_rate": 1e-3, "lr_scheduler": "cosine",
                "warmup_ratio": 0.0, "warmup_steps": 0, "batch_size": 4, "grad_accum": 1, "max_length": 64,
                "packing": False, "bf16": False, "weight_decay": 0.0, "optim": "adamw_torch", "save_steps": 50,
                "logging_steps": 1, "device": "cpu", "launcher": "inprocess", "num_processes": 1,
                "accelerate_config": "", "sft_loss": "model"},
        "eval": {"benchmarks": ["gsm8k"], "suite": "", "preset": "scalequest", "limit": 3, "max_tokens": 8, "n": 1,
                 "temperature": 0.0, "seed": 0},
        "compare": {"alpha": 0.05, "min_delta": 1.0, "gate": ["gsm8k"], "seed": 0, "n_boot": 1000},
        "resources": {"cpus": 1, "gpus": 0}}
    for key, value in over.items():
        section, _, field = key.partition("__")
        if field:
            su[section][field] = value
        else:
            su[section] = value
    path = tmp_path / "scaleup.yaml"
    path.write_text(yaml.safe_dump({"name": "t", "seed": 0, "scale_up": su}))
    return path
