"""A persistent pool of killable worker processes for symbolic checks.

Each worker is a fresh interpreter (`subprocess`, so the caller's `__main__` is never re-imported
and no `if __name__ == "__main__"` guard is needed) with RLIMIT_AS set, talking over its own pipes. A job over its
time budget gets its worker SIGKILLed and replaced; a worker that dies answers `error`. No signals
are used in the parent, so the pool works from any thread (calls are serialised by a lock) and from
async code (through `asyncio.to_thread`).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

STARTUP_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class PoolOutcome:
    """What happened to one job: `ok` with its value, or `timeout` / `error` with a detail."""

    kind: str
    value: Any = None
    detail: str = ""


def worker_entry(read_fd: int, write_fd: int, memory_mb: int, target: str, warm: str) -> None:
    """Worker loop: limit memory, import the job function, warm up, then answer jobs until None."""
    import importlib
    import resource

    inbox, conn = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    module_name, func_name = target.rsplit(":", 1)
    module = importlib.import_module(module_name)
    func = getattr(module, func_name)
    if warm:
        getattr(module, warm)()
    conn.send(("ready", None))
    while True:
        try:
            msg = inbox.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        job_id, args = msg
        try:
            conn.send((job_id, PoolOutcome("ok", func(*args))))
        except MemoryError:
            conn.send((job_id, PoolOutcome("error", detail="memory_limit")))
        except RecursionError:
            conn.send((job_id, PoolOutcome("error", detail="recursion_limit")))
        except Exception as exc:
            conn.send((job_id, PoolOutcome("error", detail=f"{type(exc).__name__}: {str(exc)[:200]}")))


@dataclass
class _Worker:
    proc: subprocess.Popen[bytes]
    conn: Connection
    inbox: Connection
    ready: bool = False
    started: float = field(default_factory=time.monotonic)
    job: int | None = None
    deadline: float = 0.0


class WorkerPool:
    """Runs `target` ("module:function") on argument tuples, each under a hard time budget."""

    def __init__(self, target: str, *, workers: int, timeout_s: float, memory_mb: int, warm: str = "") -> None:
        self.target, self.warm = target, warm
        self.size, self.timeout_s, self.memory_mb = max(1, workers), timeout_s, memory_mb
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self.stats: dict[str, float] = {"jobs": 0, "timeouts": 0, "errors": 0, "restarts": 0, "max_job_s": 0.0}

    def _spawn(self) -> _Worker:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        code = (
            "from harness.grade.math_pool import worker_entry; "
            f"worker_entry({to_child_r}, {from_child_w}, {self.memory_mb}, {self.target!r}, {self.warm!r})"
        )
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(x for x in (root, env.get("PYTHONPATH", "")) if x)
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        return _Worker(proc, Connection(from_child_r, writable=False), Connection(to_child_w, readable=False))

    @staticmethod
    def _stop(worker: _Worker) -> None:
        worker.proc.kill()
        worker.proc.wait(5)
        worker.conn.close()
        worker.inbox.close()

    def _replace(self, worker: _Worker) -> None:
        self._stop(worker)
        self._workers[self._workers.index(worker)] = self._spawn()
        self.stats["restarts"] += 1

    def run(self, jobs: Sequence[tuple[Any, ...]]) -> list[PoolOutcome]:
        """Run all jobs; results in input order. Thread-safe (one batch at a time)."""
        with self._lock:
            while len(self._workers) < self.size:
                self._workers.append(self._spawn())
            results: list[PoolOutcome | None] = [None] * len(jobs)
            pending = deque(range(len(jobs)))
            while pending or any(w.job is not None for w in self._workers):
                self._dispatch(pending, jobs)
                self._collect(results)
            self.stats["jobs"] += len(jobs)
            return [r if r is not None else PoolOutcome("error", detail="lost") for r in results]

    def _dispatch(self, pending: deque[int], jobs: Sequence[tuple[Any, ...]]) -> None:
        for w in self._workers:
            if w.ready and w.job is None and pending:
                idx = pending.popleft()
                w.job, w.deadline = idx, time.monotonic() + self.timeout_s
                w.inbox.send((idx, jobs[idx]))

    def _collect(self, results: list[PoolOutcome | None]) -> None:
        now = time.monotonic()
        deadlines = [w.deadline for w in self._workers if w.job is not None]
        wait_s = max(0.0, min(deadlines, default=now + 0.5) - now)
        ready = set(wait([w.conn for w in self._workers], timeout=min(wait_s, 0.5) + 0.001))
        for w in list(self._workers):
            if w.conn in ready:
                try:
                    job_id, outcome = w.conn.recv()
                except (EOFError, OSError):
                    self._fail(w, results, "worker_died")
                    continue
                if job_id == "ready":
                    w.ready = True
                elif w.job == job_id:
                    results[job_id] = outcome
                    took = time.monotonic() - (w.deadline - self.timeout_s)
                    self.stats["max_job_s"] = max(self.stats["max_job_s"], took)
                    self.stats["errors"] += outcome.kind == "error"
                    w.job = None
            elif w.job is not None and time.monotonic() > w.deadline:
                results[w.job] = PoolOutcome("timeout", detail=f"over {self.timeout_s:g}s")
                self.stats["timeouts"] += 1
                self._replace(w)
            elif not w.ready and time.monotonic() - w.started > STARTUP_TIMEOUT_S:
                raise RuntimeError("math grading worker did not start (check sympy / latex2sympy2 install)")

    def _fail(self, w: _Worker, results: list[PoolOutcome | None], detail: str) -> None:
        if w.job is not None:
            results[w.job] = PoolOutcome("error", detail=detail)
            self.stats["errors"] += 1
        elif not w.ready:
            raise RuntimeError("math grading worker exited during startup (check sympy / latex2sympy2)")
        self._replace(w)

    def close(self) -> None:
        """Stop every worker; safe to call twice."""
        with self._lock:
            for w in self._workers:
                with contextlib.suppress(OSError, ValueError):
                    w.inbox.send(None)
            for w in self._workers:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    w.proc.wait(1)
                self._stop(w)
            self._workers = []
