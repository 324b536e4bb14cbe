"""Instant reruns: a rerun of a completed eval answers from the store, without loading the model.

The run id needs every rendered prompt, and rendering needs the tokenizer (transformers, torch).
The rerun key instead hashes the inputs the run id and the scores derive from, each cheap to read:
the effective run config; the checkpoint fingerprint plus the name, size and mtime of every file
in the checkpoint folder (a chat-template or tokenizer edit shows); the source of the `harness`
and `benchmarks` packages (prompt formats, extractors, graders and their versions); the installed
versions of the packages that render and generate; and the bytes of each benchmark's data files.

A complete run stores its key in the manifest (`rerun`), with the size of each records file and a
hash of metrics.json. A rerun whose key matches a complete run with those files unchanged prints
the stored metrics; anything else takes the full path (plan, load the model, skip what is stored).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.config import RunConfig, stable_hash, to_jsonable
from harness.store.identity import checkpoint_name
from harness.store.writer import MANIFEST, METRICS, RunStore

RERUN_KEY_VERSION = "rerun-1"
RENDER_PACKAGES = ("torch", "transformers", "tokenizers", "jinja2", "vllm", "safetensors")
"""Packages whose version can change a rendered prompt or a generation (absent ones count as None)."""


def source_digest(roots: Iterable[Path]) -> str:
    """sha256 over the path and bytes of every .py file under `roots` (the code that prompts,
    extracts and grades: any edit there sends the next rerun down the full path)."""
    h = hashlib.sha256()
    for root in roots:
        for f in sorted(root.rglob("*.py")):
            h.update(f"{root.name}/{f.relative_to(root).as_posix()}".encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def default_source_roots() -> list[Path]:
    """The installed `harness` and `benchmarks` packages."""
    import benchmarks
    import harness

    return [Path(harness.__file__).parent, Path(benchmarks.__file__).parent]


def folder_listing(path: Path) -> list[tuple[str, int, int]]:
    """(relative path, size, mtime in ns) of every file under `path`, sorted."""
    out: list[tuple[str, int, int]] = []
    for dirpath, _, files in os.walk(path):
        for name in files:
            p = Path(dirpath) / name
            st = p.stat()
            out.append((p.relative_to(path).as_posix(), st.st_size, st.st_mtime_ns))
    return sorted(out)


def package_versions(names: Sequence[str] = RENDER_PACKAGES) -> dict[str, str | None]:
    """Installed versions, read from package metadata (nothing is imported)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def rerun_key(
    config: RunConfig,
    fingerprint: str,
    checkpoint_dir: str | None,
    data_digests: Mapping[str, str | None],
    source: str,
    versions: Mapping[str, str | None],
) -> str | None:
    """The key of everything a completed run's scores derive from, or None when some input
    cannot be pinned cheaply (data from the hub): such runs always take the full path."""
    if any(d is None for d in data_digests.values()):
        return None
    payload = {
        "version": RERUN_KEY_VERSION,
        "config": to_jsonable(config),
        "checkpoint": fingerprint,
        "checkpoint_files": folder_listing(Path(checkpoint_dir)) if checkpoint_dir else None,
        "data": dict(sorted(data_digests.items())),
        "source": source,
        "versions": dict(sorted(versions.items())),
    }
    return stable_hash(payload, length=32)


def file_sha256(path: Path) -> str:
    """sha256 (hex) of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def completion_stamp(store: RunStore, key: str, benchmarks: Iterable[str]) -> dict[str, Any]:
    """The manifest's `rerun` entry of a complete run: its key and the files a reuse must find unchanged."""
    sizes = {b: (p.stat().st_size if (p := store.records_path(b)).exists() else -1) for b in benchmarks}
    return {"key": key, "records_bytes": sizes, "metrics_sha256": file_sha256(store.metrics_path)}


@dataclass(frozen=True)
class StoredRun:
    """A complete run found for a rerun key: its folder, manifest and metrics."""

    run_dir: Path
    manifest: dict[str, Any]
    metrics: dict[str, Any]


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _unchanged(run_dir: Path, manifest: Mapping[str, Any], key: str, names: Sequence[str]) -> bool:
    """Complete, stamped with `key`, and its records and metrics as the completing run left them."""
    stamp = manifest.get("rerun")
    if manifest.get("status") != "complete" or not isinstance(stamp, dict) or stamp.get("key") != key:
        return False
    store = RunStore(run_dir)
    sizes = stamp.get("records_bytes", {})
    if set(sizes) != set(names):
        return False
    for name in names:
        path = store.records_path(name)
        if not path.is_file() or path.stat().st_size != sizes[name]:
            return False
    return store.metrics_path.is_file() and file_sha256(store.metrics_path) == stamp.get("metrics_sha256")


def find_completed(out_dir: str, model: str, key: str, names: Sequence[str]) -> StoredRun | None:
    """The complete run of this checkpoint under `out_dir` stamped with `key`, when its files are
    unchanged and every benchmark's metrics are complete; else None (the caller does the work)."""
    base = Path(out_dir)
    if not base.is_dir():
        return None
    for run_dir in sorted(base.glob(f"{checkpoint_name(model)}-*")):
        manifest = _read(run_dir / MANIFEST)
        if not isinstance(manifest, dict) or not _unchanged(run_dir, manifest, key, names):
            continue
        metrics = _read(run_dir / METRICS)
        benches = metrics.get("benchmarks", {}) if isinstance(metrics, dict) else {}
        if list(benches) == list(names) and all(m.get("complete") for m in benches.values()):
            return StoredRun(run_dir, manifest, metrics)
    return None


def reuse_invocation(started: str, finished: str, wall_s: float, limit: int | None,
                     metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The `invocations` entry of a rerun answered from the store (nothing generated or graded)."""
    benches = {
        name: {"generate_s": 0.0, "grade_s": 0.0, "generated": 0, "regraded": 0, "skipped": m.get("n_samples", 0)}
        for name, m in metrics.items()
    }
    return {"started": started, "finished": finished, "status": "complete", "limit": limit,
            "wall_s": round(wall_s, 3), "backend_load_s": 0.0, "benchmarks": benches, "reused": True}
