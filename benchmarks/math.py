"""MATH: competition mathematics, full test set (5000).

Hendrycks et al., "Measuring Mathematical Problem Solving With the MATH Dataset", NeurIPS 2021.
Gold: the last `\\boxed{}` of `solution` (also `\\fbox{}` and the unbraced `\\boxed 2`). Ids: the
original file name `test/<subject>/<n>.json`, line i of `math/test_unique_ids.json` for line i.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks._math_common import MATH_SUITES, math_benchmark
from harness.benchmark import DataSpec, HubSource
from harness.data import read_jsonl
from harness.errors import DataError
from harness.extract.latex import last_boxed
from harness.types import Sample

NAME = "math"
VERSION = "1"
ID_FILE = "test_unique_ids.json"


def read_with_ids(path: Path) -> list[dict[str, Any]]:
    """The jsonl rows, each given its `unique_id` from the id file beside it (line i for line i)."""
    rows = read_jsonl(path)
    id_path = path.parent / ID_FILE
    if not id_path.is_file():
        raise DataError(f"{id_path} is missing: MATH item ids come from it")
    ids = json.loads(id_path.read_text(encoding="utf-8"))
    if len(ids) != len(rows):
        raise DataError(f"{id_path} has {len(ids)} ids for {len(rows)} rows")
    return [{**row, "unique_id": uid} for row, uid in zip(rows, ids, strict=True)]


def gold_answer(solution: str) -> str:
    """The last boxed answer of a MATH solution."""
    answer = last_boxed(solution)
    if answer is None:
        raise ValueError("MATH solution has no \\boxed answer")
    return answer


def parse_level(level: Any) -> str:
    """'Level 3' -> '3'; MATH train has 'Level ?', kept as '?'."""
    return str(level).replace("Level", "").strip()


def to_sample(row: Mapping[str, Any], line_no: int) -> Sample:
    """A MATH row as a Sample, broken down by subject and level."""
    item_id = row.get("unique_id") or str(line_no)
    meta = {"subject": row["type"], "level": parse_level(row["level"])}
    return Sample(NAME, VERSION, item_id, row["problem"], gold_answer(row["solution"]), meta)


BENCHMARK = math_benchmark(
    name=NAME,
    version=VERSION,
    citation=__doc__ or "",
    data=DataSpec(
        local="math/test.jsonl",
        expected_rows=5000,
        fingerprint="f119cf7a0797b9303ebd53e7ff132a3aca3f0abb20696ba5f8d70a1a263bdfa0",
        fields=("problem", "level", "type", "solution"),
        hub=HubSource("nlile/hendrycks-MATH-benchmark", "test", "main"),
        read_local=read_with_ids,
    ),
    to_sample=to_sample,
    breakdown=("subject", "level"),
    suites=(*MATH_SUITES, "scalequest"),
)
