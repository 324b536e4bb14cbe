"""Adversarial programs (tests/data/sandbox_cases/*.py) against the real sandboxes and the code grader.

Each case declares its verdict; every run must also leave no process and no file behind, never
reach a listener on 127.0.0.1, and leave the harness running.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest

from harness.config import SandboxConfig
from harness.grade.code_exec import Reference, grade_one
from harness.sandbox.bwrap import BwrapSandbox, probe_bwrap
from harness.sandbox.local import LocalSandbox
from harness.types import Extraction, ExtractStatus, Sample

CASES_DIR = Path(__file__).resolve().parents[2] / "data" / "sandbox_cases"
REPO_FILE = Path(__file__).resolve().parents[3] / "harness" / "types.py"
CONFIG = SandboxConfig(time_floor_s=1.5, time_factor=1.0, memory_mb=512)
TEST = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n\ncheck(add)\n"


def _header(text: str, key: str) -> str | None:
    m = re.search(rf"^# {key}: (.+)$", text, re.M)
    return m.group(1).strip() if m else None


CASES = sorted(CASES_DIR.glob("*.py"))


def _meta(mode: str) -> dict[str, object]:
    base = {"entry_point": "add", "prompt": "", "reference": "def add(a, b):\n    return a + b\n"}
    if mode == "assert":
        return {**base, "mode": "assert", "test": TEST}
    return {**base, "mode": "io", "base_inputs": [[2, 3], [-1, 1]], "plus_inputs": [[10**20, 1], [0, 0]],
            "atol": 0.0, "oracle": "humaneval", "mbpp_task": None}


REF_IO = Reference(True, 0.05, (5, 0, 10**20 + 1, 0))
REF_ASSERT = Reference(True, 0.05)


@pytest.fixture(scope="module")
def sandboxes():
    made = {"local": LocalSandbox(CONFIG.max_output_bytes)}
    ns, _why = probe_bwrap()
    if ns is not None:
        made["bwrap"] = BwrapSandbox(ns, CONFIG.max_output_bytes)  # fork server
        made["bwrap1"] = BwrapSandbox(ns, CONFIG.max_output_bytes, fork_server=False)
    yield made
    for sb in made.values():
        sb.close()


@pytest.fixture(scope="module")
def listener():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    hits: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            hits.append(conn.recv(100) or b"<connected>")
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield srv.getsockname()[1], hits
    stop.set()
    t.join(timeout=2)
    srv.close()


def _leftovers(root_name: str) -> list[int]:
    needle = f"HARNESS_SANDBOX_RUN={root_name}.".encode()
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/environ", "rb") as fh:
                    if needle in fh.read():
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


def _no_leftovers(sandbox) -> list[int]:
    """Processes of this sandbox still alive, other than its idle fork servers (pid 1 of their own
    namespaces, which outlive runs by design and carry the sandbox's token)."""
    servers = set(getattr(sandbox, "server_pids", list)())
    deadline = time.monotonic() + 3.0
    while (left := [p for p in _leftovers(sandbox.root.name) if p not in servers]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


KINDS = (("bwrap", "assert"), ("bwrap", "io"), ("bwrap1", "assert"), ("local", "assert"))
"""bwrap: fork server (the default); bwrap1: one bwrap per program."""
PARAMS = [(c, kind, mode) for c in CASES for kind, mode in KINDS]


@pytest.mark.parametrize(("case", "kind", "mode"), PARAMS, ids=[f"{c.stem}-{k}-{m}" for c, k, m in PARAMS])
def test_adversarial_case(case: Path, kind: str, mode: str, sandboxes, listener, tmp_path: Path, data_dir: Path):
    if kind not in sandboxes:
        pytest.skip("bwrap does not work on this machine (see `harness sandbox-check`)")
    text = case.read_text()
    allowed = _header(text, "sandboxes")
    if allowed and kind.rstrip("1") not in allowed.split(","):
        pytest.skip(f"{case.stem} needs a filesystem boundary only {allowed} gives")
    expect = (_header(text, f"expect-{mode}") or _header(text, "expect") or "").split("|")
    port, hits = listener
    token = f"{case.stem}-{kind}-{mode}-{os.getpid()}"
    subs = {"{PORT}": str(port), "{OUTSIDE}": str(tmp_path), "{TOKEN}": token,
            "{DATA_FILE}": str(data_dir / "humaneval" / "test.jsonl"), "{REPO_FILE}": str(REPO_FILE)}
    program = text
    for key, value in subs.items():
        program = program.replace(key, value)
    sandbox = sandboxes[kind]
    sample = Sample("adversarial", "1", case.stem, "", "", _meta(mode))
    ref = REF_ASSERT if mode == "assert" else REF_IO
    verdict = grade_one(sandbox, CONFIG, sample, Extraction(program, "raw", ExtractStatus.OK), ref)
    assert verdict.status.value in expect, f"{case.stem}: got {verdict}"
    assert _no_leftovers(sandbox) == [], f"{case.stem} left processes running"
    assert list(sandbox.root.iterdir()) == [], f"{case.stem} left files in the sandbox root"
    assert not (tmp_path / "escaped.txt").exists()
    assert not Path("/escaped.txt").exists() and not Path("/usr/escaped.txt").exists()
    assert hits == [], f"{case.stem} reached the listener on 127.0.0.1"
    # the harness keeps working after every case
    ok = grade_one(sandbox, CONFIG, sample, Extraction("def add(a, b):\n    return a + b\n", "raw",
                                                        ExtractStatus.OK), ref)
    assert ok.status.value == "correct"


def test_case_file_is_large_enough():
    assert len(CASES) >= 25
    for c in CASES:
        assert _header(c.read_text(), "expect"), f"{c.name} has no '# expect:' header"
