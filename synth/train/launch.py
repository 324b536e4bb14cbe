"""Start a training job: in this process, or under `accelerate launch` (multi-GPU, DeepSpeed ZeRO-3).

`python -m synth.train.launch JOB.json` is the entry point `accelerate launch -m` runs on every rank."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from synth.errors import DiskFullError, SynthError
from synth.io import atomic_write_json
from synth.train.settings import TrainSettings

_NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def accelerate_command(job: Path, s: TrainSettings) -> list[str]:
    """The command a user could also type: `accelerate launch [--config_file F] --num_processes N
    -m synth.train.launch JOB.json` (`--cpu` when the job trains on the CPU)."""
    cmd = [sys.executable, "-m", "accelerate.commands.launch"]
    if s.accelerate_config:
        cmd += ["--config_file", s.accelerate_config]
    cmd += ["--num_processes", str(s.num_processes)]
    if s.device == "cpu":
        cmd += ["--cpu"]
    return [*cmd, "-m", "synth.train.launch", str(job)]


def disk_full(exc: BaseException) -> int | None:
    """The errno when `exc` is a full disk (or a file size limit): an OSError, or the error a writer in
    another language raises with the OS error in its text (safetensors: 'os error 28', torch's
    checkpoint writer: 'No space left on device')."""
    if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
        return exc.errno
    text = str(exc)
    for code in _NO_SPACE:
        if f"os error {code})" in text or os.strerror(code) in text:
            return code
    return None


def _in_process(spec: dict[str, Any]) -> dict[str, Any]:
    from synth.train.job import run_job

    try:
        return run_job(spec)
    except Exception as exc:  # the writers of safetensors and torch raise their own types
        code = disk_full(exc)
        if code is None:
            raise
        raise DiskFullError(f"no space left while training into {spec['out']} ({os.strerror(code)}); "
                            "free space and rerun: training resumes from the last trainer checkpoint") from None


def launch(spec: dict[str, Any]) -> dict[str, Any]:
    """Write `job.json` beside the output and run it; returns the training card."""
    from synth.train.card import read_card

    s = TrainSettings(**spec["settings"])
    out = Path(spec["out"])
    job = out / "job.json"
    atomic_write_json(job, spec)
    if s.launcher == "inprocess":
        return _in_process(spec)
    proc = subprocess.run(accelerate_command(job, s), check=False)
    if proc.returncode != 0:
        raise SynthError(f"accelerate launch exited with {proc.returncode} for {job}; see its output above")
    return read_card(out)


def main(argv: list[str] | None = None) -> int:
    """Entry point on each rank under `accelerate launch -m synth.train.launch JOB.json`."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m synth.train.launch JOB.json", file=sys.stderr)
        return 2
    try:
        _in_process(json.loads(Path(args[0]).read_text()))
    except SynthError as exc:
        print(f"synth: error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
