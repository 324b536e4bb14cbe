"""GSM8K: grade-school math word problems (test split, 1319).

Cobbe et al., "Training Verifiers to Solve Math Word Problems", arXiv:2110.14168 (2021).
Gold: the text after `#### ` in `answer`. Ids: 0-based line number in the canonical file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks._math_common import MATH_SUITES, math_benchmark
from harness.benchmark import DataSpec, HubSource
from harness.types import Sample

NAME = "gsm8k"
VERSION = "1"


def gold_answer(solution: str) -> str:
    """The final answer of a GSM8K solution: what follows the last `####`."""
    if "####" not in solution:
        raise ValueError("GSM8K answer has no '####' final answer")
    return solution.rsplit("####", 1)[1].strip()


def to_sample(row: Mapping[str, Any], line_no: int) -> Sample:
    """A GSM8K row as a Sample."""
    return Sample(NAME, VERSION, str(line_no), row["question"], gold_answer(row["answer"]), {})


BENCHMARK = math_benchmark(
    name=NAME,
    version=VERSION,
    citation=__doc__ or "",
    data=DataSpec(
        local="gsm8k/test.jsonl",
        expected_rows=1319,
        fingerprint="32c548f08195e19e33408b844dd7be6aa4bcae457d957bc05909ff4bd4a00595",
        fields=("question", "answer"),
        hub=HubSource("openai/gsm8k", "test", "main", "main"),
    ),
    to_sample=to_sample,
    numeric=True,
    suites=(*MATH_SUITES, "scalequest"),
)
