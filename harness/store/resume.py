"""What a run directory already holds, so a rerun skips every stored sample key.

Only the last line of a JSONL file can be torn (a kill during the batch write); it is cut off
before anything is appended again. A corrupt line elsewhere is a StoreError: it means the file was
edited or two runs wrote to it, and guessing would hide lost work.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from harness.errors import StoreError
from harness.store.codec import Generation, SampleKey, generation_from_dict, record_from_dict, record_key
from harness.store.writer import RunStore
from harness.types import SampleRecord

T = TypeVar("T")


@dataclass(frozen=True)
class StoredState:
    """The graded records and the ungraded generations of one benchmark, by sample key."""

    graded: dict[SampleKey, SampleRecord] = field(default_factory=dict)
    generated: dict[SampleKey, Generation] = field(default_factory=dict)


def repair_tail(path: Path) -> None:
    """Cut a torn final line (no trailing newline) so the next append starts on a fresh line."""
    if not path.exists():
        return
    size = path.stat().st_size
    if size == 0:
        return
    with path.open("rb+") as fh:
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return
        data = path.read_bytes()
        keep = data.rfind(b"\n") + 1
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())


def read_jsonl(path: Path, parse: Callable[[dict[str, Any]], T]) -> list[T]:
    """Parse every complete line; a bad line that is not the torn tail raises StoreError."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    # The piece after the last newline is a torn tail (or b""): never parsed.
    lines = raw.split(b"\n")[:-1]
    out: list[T] = []
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(parse(json.loads(line)))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"{path}:{i} is not a valid record ({exc}); move the run directory aside "
                             "or delete that line") from None
    return out


def load_state(store: RunStore, benchmark: str) -> StoredState:
    """Load what is stored for `benchmark`, repairing torn tails first."""
    rpath, gpath = store.records_path(benchmark), store.generations_path(benchmark)
    repair_tail(rpath)
    repair_tail(gpath)
    graded = {record_key(r): r for r in read_jsonl(rpath, record_from_dict)}
    generated = {g.key: g for g in read_jsonl(gpath, generation_from_dict)}
    return StoredState(graded=graded, generated=generated)
