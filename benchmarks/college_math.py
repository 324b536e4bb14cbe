"""CollegeMATH: college-level problems from open textbooks (MWPBench college-math test, 2818).

Tang et al., "MathScale: Scaling Instruction Tuning for Mathematical Reasoning", ICML 2024.
Gold: `answer` with a whole-answer `$...$` wrapper removed. Ids: 0-based line number.
Grading hint `ordered` for questions asking for a sequence ("Write out the first four terms").
Each record carries its own license (`license`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks._math_common import MATH_SUITES, asks_for_order, math_benchmark, strip_math_delimiters
from harness.benchmark import DataSpec
from harness.types import Sample

NAME = "college_math"
VERSION = "1"


def to_sample(row: Mapping[str, Any], line_no: int) -> Sample:
    """A CollegeMATH row as a Sample, broken down by topic."""
    topic = str(row["data_topic"]).removeprefix("college_math.")
    meta: dict[str, Any] = {"topic": topic, "source": row["data_source"]}
    if asks_for_order(row["question"]):
        meta["ordered"] = True
    return Sample(NAME, VERSION, str(line_no), row["question"], strip_math_delimiters(row["answer"]), meta)


BENCHMARK = math_benchmark(
    name=NAME,
    version=VERSION,
    citation=__doc__ or "",
    data=DataSpec(
        local="college_math/test.jsonl",
        expected_rows=2818,
        fingerprint="fb6950c2683674314decc7dca869e7f8243a03f1f619b55318fd009ac04eb74c",
        fields=("data_source", "question_number", "question", "answer", "license", "data_topic"),
        # No hub copy at a stable id: MWPBench ships in microsoft/unilm (mathscale/MWPBench).
        hub=None,
    ),
    to_sample=to_sample,
    breakdown=("topic",),
    suites=(*MATH_SUITES, "scalequest"),
)
