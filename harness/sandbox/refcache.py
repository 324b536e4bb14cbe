"""On-disk cache of reference-solution runs (timings and outputs), like evalplus's ground-truth cache.

Measuring every reference costs one sandboxed run per problem before any program is graded; the
result only changes with the data, the sandbox, the interpreter, the driver or the machine, so it
is stored per benchmark and version in a file named by a fingerprint of all of those, and each
entry is keyed by a hash of the item's own content (its reference, tests and inputs). Only
successful reference runs are stored: a failure may be load or a transient fault.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CACHE_FORMAT = "refcache/1"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def machine_fingerprint() -> dict[str, Any]:
    """What makes timings from one machine wrong on another: host, CPU model and count."""
    return {"host": platform.node(), "cpu": _cpu_model(), "cores": os.cpu_count() or 1,
            "kernel": platform.release()}


def digest(data: Any) -> str:
    """Short sha256 of canonical JSON."""
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]


class ReferenceCache:
    """Entries (plain JSON dicts) per (benchmark, version, context), loaded once, written atomically.

    `context` is everything besides the item that the stored runs depend on (sandbox kind,
    interpreter, driver source, memory cap); the machine fingerprint is added here.
    """

    def __init__(self, directory: str) -> None:
        self.dir = Path(os.path.expanduser(directory)) if directory else None
        self._lock = threading.Lock()
        self._files: dict[Path, dict[str, Any]] = {}
        self.hits = 0
        self.stored = 0
        self.errors: list[str] = []

    def _path(self, benchmark: str, version: str, context: Mapping[str, Any]) -> Path | None:
        if self.dir is None:
            return None
        fp = digest({"format": CACHE_FORMAT, "machine": machine_fingerprint(), **context})
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{benchmark}-{version}")
        return self.dir / f"{safe}-{fp}.json"

    def _load(self, path: Path) -> dict[str, Any]:
        if path not in self._files:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                self._files[path] = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self._files[path] = {}
        return self._files[path]

    def get(self, benchmark: str, version: str, context: Mapping[str, Any], item: str) -> dict[str, Any] | None:
        """The stored entry for this item's content hash, or None."""
        path = self._path(benchmark, version, context)
        if path is None:
            return None
        with self._lock:
            entry = self._load(path).get(item)
            if isinstance(entry, dict):
                self.hits += 1
                return entry
        return None

    def put_many(self, benchmark: str, version: str, context: Mapping[str, Any],
                 entries: Mapping[str, dict[str, Any]]) -> None:
        """Add entries and rewrite the file (merged with what another process may have written)."""
        path = self._path(benchmark, version, context)
        if path is None or not entries:
            return
        with self._lock:
            self._files.pop(path, None)  # re-read: keep entries other runs stored meanwhile
            data = {**self._load(path), **entries}
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".refcache-")
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh)
                os.replace(tmp, path)
            except OSError as exc:  # a read-only cache dir only costs speed
                self.errors.append(f"{path}: {exc}"[:200])
            self._files[path] = data
            self.stored += len(entries)

    def describe(self) -> dict[str, Any]:
        """Where timings came from, for the manifest."""
        info: dict[str, Any] = {"dir": str(self.dir) if self.dir else None,
                                "hits": self.hits, "stored": self.stored}
        if self.errors:
            info["errors"] = self.errors[:3]
        return info
