"""The sandbox protocol and the process plumbing both implementations share.

A sandbox runs one command over a private working directory it creates and removes, under a wall
clock limit (a process kill, never a signal handler), a memory cap, capped output, and kills every
process the command started when it ends. `PYTHON` in argv stands for the sandbox's isolated
interpreter (`python -I -S`: no site-packages, no environment variables, no user site).
"""

from __future__ import annotations

import contextlib
import functools
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Protocol

from harness.sandbox.refcache import ReferenceCache
from harness.sandbox.workdirs import WorkDirs

PYTHON = "{python}"
"""Placeholder in argv for the sandbox's interpreter (`python -I -S`)."""

FLOOD_FACTOR = 16
"""A run whose output exceeds this many times the kept tail is killed as an output flood."""

SAFE_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": "/nonexistent"}


class ExecStatus(StrEnum):
    """How a sandboxed command ended."""

    OK = "ok"  # exited with code 0
    EXIT = "exit"  # exited with a non-zero code
    SIGNAL = "signal"  # killed by a signal it did not ask for from us (memory, CPU rlimit, ...)
    TIMEOUT = "timeout"  # over the wall-clock limit; the whole process tree was killed
    OUTPUT_LIMIT = "output_limit"  # flooded its output; killed
    SANDBOX_ERROR = "sandbox_error"  # the sandbox itself failed to start the command


@dataclass(frozen=True)
class ExecResult:
    """The outcome of one sandboxed run; stdout/stderr keep only their last bytes."""

    status: ExecStatus
    exit_code: int | None
    stdout: bytes
    stderr: bytes
    duration_s: float
    output_bytes: int = 0
    files: Mapping[str, bytes] = field(default_factory=dict)
    """Contents of the `read_back` files the command left in its working directory."""


class Sandbox(Protocol):
    """Runs untrusted programs in isolation. Implementations: bwrap (default), local (fallback)."""

    def run(
        self,
        files: Mapping[str, str | bytes],
        argv: Sequence[str],
        time_limit_s: float,
        memory_mb: int,
        *,
        stdin: bytes = b"",
        read_back: Sequence[str] = (),
    ) -> ExecResult:
        """Write `files` into a fresh private dir, run argv there, clean everything up."""
        ...

    def describe(self) -> dict[str, Any]:
        """The isolation in force (kind, flags, why it was chosen), for manifests."""
        ...

    def close(self) -> None:
        """Release resources; safe to call twice."""
        ...


@dataclass(frozen=True)
class Limits:
    """Resource limits applied in the child before the untrusted command starts."""

    memory_mb: int
    cpu_s: int
    file_mb: int = 64
    open_files: int = 256
    extra_procs: int = 256
    """Processes allowed on top of those the user already runs (RLIMIT_NPROC is per user)."""


SANDBOX_UID = 65534
"""When the harness runs as root, sandboxed programs run as this uid (nobody): no write access to
the harness's files, no signals to its processes, and RLIMIT_NPROC applies (it never does to root)."""


@dataclass(frozen=True)
class Runtime:
    """The interpreter sandboxed programs run with, its prefix, and the uid they run as (None: ours)."""

    python: str
    prefix: str
    uid: int | None
    note: str
    magic: bytes = b""
    """The interpreter's bytecode magic number: code compiled here runs there only when it matches."""


def _own_magic() -> bytes:
    import importlib.util

    return importlib.util.MAGIC_NUMBER


_PROBE = "import sys, marshal, _frozen_importlib_external as e; print(sys.prefix); print(e.MAGIC_NUMBER.hex())"


def _try_python(python: str, uid: int | None) -> tuple[str, bytes] | None:
    """The interpreter's sys.prefix and magic number if it runs (as uid) with -I -S, else None."""
    extra: dict[str, Any] = {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}
    try:
        res = subprocess.run([python, "-I", "-S", "-c", _PROBE],
                             capture_output=True, timeout=20, env=SAFE_ENV, cwd="/", **extra)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = res.stdout.decode().split()
    if res.returncode != 0 or len(lines) != 2:
        return None
    try:
        return lines[0], bytes.fromhex(lines[1])
    except ValueError:
        return lines[0], b""


@functools.cache
def runtime() -> Runtime:
    """Pick the sandbox interpreter: the harness's own base interpreter, run as nobody when we are
    root and nobody can run it, else a system python3 nobody can run, else ours as ourselves."""
    base = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    if os.geteuid() != 0:
        return Runtime(base, os.path.realpath(sys.base_prefix), None, "runs as the harness user", _own_magic())
    candidates = [base] + [p for p in ("/usr/bin/python3", "/usr/local/bin/python3") if os.path.exists(p)]
    for python in candidates:
        found = _try_python(os.path.realpath(python), SANDBOX_UID)
        if found:
            return Runtime(os.path.realpath(python), os.path.realpath(found[0]), SANDBOX_UID,
                           f"runs as uid {SANDBOX_UID}", found[1])
    return Runtime(base, os.path.realpath(sys.base_prefix), None,
                   f"runs as root: no interpreter is usable by uid {SANDBOX_UID} (RLIMIT_NPROC cannot bind root)",
                   _own_magic())


def interpreter() -> tuple[str, str]:
    """The sandbox interpreter and its prefix (stdlib-only Python)."""
    rt = runtime()
    return rt.python, rt.prefix


def count_user_processes(uid: int) -> int:
    """Processes currently owned by `uid` (what RLIMIT_NPROC counts)."""
    n = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    n += 1
            except OSError:
                continue
    return n


def rlimit_settings(limits: Limits, uid: int | None = None) -> list[tuple[int, int]]:
    """(resource, value) pairs a sandboxed program runs under, whichever way it is launched."""
    nproc = count_user_processes(os.getuid() if uid is None else uid) + limits.extra_procs
    mem = limits.memory_mb * 1024 * 1024
    return [
        (resource.RLIMIT_AS, mem),
        (resource.RLIMIT_DATA, mem),
        (resource.RLIMIT_CPU, limits.cpu_s),
        (resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_NPROC, nproc),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_MSGQUEUE, 0),  # POSIX queues would outlive a run in a long-lived sandbox
    ]


def make_preexec(limits: Limits, uid: int | None = None) -> Callable[[], None]:
    """A child-side hook setting rlimits (called after fork, before exec; only C-level calls)."""
    settings = rlimit_settings(limits, uid)

    def preexec() -> None:
        for which, value in settings:
            resource.setrlimit(which, (value, value))

    return preexec


class _Tail:
    """Keeps the last `cap` bytes of a stream and counts everything read."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.buf = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self.buf += chunk
        if len(self.buf) > 2 * self.cap:
            del self.buf[: len(self.buf) - self.cap]

    def value(self) -> bytes:
        return bytes(self.buf[-self.cap :]) if self.cap else b""


def _pump(stream: IO[bytes], tail: _Tail, flood: threading.Event, limit: int, pid: int) -> None:
    try:
        while chunk := stream.read1(65536):  # type: ignore[attr-defined]
            tail.feed(chunk)
            if tail.total > limit:
                flood.set()
                kill_group(pid)  # wakes the waiter at once
                return
    except (OSError, ValueError):
        return


def _feed(stream: IO[bytes], data: bytes) -> None:
    try:
        if data:
            stream.write(data)
        stream.close()
    except (OSError, ValueError):  # the child closed stdin or died: not our failure
        pass


def kill_group(pid: int) -> None:
    """SIGKILL the process group led by pid (the session the sandbox put the command in)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


@dataclass(frozen=True)
class Launch:
    """One command to start: what, where, with which environment and limits."""

    cmd: Sequence[str]
    cwd: str
    env: Mapping[str, str]
    stdin: bytes
    time_limit_s: float
    max_output_bytes: int
    limits: Limits
    uid: int | None = None


def execute(launch: Launch, sweep: Callable[[], object] = lambda: None) -> tuple[
        ExecStatus, int | None, bytes, bytes, float, int]:
    """Start the command in its own session, feed stdin, collect capped output, enforce the clock.

    `sweep` runs right after the group kill, before the output pipes are drained: a process that
    escaped the group still holds them open until it is killed too.
    """
    out, err = _Tail(launch.max_output_bytes), _Tail(launch.max_output_bytes)
    flood = threading.Event()
    limit = launch.max_output_bytes * FLOOD_FACTOR
    start = time.monotonic()
    who: dict[str, Any] = {}
    if launch.uid is not None:
        who = {"user": launch.uid, "group": launch.uid, "extra_groups": []}
    try:
        proc = subprocess.Popen(
            list(launch.cmd), cwd=launch.cwd, env=dict(launch.env), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            close_fds=True, preexec_fn=make_preexec(launch.limits, launch.uid), **who,
        )
    except OSError as exc:
        return ExecStatus.SANDBOX_ERROR, None, b"", str(exc).encode(), 0.0, 0
    assert proc.stdin and proc.stdout and proc.stderr
    threads = [
        threading.Thread(target=_feed, args=(proc.stdin, launch.stdin), daemon=True),
        threading.Thread(target=_pump, args=(proc.stdout, out, flood, limit, proc.pid), daemon=True),
        threading.Thread(target=_pump, args=(proc.stderr, err, flood, limit, proc.pid), daemon=True),
    ]
    for t in threads:
        t.start()
    status = _wait(proc, launch.time_limit_s, flood, start)
    kill_group(proc.pid)  # whatever the outcome, nothing of the group survives
    sweep()
    proc.wait()
    for t in threads:
        t.join(timeout=2.0)
    if not any(t.is_alive() for t in threads[1:]):  # closing under a blocked reader would block us
        for s in (proc.stdout, proc.stderr):
            s.close()
    duration = time.monotonic() - start
    if status is None:
        rc = proc.returncode
        status = ExecStatus.OK if rc == 0 else ExecStatus.SIGNAL if rc < 0 else ExecStatus.EXIT
    return status, proc.returncode, out.value(), err.value(), duration, out.total + err.total


def _wait(proc: subprocess.Popen[bytes], limit_s: float, flood: threading.Event, start: float) -> ExecStatus | None:
    """Wait for exit (woken by a pidfd, not polling); None when it exited by itself, else why we killed it."""
    deadline = start + limit_s
    try:
        pidfd: int | None = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # kernels before 5.3: poll instead
        pidfd = None
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining > 0:
                if pidfd is not None:
                    select.select([pidfd], [], [], remaining)
                try:
                    proc.wait(timeout=0 if pidfd is not None else min(0.01, remaining))
                    return ExecStatus.OUTPUT_LIMIT if flood.is_set() else None
                except subprocess.TimeoutExpired:
                    continue
            kill_group(proc.pid)
            return ExecStatus.OUTPUT_LIMIT if flood.is_set() else ExecStatus.TIMEOUT
    finally:
        if pidfd is not None:
            os.close(pidfd)


class ProcessSandbox:
    """Shared run loop: private dir, wrapped command, limits, output caps, cleanup.

    Subclasses say how argv is wrapped (`_wrap`) and what else to sweep after a run (`_sweep`).
    """

    kind = "process"

    def __init__(self, max_output_bytes: int = 65536, read_back_cap: int = 64 * 1024 * 1024,
                 reference_cache_dir: str = "") -> None:
        self.max_output_bytes = max_output_bytes
        self.reference_cache = ReferenceCache(reference_cache_dir)
        self.read_back_cap = read_back_cap
        rt = runtime()
        self.python, self.prefix, self.uid, self.runtime_note = rt.python, rt.prefix, rt.uid, rt.note
        self.python_magic = rt.magic
        self._dirs: WorkDirs | None = WorkDirs()
        self._lock = threading.Lock()
        self.runs = 0

    def _wrap(self, argv: Sequence[str], work: Path) -> tuple[list[str], str]:
        raise NotImplementedError

    def _sweep(self, token: str) -> None:
        """Kill anything of this run that outlived its process group (nothing, by default)."""

    def _python_argv(self, argv: Sequence[str]) -> list[str]:
        out: list[str] = []
        for a in argv:
            out.extend([self.python, "-I", "-S"] if a == PYTHON else [a])
        return out

    def run(
        self,
        files: Mapping[str, str | bytes],
        argv: Sequence[str],
        time_limit_s: float,
        memory_mb: int,
        *,
        stdin: bytes = b"",
        read_back: Sequence[str] = (),
    ) -> ExecResult:
        """Write files to a fresh dir, run argv there under the limits, return and clean up."""
        if self._dirs is None:
            raise RuntimeError("sandbox is closed")
        work = self._dirs.create(files)
        token = f"{self._dirs.root.name}.{work.name}"
        try:
            cmd, cwd = self._wrap(argv, work)
            env = {**SAFE_ENV, "HARNESS_SANDBOX_RUN": token}
            limits = Limits(memory_mb=memory_mb, cpu_s=int(time_limit_s) + 2)
            launch = Launch(cmd, cwd, env, stdin, time_limit_s, self.max_output_bytes, limits, self.uid)
            status, rc, out, err, dur, total = execute(launch, lambda: self._sweep(token))
            got = WorkDirs.read_back(work, read_back, self.read_back_cap) if read_back else {}
        finally:
            WorkDirs.remove(work)
        with self._lock:
            self.runs += 1
        return ExecResult(status, rc, out, err, dur, total, got)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "python": self.python, "identity": self.runtime_note,
                "max_output_bytes": self.max_output_bytes, "reference_cache": self.reference_cache.describe()}

    @property
    def root(self) -> Path | None:
        """The directory under which this sandbox's per-run dirs live (None once closed)."""
        return self._dirs.root if self._dirs is not None else None

    def close(self) -> None:
        if self._dirs is not None:
            self._dirs.close()
            self._dirs = None


def sweep_by_token(token: str) -> int:
    """SIGKILL every process whose environment carries this run's token (setsid escapes included)."""
    needle = f"HARNESS_SANDBOX_RUN={token}".encode()
    killed = 0
    for _ in range(20):  # repeat: a dying parent's children may still be forking
        found = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/environ", "rb") as fh:
                    if needle not in fh.read():
                        continue
                os.kill(int(entry.name), signal.SIGKILL)
                found += 1
            except (OSError, ValueError):
                continue
        killed += found
        if not found:
            break
        time.sleep(0.01)
    return killed
