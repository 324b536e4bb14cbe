"""Importing harness and building the CLI parser must not import heavy libraries (lazy backends)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "transformers", "vllm", "datasets", "scipy", "matplotlib", "sympy", "ray")


def test_cli_parser_imports_nothing_heavy() -> None:
    code = (
        "import json, sys, harness, harness.cli; harness.cli.build_parser(); "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
