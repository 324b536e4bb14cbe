"""Nested subsets of the SFT rows: a seeded order in which subset k is a prefix of subset k+1, kept
stable when the data grows (rows already ordered keep their places, new rows follow), and a fingerprint
per subset so each point names exactly what it was trained on."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.config import stable_hash
from synth.errors import SynthError
from synth.io import atomic_write_json

ORDER_FILE = "order.json"


def read_sources(sources: Sequence[Mapping[str, str]]) -> list[dict[str, Any]]:
    """Every row of every source, in order; one line naming the first row without prompt/completion."""
    from harness.data import read_jsonl

    rows: list[dict[str, Any]] = []
    for src in sources:
        path = Path(src["export"]) / "export" / "sft.jsonl" if "export" in src else Path(src["path"])
        if not path.is_file():
            raise SynthError(f"scale_up data: {path} not found (run the synth recipe that exports it first)")
        for n, row in enumerate(read_jsonl(path), 1):
            if "prompt" not in row or "completion" not in row:
                found = ", ".join(sorted(row))
                raise SynthError(f"{path} row {n}: needs prompt and completion fields (found: {found})")
            rows.append({"prompt": row["prompt"], "completion": row["completion"]})
    if not rows:
        raise SynthError("scale_up data: the sources hold no rows")
    return rows


def row_id(row: Mapping[str, Any]) -> str:
    return stable_hash(dict(row), length=20)


def ordered(rows: list[dict[str, Any]], seed: int, out: Path) -> list[dict[str, Any]]:
    """The rows in their scale-up order, stored in `out/order.json`: rows already ordered keep their
    places; new rows (a grown data file) follow, in a seeded order of their own."""
    by_id: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_id.setdefault(row_id(row), row)  # exact duplicates count once
    path = out / ORDER_FILE
    before: list[str] = json.loads(path.read_text())["ids"] if path.is_file() else []
    kept = [i for i in before if i in by_id]
    fresh = sorted((i for i in by_id if i not in set(kept)), key=lambda i: stable_hash([seed, i]))
    ids = kept + fresh
    if ids != before:
        atomic_write_json(path, {"seed": seed, "ids": ids})
    return [by_id[i] for i in ids]


def resolve_sizes(sizes: Sequence[float], total: int) -> list[int]:
    """Counts from counts, or from fractions of `total` when every size is at most 1; one line when a
    size exceeds the data."""
    fractions = all(s <= 1.0 for s in sizes)
    counts = [round(s * total) if fractions else int(s) for s in sizes]
    if counts[-1] > total:
        raise SynthError(f"scale_up.sizes: {counts[-1]} rows asked, the data has {total}; lower the size or add data")
    if any(c < 1 for c in counts) or len(set(counts)) != len(counts):
        raise SynthError(f"scale_up.sizes: {list(sizes)} of {total} rows gives sizes {counts}: each must be >= 1 "
                         "and distinct")
    return counts


_BOXED = re.compile(r"\\boxed\{(-?\d+)\}")


def corrupt(rows: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """The same rows with every boxed integer answer shifted by a random nonzero offset (a controlled
    regression for testing the gate)."""
    rng = random.Random(seed)
    out = []
    for row in rows:
        completion = []
        for msg in row["completion"]:
            text = _BOXED.sub(lambda m: f"\\boxed{{{int(m.group(1)) + rng.choice([-3, -2, -1, 1, 2, 3])}}}",
                              msg["content"])
            completion.append({**msg, "content": text})
        out.append({"prompt": row["prompt"], "completion": completion})
    return out
