"""AIME 2024 (I and II): 30 problems with integer answers 0-999.

Mathematical Association of America, American Invitational Mathematics Examination 2024
(as distributed with the Qwen2.5-Math evaluation; HuggingFaceH4/aime_2024 on the hub).
Gold: `answer` in three-digit form ("025" equals 25). Ids: `id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks._math_common import math_benchmark
from harness.benchmark import DataSpec, HubSource
from harness.types import Sample

NAME = "aime24"
VERSION = "1"


def to_sample(row: Mapping[str, Any], line_no: int) -> Sample:
    """An AIME row as a Sample; integer answers compare by value."""
    return Sample(NAME, VERSION, str(row["id"]), row["problem"], str(row["answer"]), {"integer_answer": True})


BENCHMARK = math_benchmark(
    name=NAME,
    version=VERSION,
    citation=__doc__ or "",
    data=DataSpec(
        local="aime24/test.jsonl",
        expected_rows=30,
        fingerprint="f9fb4dc90bbeb02eb16282d9acc367852adb5a253fbc227ec486e32956be2507",
        fields=("id", "problem", "solution", "answer", "url", "question"),
        hub=HubSource("HuggingFaceH4/aime_2024", "train", "main"),
    ),
    to_sample=to_sample,
)
