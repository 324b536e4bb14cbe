"""Pieces of the run manifest that describe the environment: harness version, git sha, hardware.

Nothing here may fail a run: a missing git, an unreadable /proc or an absent torch only leave a
field empty.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import harness


def now_iso() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def git_sha(cwd: Path | None = None) -> str | None:
    """The commit the harness source is at (with '+dirty' when it has local changes), or None."""
    where = cwd or Path(harness.__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "."],
            cwd=where, capture_output=True, text=True, timeout=5, check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{sha}+dirty" if dirty else sha or None


def _torch_device() -> str | None:
    """The accelerator torch sees, only when torch is already imported (never imported for this)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    try:
        if torch.cuda.is_available():
            return f"cuda:{torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}"
    except Exception:  # a broken CUDA setup must not fail a CPU run's manifest
        return "cpu (cuda query failed)"
    return "cpu"


def hardware() -> dict[str, Any]:
    """Host facts that can explain timing (and, for accelerators, numeric) differences."""
    mem_gib: float | None = None
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        mem_gib = round(pages * size / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "memory_gib": mem_gib,
        "torch_device": _torch_device(),
        "hostname": platform.node(),
    }


def harness_info() -> dict[str, Any]:
    """Harness version and source commit."""
    return {"harness_version": harness.__version__, "git_sha": git_sha()}
