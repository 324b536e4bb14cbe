"""MATH-500: the 500-problem MATH test subset held out by PRM800K.

Lightman et al., "Let's Verify Step by Step", ICLR 2024 (HuggingFaceH4/MATH-500).
Gold: the pre-extracted `answer`. Ids: `unique_id` (the MATH test file name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks._math_common import math_benchmark
from harness.benchmark import DataSpec, HubSource
from harness.types import Sample

NAME = "math500"
VERSION = "1"


def to_sample(row: Mapping[str, Any], line_no: int) -> Sample:
    """A MATH-500 row as a Sample, broken down by subject and level."""
    meta = {"subject": row["subject"], "level": str(row["level"])}
    return Sample(NAME, VERSION, row["unique_id"], row["problem"], row["answer"], meta)


BENCHMARK = math_benchmark(
    name=NAME,
    version=VERSION,
    citation=__doc__ or "",
    data=DataSpec(
        local="math500/test.jsonl",
        expected_rows=500,
        fingerprint="8c64443b4679d04084c214ae2cd13788f384ae5e3b17c33086a8960e97aa686b",
        fields=("problem", "solution", "answer", "subject", "level", "unique_id"),
        hub=HubSource("HuggingFaceH4/MATH-500", "test", "main"),
    ),
    to_sample=to_sample,
    breakdown=("subject", "level"),
)
