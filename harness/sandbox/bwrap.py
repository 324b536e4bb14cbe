"""The bubblewrap sandbox: the default wherever `bwrap` works.

Each run gets an empty root with read-only /usr and the interpreter's prefix (its site-packages
hidden), a private writable working dir at /sandbox, a small /tmp and /dev/shm (64 MiB each),
fresh /proc and a read-only /dev, no
network, its own pid, ipc and uts namespaces, all capabilities dropped, a new session, and it
dies with the harness. The harness's repository, data and caches are simply not there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from harness.sandbox.base import (
    FLOOD_FACTOR,
    PYTHON,
    SAFE_ENV,
    ExecResult,
    ExecStatus,
    Limits,
    ProcessSandbox,
    rlimit_settings,
    runtime,
)
from harness.sandbox.forkserver import MAX_STDIN, REPLY_MARGIN_S, ServerGone, ServerPool, ServerReply
from harness.sandbox.workdirs import check_name

INSIDE = "/sandbox"
TMP_BYTES = 64 * 1024 * 1024

NAMESPACES: tuple[tuple[str, ...], ...] = (
    ("--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534"),
    ("--unshare-all",),
    ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"),
)
"""Tried in order: nobody inside a user namespace; namespaces without one (root without userns)."""


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib64", "/lib32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


def base_args(namespaces: Sequence[str], prefix: str) -> list[str]:
    """bwrap arguments up to (not including) the working-dir bind."""
    site = os.path.join(prefix, "lib", f"python{_pyver()}", "site-packages")
    args = [
        "bwrap", *namespaces, "--die-with-parent", "--new-session", "--cap-drop", "ALL",
        *_system_binds(),
    ]
    if prefix != "/usr" and not prefix.startswith("/usr/"):
        args += ["--ro-bind", prefix, prefix]
    if os.path.isdir(site):
        args += ["--tmpfs", site]
    # Every writable tmpfs is size-capped (tmpfs pages are host memory no rlimit counts), and /dev
    # itself is read-only once its shm is mounted.
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/dev/shm",
             "--remount-ro", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/tmp", "--hostname", "sandbox"]
    return args


def _pyver() -> str:
    import sys

    return f"{sys.version_info.major}.{sys.version_info.minor}"


def probe_bwrap() -> tuple[tuple[str, ...] | None, str]:
    """The namespace flags with which bwrap runs a trivial program here, or None and why not."""
    exe = shutil.which("bwrap")
    if exe is None:
        return None, "bwrap not installed (Debian/Ubuntu: apt-get install -y bubblewrap)"
    rt = runtime()
    python, prefix = rt.python, rt.prefix
    who: dict[str, Any] = {"user": rt.uid, "group": rt.uid, "extra_groups": []} if rt.uid is not None else {}
    notes = []
    for ns in NAMESPACES:
        cmd = [*base_args(ns, prefix), "--remount-ro", "/", "--", python, "-I", "-S", "-c", "print('ok')"]
        try:
            res = subprocess.run(cmd, capture_output=True, timeout=20, env=SAFE_ENV, cwd="/", **who)
        except (OSError, subprocess.TimeoutExpired) as exc:
            notes.append(f"{' '.join(ns)}: {exc}")
            continue
        if res.returncode == 0 and res.stdout.strip() == b"ok":
            return ns, "; ".join([*notes, f"{' '.join(ns)}: works"])
        notes.append(f"{' '.join(ns)}: {res.stderr.decode(errors='replace').strip()[:160]}")
    return None, "; ".join(notes)


def script_run(argv: Sequence[str], files: Mapping[str, str | bytes]) -> bool:
    """Whether argv is `PYTHON script [args]` for a script among `files`: what a fork server runs."""
    return (len(argv) >= 2 and argv[0] == PYTHON and argv[1] in files
            and PurePosixPath(argv[1]).suffix in (".py", ".pyc") and ".." not in PurePosixPath(argv[1]).parts)


def _as_bytes(files: Mapping[str, str | bytes]) -> dict[str, bytes]:
    return {check_name(name): content.encode("utf-8") if isinstance(content, str) else content
            for name, content in files.items()}


_STATUS = {"timeout": ExecStatus.TIMEOUT, "output_limit": ExecStatus.OUTPUT_LIMIT}


def _result(reply: ServerReply) -> ExecResult:
    if reply.why in _STATUS:
        status, rc = _STATUS[reply.why], -9
    else:
        rc = reply.rc if reply.rc is not None else -9
        status = ExecStatus.OK if rc == 0 else ExecStatus.SIGNAL if rc < 0 else ExecStatus.EXIT
    return ExecResult(status, rc, reply.stdout, reply.stderr, reply.duration_s, reply.output_bytes,
                      dict(reply.files))


class BwrapSandbox(ProcessSandbox):
    """bubblewrap isolation (see module docstring); build with the flags `probe_bwrap` found.

    With `fork_server` (the default), `PYTHON script` runs go to a pool of long-lived sandboxes
    that fork a fresh process per run (`forkserver.py`); other runs, and any run a server could
    not finish cleanly, get a sandbox of their own.
    """

    kind = "bwrap"

    def __init__(self, namespaces: Sequence[str], max_output_bytes: int = 65536, reason: str = "",
                 reference_cache_dir: str = "", fork_server: bool = True) -> None:
        super().__init__(max_output_bytes, reference_cache_dir=reference_cache_dir)
        self.namespaces = tuple(namespaces)
        self.reason = reason
        self._base = base_args(self.namespaces, self.prefix)
        self._pool: ServerPool | None = None
        if fork_server:
            cmd = [*self._base, "--as-pid-1", "--size", str(TMP_BYTES), "--tmpfs", INSIDE,
                   "--remount-ro", "/", "--chdir", INSIDE, "--", self.python, "-I", "-S"]
            env = {**SAFE_ENV, "HARNESS_SANDBOX_RUN": f"{self.root_name}.server"}
            self._pool = ServerPool(cmd, env, self.uid, max_output_bytes)

    @property
    def forks_programs(self) -> bool:
        """Whether script runs go to fork servers (False once they turned out not to work here)."""
        return self._pool is not None and not self._pool.disabled

    @property
    def root_name(self) -> str:
        return self.root.name if self.root is not None else "closed"

    def run(self, files: Mapping[str, str | bytes], argv: Sequence[str], time_limit_s: float, memory_mb: int,
            *, stdin: bytes = b"", read_back: Sequence[str] = ()) -> ExecResult:
        """A fork-server run when argv runs a script and a server is available, else a one-shot run."""
        if self._pool is not None and script_run(argv, files) and len(stdin) <= MAX_STDIN:
            request = self._request(files, argv, time_limit_s, memory_mb, stdin, read_back)
            server = self._pool.acquire()
            if server is not None:
                try:
                    reply = server.run(request, time_limit_s + REPLY_MARGIN_S)
                except ServerGone:
                    self._pool.release(server, keep=False)
                    self._pool.note_redone()
                else:
                    self._pool.release(server, keep=reply.clean)
                    with self._lock:
                        self.runs += 1
                    return _result(reply)
        return super().run(files, argv, time_limit_s, memory_mb, stdin=stdin, read_back=read_back)

    def _request(self, files: Mapping[str, str | bytes], argv: Sequence[str], time_limit_s: float,
                 memory_mb: int, stdin: bytes, read_back: Sequence[str]) -> dict[str, Any]:
        limits = rlimit_settings(Limits(memory_mb=memory_mb, cpu_s=int(time_limit_s) + 2), self.uid)
        return {
            "files": _as_bytes(files), "argv": list(argv), "script": True, "stdin": stdin,
            "time_limit": time_limit_s, "flood_at": self.max_output_bytes * FLOOD_FACTOR, "read_back": list(read_back),
            "read_back_cap": self.read_back_cap,
            "limits": limits,
        }

    def server_pids(self) -> list[int]:
        """Host pids of the live fork servers (and their bwrap monitors): expected, not leftovers."""
        return self._pool.pids() if self._pool is not None else []

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        super().close()

    def _wrap(self, argv: Sequence[str], work: Path) -> tuple[list[str], str]:
        cmd = [*self._base, "--bind", str(work), INSIDE, "--remount-ro", "/", "--chdir", INSIDE, "--",
               *self._python_argv(argv)]
        return cmd, str(work)

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "namespaces": " ".join(self.namespaces),
            "network": "isolated",
            "pid_namespace": True,
            "filesystem": "empty root; read-only /usr, interpreter prefix and /dev; private /sandbox, /tmp and "
                          "/dev/shm (64 MiB tmpfs each; /sandbox a host dir for one-shot runs)",
            "reason": self.reason,
            "launch": self._launch(),
            "launch_mode": "fork_server" if self._pool is not None else "one_shot",
            **({"fork_servers": self._pool.describe()} if self._pool is not None else {}),
        }

    def _launch(self) -> str:
        if self._pool is None:
            return "one bwrap and interpreter per program"
        if self._pool.disabled:
            return f"one bwrap per program (fork server unavailable: {self._pool.disabled})"
        return "fork server: one long-lived bwrap per worker, a freshly forked process per program"
