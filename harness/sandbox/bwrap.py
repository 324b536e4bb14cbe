"""The bubblewrap sandbox: the default wherever `bwrap` works.

Each run gets an empty root with read-only /usr and the interpreter's prefix (its site-packages
hidden), a private writable working dir at /sandbox, a small /tmp, fresh /proc and /dev, no
network, its own pid, ipc and uts namespaces, all capabilities dropped, a new session, and it
dies with the harness. The harness's repository, data and caches are simply not there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.sandbox.base import SAFE_ENV, ProcessSandbox, runtime

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
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/tmp",
             "--hostname", "sandbox"]
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


class BwrapSandbox(ProcessSandbox):
    """bubblewrap isolation (see module docstring); build with the flags `probe_bwrap` found."""

    kind = "bwrap"

    def __init__(self, namespaces: Sequence[str], max_output_bytes: int = 65536, reason: str = "",
                 reference_cache_dir: str = "") -> None:
        super().__init__(max_output_bytes, reference_cache_dir=reference_cache_dir)
        self.namespaces = tuple(namespaces)
        self.reason = reason
        self._base = base_args(self.namespaces, self.prefix)

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
            "filesystem": "empty root; read-only /usr and interpreter prefix; private /sandbox and /tmp",
            "reason": self.reason,
        }
