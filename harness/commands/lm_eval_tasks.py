"""`harness lm-eval-tasks DIR`: our benchmarks as lm-eval tasks (`harness_<name>`), graded by our grader."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `lm-eval-tasks`."""
    from harness.presets import PRESETS

    p = subparsers.add_parser(
        "lm-eval-tasks", help="write our benchmarks as lm-eval tasks (lm_eval --include_path DIR)",
        description="One task per benchmark (harness_<name>) and the groups harness and harness_scalequest. "
                    "Items come from $HARNESS_DATA_DIR when lm-eval runs, prompts and generation settings from "
                    "--preset, and every response is graded by our grader (code in our sandbox, so code tasks "
                    "need lm_eval's --confirm_run_unsafe_code). Chat presets need --apply_chat_template.")
    p.add_argument("dir", metavar="DIR", help="folder to write the task files into (created if missing)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="scalequest",
                   help="prompt formats and generation settings (default: scalequest)")
    p.add_argument("--base-model", action="store_true",
                   help="use the preset's text formats for checkpoints without a chat template")
    p.add_argument("--benchmarks", nargs="+", default=(), metavar="NAME", help="only these benchmarks")


def run(args: argparse.Namespace) -> int:
    """Write the files and say how to run them."""
    from harness.integrations.lm_eval_export import write_tasks
    from harness.presets import get_preset
    from harness.registry import get_benchmark

    for name in args.benchmarks:
        get_benchmark(name)  # unknown name: one line with a close match
    written, skipped = write_tasks(Path(args.dir), args.preset, args.base_model, tuple(args.benchmarks))
    for line in skipped:
        print(line)
    tasks = [p.stem for p in written if p.suffix == ".yaml"]
    print(f"wrote {len(written)} files to {args.dir}: {', '.join(tasks)}")
    chat = not args.base_model and any(f.chat for f in get_preset(args.preset).formats.values())
    print(f"run: HARNESS_DATA_DIR=<data> lm_eval --model hf --model_args pretrained=<ckpt> --include_path {args.dir} "
          f"--tasks harness{' --apply_chat_template' * chat} "
          "--confirm_run_unsafe_code --log_samples --output_path <out>")
    return 0
