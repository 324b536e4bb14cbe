"""On-disk layout of a stage and crash-safe shard writing.

A stage directory holds `data/`, `dropped/`, `stats/` and `done/`, one file per shard. Files are
written to a temporary name, fsynced and renamed; the `done/` marker is written the same way and
last, so a marker exists only for a shard whose files are complete (datatrove's completions idea).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synth.errors import DiskFullError, MissingInputError, StageVersionError
from synth.records import Record

_NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def shard_name(shard: int) -> str:
    """Zero-padded shard file stem."""
    return f"shard-{shard:05d}"


@dataclass(frozen=True)
class StageDir:
    """Where one stage version writes: `<out>/<NN>-<name>/v<version>-<key>/`."""

    root: Path
    name: str
    version: str
    key: str

    def data(self, shard: int) -> Path:
        return self.root / "data" / f"{shard_name(shard)}.jsonl"

    def dropped(self, shard: int) -> Path:
        return self.root / "dropped" / f"{shard_name(shard)}.jsonl"

    def stats(self, shard: int) -> Path:
        return self.root / "stats" / f"{shard_name(shard)}.json"

    def marker(self, shard: int) -> Path:
        return self.root / "done" / f"{shard_name(shard)}.json"

    def read_marker(self, shard: int) -> dict[str, Any] | None:
        """The shard's completion marker, checked against this stage version; None when absent."""
        path = self.marker(shard)
        if not path.exists():
            return None
        marker: dict[str, Any] = json.loads(path.read_text())
        if marker.get("version") != self.version or marker.get("key") != self.key:
            raise StageVersionError(
                f"{path} was written by {marker.get('stage')} v{marker.get('version')} "
                f"(key {marker.get('key')}), but this pipeline runs {self.name} v{self.version} "
                f"(key {self.key}); delete {self.root} or choose another --out"
            )
        return marker

    def is_done(self, shard: int) -> bool:
        return self.read_marker(shard) is not None

    def read_records(self, shard: int) -> Iterator[Record]:
        """The records of a completed shard; a missing marker means the stage has not run."""
        if self.read_marker(shard) is None:
            raise MissingInputError(
                f"{self.name} shard {shard} is not complete in {self.root}: run stage {self.name} first"
            )
        with self.data(shard).open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield Record.from_json(line)

    def read_dropped(self, shard: int) -> Iterator[dict[str, Any]]:
        path = self.dropped(shard)
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        yield json.loads(line)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_lines(path: Path, lines: Iterable[str]) -> str:
    """Write lines to `path` via temp file + fsync + rename; returns the sha256 of the content.

    A full disk (or a file size limit) raises `DiskFullError` and leaves only the temp file's
    removal behind, never a partial file under the final name.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for line in lines:
                text = line + "\n"
                digest.update(text.encode("utf-8"))
                fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in _NO_SPACE:
            raise DiskFullError(
                f"no space left while writing {path} ({os.strerror(exc.errno or 0)}); "
                "free space and rerun: completed shards are kept"
            ) from None
        raise
    return digest.hexdigest()


def atomic_write_json(path: Path, obj: Any) -> None:
    """One JSON document, written atomically."""
    atomic_write_lines(path, [json.dumps(obj, indent=1, sort_keys=True)])
