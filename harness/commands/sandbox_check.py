"""`harness sandbox-check`: which isolation is in force here, and a short self-test of it."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

from harness.commands._flags import add_sandbox_flags, sandbox_config
from harness.config import SandboxConfig
from harness.grade.code_exec import Reference, Verdict, grade_one
from harness.sandbox import select_sandbox
from harness.sandbox.base import Sandbox
from harness.types import Extraction, ExtractStatus, Sample, Status

_TEST = "def check(candidate):\n    assert candidate(2, 3) == 5\n\ncheck(add)\n"
SELF_TEST: tuple[tuple[str, str, Status], ...] = (
    ("honest solution passes", "def add(a, b):\n    return a + b\n", Status.CORRECT),
    ("wrong solution fails", "def add(a, b):\n    return a - b\n", Status.INCORRECT),
    ("sys.exit(0) is not a pass", "import sys\nsys.exit(0)\n", Status.INCORRECT),
    ("os._exit(0) is not a pass", "import os\nos._exit(0)\n", Status.INCORRECT),
    ("printing 'passed' is not a pass", "print('passed')\ndef add(a, b):\n    return 0\n", Status.INCORRECT),
    ("an endless loop is killed", "while True:\n    pass\n", Status.TIMEOUT),
    ("killing pid 1 (bwrap: the fork server) changes nothing", "import os, signal\ntry:\n"
     "    os.kill(1, signal.SIGKILL)\nexcept OSError:\n    pass\ndef add(a, b):\n    return a + b\n",
     Status.CORRECT),
    ("no network", "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)\n"
     "def add(a, b):\n    return a + b\n", Status.INCORRECT),
)


@dataclass(frozen=True)
class CheckResult:
    """One self-test program's outcome."""

    name: str
    expected: str
    got: str
    ok: bool


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `sandbox-check`."""
    parser = subparsers.add_parser("sandbox-check", help="show the code sandbox in force and self-test it")
    add_sandbox_flags(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def self_test(sandbox: Sandbox, config: SandboxConfig) -> list[CheckResult]:
    """Run the built-in programs and compare each verdict with the expected one."""
    meta = {"mode": "assert", "entry_point": "add", "prompt": "", "test": _TEST, "reference": ""}
    ref = Reference(True, 0.0)
    out = []
    for name, program, want in SELF_TEST:
        sample = Sample("sandbox-check", "1", name, "", "", meta)
        v: Verdict = grade_one(sandbox, config, sample, Extraction(program, "raw", ExtractStatus.OK), ref)
        out.append(CheckResult(name, want.value, v.status.value, v.status == want))
    return out


def run(args: argparse.Namespace) -> int:
    """Print the isolation in force and the self-test; exit 1 if any self-test program misbehaved."""
    config = sandbox_config(args, time_floor_s=2.0)
    sandbox = select_sandbox(config)
    try:
        results = self_test(sandbox, config)
        info = sandbox.describe()  # after the self-test: it says whether the fork server came up
    finally:
        sandbox.close()
    if args.json:
        print(json.dumps({"sandbox": info, "self_test": [r.__dict__ for r in results]}, indent=2))
    else:
        for key, value in info.items():
            print(f"{key:>16}: {value}")
        for r in results:
            print(f"  [{'ok' if r.ok else 'FAIL'}] {r.name}: expected {r.expected}, got {r.got}")
    return 0 if all(r.ok for r in results) else 1
