"""Integration fixtures: a real `transformers serve` of the tiny checkpoint on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

SERVER_START_TIMEOUT_S = 120.0


class ServedModel(NamedTuple):
    """An OpenAI-compatible server: its base URL (ending in /v1) and the model id to request."""

    base_url: str
    model: str


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"transformers serve exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"transformers serve did not answer {url} within {SERVER_START_TIMEOUT_S:.0f} s")


@pytest.fixture(scope="session")
def served_tiny(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedModel]:
    """`transformers serve` of the tiny checkpoint on a free local port; stopped (its whole process
    group) at the end of the session. The model id is the checkpoint path."""
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    cli = Path(sys.executable).with_name("transformers")
    cmd = [str(cli), "serve", str(tiny_checkpoint), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
    # One torch thread: fast on a small shared CPU, and the same float reduction order as a
    # single-threaded in-process model, so greedy outputs can be compared exactly.
    env["OMP_NUM_THREADS"] = "1"
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        _wait_healthy(proc, f"http://127.0.0.1:{port}/health", log)
        yield ServedModel(f"http://127.0.0.1:{port}/v1", str(tiny_checkpoint))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
