"""`harness demo`: the README's main command. Builds a tiny checkpoint locally (once) and runs
`harness eval` on it over every benchmark with a small limit, through `hf` on the CPU, offline.

Near-zero scores are expected and honest: the model has about 100k parameters.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

DEFAULT_CKPT = ".tiny/ckpt"
DEFAULT_LIMIT = 3
DEFAULT_MAX_TOKENS = 256
"""Small enough that every benchmark finishes in seconds on a laptop CPU; shown in the manifest."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `demo`."""
    p = subparsers.add_parser("demo", help="build a tiny local checkpoint and evaluate it on every benchmark",
                              description=__doc__)
    p.add_argument("--ckpt", default=DEFAULT_CKPT, help=f"where the tiny checkpoint lives (default: {DEFAULT_CKPT})")
    p.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help=f"items per benchmark (default: {DEFAULT_LIMIT})")
    p.add_argument("--max-tokens", type=int, default=DEFAULT_MAX_TOKENS)
    p.add_argument("--out", default="results", help="results folder (default: results)")
    p.add_argument("--data-dir", default=None, help="benchmark data folder (default: $HARNESS_DATA_DIR)")
    p.add_argument("--suite", default="all")


def eval_argv(args: argparse.Namespace) -> list[str]:
    """The `harness eval` arguments the demo runs (printed so users can run it themselves)."""
    argv = ["eval", args.ckpt, "--suite", args.suite, "--limit", str(args.limit), "--backend", "hf",
            "--device", "cpu", "--max-tokens", str(args.max_tokens), "--out", args.out, "--tag", "demo=tiny"]
    if args.data_dir:
        argv += ["--data-dir", args.data_dir]
    return argv


def run(args: argparse.Namespace) -> int:
    """Build the tiny checkpoint if missing, then run the eval command on it."""
    from harness.commands import eval as eval_cmd
    from harness.tiny import build_tiny_checkpoint

    # Offline by construction: nothing here may reach the network.
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(var, "1")
    ckpt = Path(args.ckpt)
    if not (ckpt / "config.json").is_file():
        print(f"building the tiny checkpoint in {ckpt} ...", flush=True)
        build_tiny_checkpoint(ckpt)
    parser = argparse.ArgumentParser(prog="harness")
    eval_cmd.add_parser(parser.add_subparsers())
    argv = eval_argv(args)
    print("running: harness " + " ".join(argv), flush=True)
    return eval_cmd.run(parser.parse_args(argv))
