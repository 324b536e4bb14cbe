"""The sandbox protocol on real subprocesses: files in, capped output, limits, cleanup, selection."""

from __future__ import annotations

import os
import time

import pytest

from harness.config import SandboxConfig
from harness.errors import SandboxError
from harness.sandbox import PYTHON, ExecStatus, select_sandbox
from harness.sandbox import bwrap as bwrap_mod
from harness.sandbox.local import LocalSandbox


@pytest.fixture(scope="module", params=["auto", "local"])
def sandbox(request):
    sb = select_sandbox(SandboxConfig(kind=request.param, max_output_bytes=1000))
    yield sb
    sb.close()


def test_files_stdin_and_read_back(sandbox):
    prog = ("import sys\ndata = sys.stdin.read()\nopen('out.txt', 'w').write(data.upper())\n"
            "print(open('in.txt').read())\n")
    res = sandbox.run({"p.py": prog, "in.txt": "hello"}, [PYTHON, "p.py"], 5, 256, stdin=b"abc",
                      read_back=("out.txt", "missing.txt"))
    assert res.status == ExecStatus.OK and res.exit_code == 0
    assert res.stdout.strip() == b"hello"
    assert res.files == {"out.txt": b"ABC"}
    assert list(sandbox.root.iterdir()) == []


def test_environment_is_scrubbed_and_python_isolated(sandbox, monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "leak")
    res = sandbox.run({}, [PYTHON, "-c", "import os, sys; print(sorted(os.environ)); print(sys.flags.isolated)"],
                      5, 256)
    assert b"SECRET_TOKEN" not in res.stdout and res.stdout.strip().endswith(b"1")


def test_output_is_capped_to_its_tail_and_floods_are_killed(sandbox):
    res = sandbox.run({}, [PYTHON, "-c", "print('a' * 5000 + 'END')"], 5, 256)
    assert res.status == ExecStatus.OK and len(res.stdout) == 1000 and res.stdout.rstrip().endswith(b"END")
    flood = sandbox.run({}, [PYTHON, "-c", "import os\nwhile True: os.write(1, b'x' * 65536)"], 10, 256)
    assert flood.status == ExecStatus.OUTPUT_LIMIT and flood.duration_s < 5


def test_timeout_kills_the_whole_group(sandbox):
    prog = "import os, time\nfor _ in range(3):\n    os.fork()\ntime.sleep(60)\n"
    start = time.monotonic()
    res = sandbox.run({}, [PYTHON, "-c", prog], 1.0, 256)
    assert res.status == ExecStatus.TIMEOUT and time.monotonic() - start < 5


def test_memory_limit(sandbox):
    res = sandbox.run({}, [PYTHON, "-c", "x = bytearray(600 * 1024 * 1024)"], 10, 256)
    assert res.status == ExecStatus.EXIT and b"MemoryError" in res.stderr


def test_nonzero_exit_and_describe(sandbox):
    res = sandbox.run({}, [PYTHON, "-c", "raise SystemExit(3)"], 5, 256)
    assert res.status == ExecStatus.EXIT and res.exit_code == 3
    info = sandbox.describe()
    assert info["kind"] in ("bwrap", "local") and info["reason"]


def test_plain_local_mode_sweeps_setsid_escapes():
    """Without namespaces, a process that left the session is found by its run token and killed."""
    sb = LocalSandbox(1000)
    sb.prefix_cmd = ()
    marker = f"harness-plain-{os.getpid()}"
    prog = (f"import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(120)  # {marker}\n"
            "    os._exit(0)\nprint('parent done')\n")
    try:
        res = sb.run({"p.py": prog}, [PYTHON, "p.py"], 5, 256)
        assert res.status == ExecStatus.OK
        time.sleep(0.2)
        alive = []
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    with open(f"/proc/{entry.name}/environ", "rb") as fh:
                        if sb.root is not None and sb.root.name.encode() in fh.read():
                            alive.append(entry.name)
                except OSError:
                    pass
        assert alive == []
    finally:
        sb.close()


def test_selection_falls_back_and_explains(monkeypatch):
    monkeypatch.setattr(bwrap_mod, "probe_bwrap", lambda: (None, "bwrap not installed (test)"))
    sb = select_sandbox(SandboxConfig(kind="auto"))
    try:
        assert sb.describe()["kind"] == "local" and "bwrap not installed (test)" in sb.describe()["reason"]
    finally:
        sb.close()
    with pytest.raises(SandboxError, match="bwrap"):
        select_sandbox(SandboxConfig(kind="bwrap"))


@pytest.mark.parametrize("flags", [[], ["--no-fork-server"], ["--sandbox", "local"]])
def test_sandbox_check_command_self_test_passes(flags, capsys):
    import json

    from harness.cli import main

    assert main(["sandbox-check", "--json", *flags]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["self_test"] and all(r["ok"] for r in report["self_test"]), report["self_test"]
    info = report["sandbox"]
    if info["kind"] == "bwrap":
        assert info["launch_mode"] == ("one_shot" if flags else "fork_server")
        assert "unavailable" not in info["launch"]
    else:
        assert flags == ["--sandbox", "local"] or bwrap_mod.probe_bwrap()[0] is None
