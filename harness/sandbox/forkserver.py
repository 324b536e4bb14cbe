"""Host side of the bwrap fork server: long-lived sandboxes that fork a fresh process per program.

A fresh bwrap and interpreter cost ~25 ms per program, more than most HumanEval/MBPP programs
take to run. Each server (`_forkserver.py`, pid 1 of its own bwrap) pays that once and forks one
child per run; see that file for why a run cannot reach the server or a later run. The pool keeps
one server per concurrent caller. Any server that dies, stalls, answers garbage or reports state
it could not restore is killed and replaced, and the run it was serving is redone by the caller in
a one-shot sandbox, so a misbehaving program costs time, never a wrong verdict.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SERVER_FILE = Path(__file__).with_name("_forkserver.py")
PRELOAD = ("json", "copy", "hashlib", "math", "re", "collections", "itertools", "functools", "heapq",
           "bisect", "string", "operator", "typing", "resource", "select", "shutil", "traceback", "fcntl")
"""Imported once in each server so children start warm: the driver's own imports and the standard
modules HumanEval/MBPP programs import most. Never `random` (or anything importing it): children
would inherit its state and draw the same numbers."""
START_TIMEOUT_S = 20.0
MAX_STDIN = 1 << 20
"""Larger stdin goes to a one-shot sandbox: a server hands stdin over in one pipe, which Linux
lets an unprivileged process size up to /proc/sys/fs/pipe-max-size (1 MiB by default)."""
REPLY_MARGIN_S = 10.0
"""How long past a run's own time limit a server may take to clean up and answer."""


class ServerGone(Exception):
    """A server died, stalled or answered garbage; it has been killed."""


@dataclass(frozen=True)
class ServerReply:
    """What a server reports of one run."""

    why: str  # exited | timeout | output_limit
    rc: int | None
    duration_s: float
    output_bytes: int
    stdout: bytes
    stderr: bytes
    files: Mapping[str, bytes] = field(default_factory=dict)
    clean: bool = True
    """False: the server could not restore its start state after this run and must be replaced."""


def _read_exact(fd: int, n: int, deadline: float) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise ServerGone("no reply in time")
        chunk = os.read(fd, min(n - len(buf), 1 << 20))
        if not chunk:
            raise ServerGone("server closed its reply channel")
        buf += chunk
    return bytes(buf)


def _write_all(fd: int, data: bytes, deadline: float) -> None:
    view = memoryview(data)
    while view:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([], [fd], [], remaining)[1]:
            raise ServerGone("server does not take requests")
        with contextlib.suppress(BlockingIOError):
            view = view[os.write(fd, view[: 1 << 16]):]


class ForkServer:
    """One long-lived bwrap running `_forkserver.py` as pid 1; serves one run at a time."""

    def __init__(self, cmd: Sequence[str], env: Mapping[str, str], uid: int | None, max_output: int) -> None:
        who: dict[str, Any] = {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}
        source = SERVER_FILE.read_text()
        self.stderr_tail = ""
        self.proc = subprocess.Popen(
            [*cmd, "-c", source], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=dict(env), cwd="/", start_new_session=True, close_fds=True, **who,
        )
        assert self.proc.stdin is not None
        os.set_blocking(self.proc.stdin.fileno(), False)  # a stalled server must not block a write
        try:
            header, _ = self._exchange({"preload": list(PRELOAD), "max_output": max_output}, START_TIMEOUT_S)
        except ServerGone as exc:
            raise ServerGone(f"fork server did not start: {exc}: {self.stderr_tail}") from None
        if not header.get("ready"):
            self.close()
            raise ServerGone(f"fork server refused to serve (pid 1: {header.get('pid1')}, "
                             f"non-dumpable: {header.get('nondumpable')})")

    def _read_stderr(self) -> str:
        """What the server wrote to stderr (only ever a traceback when it fails), without blocking."""
        if self.proc.stderr is None or self.proc.stderr.closed:
            return ""
        with contextlib.suppress(OSError, ValueError):
            os.set_blocking(self.proc.stderr.fileno(), False)
            return (self.proc.stderr.read() or b"").decode("utf-8", "replace").strip()[-300:]
        return ""

    def _exchange(self, message: Mapping[str, Any], wait_s: float) -> tuple[dict[str, Any], list[bytes]]:
        """Send one message and read the framed answer; any fault kills the server."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        deadline = time.monotonic() + wait_s
        data = marshal.dumps(dict(message))
        try:
            _write_all(self.proc.stdin.fileno(), len(data).to_bytes(4, "big") + data, deadline)
            fd = self.proc.stdout.fileno()
            size = int.from_bytes(_read_exact(fd, 4, deadline), "big")
            header = json.loads(_read_exact(fd, size, deadline))
            sections = [_read_exact(fd, int(n), deadline) for n in header["sections"]]
        except (OSError, ValueError, KeyError, TypeError, ServerGone) as exc:
            self.close()
            raise ServerGone(str(exc) or type(exc).__name__) from None
        return header, sections

    def run(self, request: Mapping[str, Any], wait_s: float) -> ServerReply:
        """Serve one run; raises ServerGone (and the server is dead) when it cannot answer properly."""
        header, sections = self._exchange(request, wait_s)
        try:
            names = [str(n) for n in header["files"]]
            if len(sections) != 2 + len(names) or header["why"] not in ("exited", "timeout", "output_limit"):
                raise ValueError(f"unexpected reply {header.get('why')!r}")
            rc = header["rc"]
            return ServerReply(str(header["why"]), None if rc is None else int(rc), float(header["duration"]),
                               int(header["output_bytes"]), sections[0], sections[1],
                               dict(zip(names, sections[2:], strict=True)), bool(header["clean"]))
        except (KeyError, TypeError, ValueError) as exc:
            self.close()
            raise ServerGone(f"bad reply: {exc}") from None

    def pids(self) -> list[int]:
        """The bwrap monitor's pid and its direct children's (the server itself)."""
        pid = self.proc.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return [pid]
        return [pid, *map(int, children)]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        """Kill the server and its namespace (pid 1 dying takes every process in it along)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.stderr_tail = self.stderr_tail or self._read_stderr()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)


class ServerPool:
    """Idle fork servers, one per concurrent caller; started from one long-lived thread, because
    bwrap's --die-with-parent fires when the *thread* that started it exits."""

    def __init__(self, cmd: Sequence[str], env: Mapping[str, str], uid: int | None, max_output: int) -> None:
        self._cmd, self._env, self._uid, self._max_output = list(cmd), dict(env), uid, max_output
        self._idle: list[ForkServer] = []
        self._busy: set[ForkServer] = set()
        self._lock = threading.Lock()
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="forkserver-start")
        self.disabled = ""
        self.started = self.replaced = self.redone = 0
        self._closed = False

    def acquire(self) -> ForkServer | None:
        """An idle server, or a new one; None when servers cannot run here (see `disabled`)."""
        with self._lock:
            while self._idle:
                server = self._idle.pop()
                if server.alive():
                    self._busy.add(server)
                    return server
                server.close()
            if self.disabled or self._closed:
                return None
        try:
            server = self._spawner.submit(ForkServer, self._cmd, self._env, self._uid, self._max_output).result()
        except (ServerGone, OSError) as exc:
            with self._lock:
                self.disabled = str(exc)[:300]
            return None
        with self._lock:
            self.started += 1
            self._busy.add(server)
        return server

    def release(self, server: ForkServer, keep: bool) -> None:
        """Return a server after a run; `keep` False (or a closed pool) kills it."""
        with self._lock:
            self._busy.discard(server)
            if keep and not self._closed and server.alive():
                self._idle.append(server)
                return
            if not keep:
                self.replaced += 1
        server.close()

    def note_redone(self) -> None:
        """Count a run that had to be redone in a one-shot sandbox."""
        with self._lock:
            self.redone += 1

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"started": self.started, "replaced": self.replaced, "redone": self.redone,
                    "disabled": self.disabled}

    def pids(self) -> list[int]:
        with self._lock:
            servers = [*self._idle, *self._busy]
        return [p for s in servers for p in s.pids()]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            servers, self._idle = [*self._idle, *self._busy], []
        for server in servers:
            server.close()
        self._spawner.shutdown(wait=False)
