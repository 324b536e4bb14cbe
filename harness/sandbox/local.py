"""The local fallback sandbox: a fresh `python -I -S` per run, in its own session, under rlimits.

Used where bubblewrap is missing or does not work. It adds what the host permits: `unshare` with a
network and pid namespace (every process dies with the run, no network) when that works, else
only `unshare -n`, else nothing. Without a pid namespace, processes that left the session are
found by a per-run token in their environment and killed. It cannot hide the host's files: a
program may read what the harness's user may read; bwrap is the isolation to trust.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.sandbox.base import SAFE_ENV, ProcessSandbox, runtime, sweep_by_token

_PID_NET = ("--net", "--pid", "--fork", "--kill-child", "--mount-proc")
UNSHARE_VARIANTS: tuple[tuple[str, ...], ...] = (
    ("unshare", *_PID_NET),
    ("unshare", "--user", "--map-root-user", *_PID_NET),  # unprivileged: inside a user namespace
    ("unshare", "--net"),
    ("unshare", "--user", "--map-root-user", "--net"),
    (),
)


def probe_unshare() -> tuple[tuple[str, ...], str]:
    """The strongest `unshare` prefix that runs a trivial program here, and what was tried."""
    rt = runtime()
    python = rt.python
    who: dict[str, Any] = {"user": rt.uid, "group": rt.uid, "extra_groups": []} if rt.uid is not None else {}
    notes: list[str] = []
    for prefix in UNSHARE_VARIANTS:
        if not prefix:
            return prefix, "; ".join([*notes, "no namespaces"])
        try:
            res = subprocess.run(
                [*prefix, python, "-I", "-S", "-c", "print('ok')"],
                capture_output=True, timeout=10, env=SAFE_ENV, cwd="/", **who,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            notes.append(f"{' '.join(prefix)}: {exc}")
            continue
        if res.returncode == 0 and res.stdout.strip() == b"ok":
            return prefix, "; ".join([*notes, f"{' '.join(prefix)}: works"])
        notes.append(f"{' '.join(prefix)}: {res.stderr.decode(errors='replace').strip()[:120]}")
    return (), "; ".join(notes)


class LocalSandbox(ProcessSandbox):
    """Subprocess + rlimits + process-group kill + network/pid namespaces where permitted."""

    kind = "local"

    def __init__(self, max_output_bytes: int = 65536, reason: str = "", reference_cache_dir: str = "") -> None:
        super().__init__(max_output_bytes, reference_cache_dir=reference_cache_dir)
        self.prefix_cmd, self.probe_notes = probe_unshare()
        self.reason = reason

    @property
    def pid_namespace(self) -> bool:
        return "--pid" in self.prefix_cmd

    def _wrap(self, argv: Sequence[str], work: Path) -> tuple[list[str], str]:
        return [*self.prefix_cmd, *self._python_argv(argv)], str(work)

    def _sweep(self, token: str) -> None:
        if not self.pid_namespace:
            sweep_by_token(token)

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "network": "isolated" if "--net" in self.prefix_cmd else "host (unshare -n not permitted)",
            "pid_namespace": self.pid_namespace,
            "filesystem": "host (read access as the harness user; private working dir)",
            "unshare": " ".join(self.prefix_cmd),
            "probe": self.probe_notes,
            "reason": self.reason,
        }
