"""The run directory `results/<run-id>/`: manifest, per-benchmark records and generations, metrics.

Layout (docs/CONTRACTS.md): `manifest.json`, `records/<benchmark>.jsonl` (graded SampleRecords),
`generations/<benchmark>.jsonl` (raw outputs written before grading, so a grading crash costs a
regrade, not a regenerate), `metrics.json`. JSONL files are append-only; each batch is one write
followed by flush + fsync, so a kill loses at most the batch in flight. JSON files are replaced
atomically (write to a temporary file, fsync, rename).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from harness.errors import StoreError
from harness.store.codec import Generation, dumps_line, generation_to_dict, record_to_dict
from harness.types import SampleRecord

MANIFEST = "manifest.json"
METRICS = "metrics.json"
RECORDS_DIR = "records"
GENERATIONS_DIR = "generations"


def append_lines(path: Path, lines: Iterable[str]) -> None:
    """Append lines in one write, then flush and fsync: durable once this returns."""
    blob = "".join(lines)
    if not blob:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(blob)
        fh.flush()
        os.fsync(fh.fileno())


def write_json_atomic(path: Path, data: Any) -> None:
    """Replace `path` with `data` as indented JSON, never leaving a half-written file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False, sort_keys=False, default=str)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    """Load a JSON file of the run directory; a corrupt one is a one-line StoreError."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise StoreError(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}); "
                         "move it aside to start that run again") from None


class RunStore:
    """Reads and writes one run directory. Owns no state besides its root path."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    @property
    def metrics_path(self) -> Path:
        return self.root / METRICS

    def records_path(self, benchmark: str) -> Path:
        return self.root / RECORDS_DIR / f"{benchmark}.jsonl"

    def generations_path(self, benchmark: str) -> Path:
        return self.root / GENERATIONS_DIR / f"{benchmark}.jsonl"

    def append_records(
        self, benchmark: str, records: Sequence[SampleRecord], prompts: Sequence[str | None] | None = None
    ) -> None:
        """Durably append graded records of one batch (with their rendered prompts, when given)."""
        texts = prompts if prompts is not None else [None] * len(records)
        lines = (dumps_line(record_to_dict(r, p)) for r, p in zip(records, texts, strict=True))
        append_lines(self.records_path(benchmark), lines)

    def append_generations(self, benchmark: str, gens: Sequence[Generation]) -> None:
        """Durably append raw outputs of one batch, before they are graded."""
        append_lines(self.generations_path(benchmark), (dumps_line(generation_to_dict(g)) for g in gens))

    def read_manifest(self) -> dict[str, Any] | None:
        """The stored manifest, or None for a new run."""
        if not self.manifest_path.exists():
            return None
        data = read_json(self.manifest_path)
        if not isinstance(data, dict):
            raise StoreError(f"{self.manifest_path} does not hold a JSON object; move it aside")
        return data

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json_atomic(self.manifest_path, manifest)

    def write_metrics(self, metrics: dict[str, Any]) -> None:
        write_json_atomic(self.metrics_path, metrics)
