"""Read run directories (`results/<run-id>/`) written by the runner, for reports and comparisons.

The format is pinned in docs/CONTRACTS.md ("Run directory"). Records are parsed lazily, one
benchmark at a time, because a full run holds tens of thousands of long outputs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import StoreError
from harness.store.codec import record_from_dict
from harness.store.resume import read_jsonl
from harness.store.writer import MANIFEST, METRICS, RECORDS_DIR
from harness.types import SampleRecord


@dataclass(frozen=True)
class StoredRecord(SampleRecord):
    """A SampleRecord as read back, with the rendered prompt text when the runner stored it."""

    prompt: str | None = None


@dataclass(frozen=True)
class Run:
    """One run directory: manifest and metrics eagerly, records per benchmark on first use."""

    path: Path
    manifest: Mapping[str, Any]
    metrics: Mapping[str, Any]
    _cache: dict[str, tuple[StoredRecord, ...]] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )

    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id") or self.path.name)

    @property
    def checkpoint(self) -> str:
        ckpt = self.manifest.get("checkpoint") or {}
        return str(ckpt.get("path") or "") if isinstance(ckpt, Mapping) else str(ckpt)

    @property
    def tags(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in (self.manifest.get("tags") or {}).items()}

    @property
    def benchmarks(self) -> list[str]:
        """Benchmarks with metrics (or, while a run is still going, with records)."""
        names = list((self.metrics.get("benchmarks") or {}).keys())
        if not names:
            names = [p.stem for p in sorted((self.path / RECORDS_DIR).glob("*.jsonl"))]
        return names

    def bench_info(self, name: str) -> Mapping[str, Any]:
        """The manifest's entry for a benchmark (version, data_fingerprint, prompt_hash, ...)."""
        return dict((self.manifest.get("benchmarks") or {}).get(name) or {})

    def bench_metrics(self, name: str) -> Mapping[str, Any] | None:
        """The metrics.json entry for a benchmark, or None when it has none."""
        got = (self.metrics.get("benchmarks") or {}).get(name)
        return got if isinstance(got, Mapping) else None

    def records(self, name: str) -> tuple[StoredRecord, ...]:
        """All stored samples of one benchmark, in file order (read once, then cached)."""
        if name not in self._cache:
            self._cache[name] = tuple(_read_records(self.path / RECORDS_DIR / f"{name}.jsonl"))
        return self._cache[name]


def record_from_json(data: dict[str, Any]) -> StoredRecord:
    """One records/*.jsonl line as a StoredRecord: the store's own codec, plus the rendered prompt."""
    return StoredRecord(**vars(record_from_dict(data)), prompt=data.get("prompt"))


def _read_records(path: Path) -> list[StoredRecord]:
    if not path.is_file():
        raise StoreError(f"{path}: no records file for this benchmark in the run")
    return read_jsonl(path, record_from_json)  # a torn last line (a run killed mid-write) is skipped


def read_json_object(path: Path, what: str = "") -> dict[str, Any]:
    """One JSON object from a file; unreadable or not an object is a one-line StoreError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: unreadable {what}({exc})") from exc
    if not isinstance(data, dict):
        raise StoreError(f"{path}: expected a JSON object{' of ' + what.strip() if what else ''}")
    return data


def is_run_dir(path: Path) -> bool:
    """True when `path` looks like a run directory (it has a manifest.json)."""
    return (path / MANIFEST).is_file()


def load_run(path: str | Path) -> Run:
    """Open a run directory; metrics.json may be absent while the run is still going."""
    p = Path(path)
    if not p.is_dir():
        raise StoreError(f"{p}: no such directory; pass a run directory such as results/<run-id>/")
    if not is_run_dir(p):
        raise StoreError(f"{p}: not a run directory (no {MANIFEST}); pass results/<run-id>/")
    manifest = read_json_object(p / MANIFEST)
    metrics = read_json_object(p / METRICS) if (p / METRICS).is_file() else {}
    return Run(path=p, manifest=manifest, metrics=metrics)


def find_runs(dirs: Iterable[str | Path]) -> list[Run]:
    """Runs named directly, or found one level below the given folders, oldest first."""
    runs: list[Run] = []
    for d in dirs:
        p = Path(d)
        if is_run_dir(p):
            runs.append(load_run(p))
            continue
        if not p.is_dir():
            raise StoreError(f"{p}: no such directory")
        found = [load_run(c) for c in sorted(p.iterdir()) if c.is_dir() and is_run_dir(c)]
        if not found:
            raise StoreError(f"{p}: neither a run directory nor a folder of runs (no {MANIFEST} found)")
        runs.extend(found)
    unique = {r.path.resolve(): r for r in runs}
    return sorted(unique.values(), key=lambda r: (str(r.manifest.get("created", "")), r.run_id))
