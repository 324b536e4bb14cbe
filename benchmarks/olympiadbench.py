"""OlympiadBench, English text-only open-ended competition math (OE_TO_maths_en_COMP, 675).

He et al., "OlympiadBench: A Challenging Benchmark for Promoting AGI with Olympiad-Level
Bilingual Multimodal Scientific Problems", ACL 2024 (Hothan/OlympiadBench).
Gold: `final_answer[0]` without its `$` wrapper; grading hints from `is_multiple_answer`, `unit`,
`error` (absolute tolerance) and `answer_type`. Ids: `id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks._math_common import MATH_SUITES, math_benchmark, strip_all_math_delimiters
from harness.benchmark import DataSpec, HubSource
from harness.types import Sample

NAME = "olympiadbench"
VERSION = "1"


def gold_answer(final_answer: list[str]) -> str:
    """The gold text without math delimiters: `$69$,$84$` -> `69,84` (several entries joined by ', ')."""
    return ", ".join(strip_all_math_delimiters(a) for a in final_answer)


def to_sample(row: Mapping[str, Any], line_no: int) -> Sample:
    """An OlympiadBench row as a Sample with its grading hints."""
    question = f"{row['context']}\n\n{row['question']}" if row.get("context") else row["question"]
    meta: dict[str, Any] = {
        "subfield": row["subfield"],
        "multi_answer": bool(row["is_multiple_answer"]),
        "answer_type": row["answer_type"],
    }
    if row.get("unit"):
        meta["unit"] = row["unit"]
    if row.get("error"):
        meta["tolerance"] = float(row["error"])
    return Sample(NAME, VERSION, str(row["id"]), question, gold_answer(row["final_answer"]), meta)


BENCHMARK = math_benchmark(
    name=NAME,
    version=VERSION,
    citation=__doc__ or "",
    data=DataSpec(
        local="olympiadbench/test.jsonl",
        expected_rows=675,
        fingerprint="7980e027dedde67fb79840e69ae9add51071f7b43e5cbf209f988cdd8dcb5eff",
        fields=(
            "id", "subfield", "context", "question", "solution", "final_answer",
            "is_multiple_answer", "unit", "answer_type", "error",
        ),
        hub=HubSource("Hothan/OlympiadBench", "train", "main", "OE_TO_maths_en_COMP"),
    ),
    to_sample=to_sample,
    breakdown=("subfield",),
    suites=(*MATH_SUITES, "scalequest"),
)
