"""MBPP sanitized (hand-verified subset, test split: 257 problems), graded by its asserts.

Austin et al., "Program Synthesis with Large Language Models", arXiv:2108.07732 (2021), sanitized
release. `test_imports` run before the asserts. Few-shot exemplars are MBPP's (task ids 2, 3, 4).
Ids: `task_id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks._code_common import assert_meta, code_benchmark, mbpp_entry_point
from benchmarks.mbpp import BENCHMARK as MBPP
from benchmarks.mbpp import mbpp_test
from harness.benchmark import DataSpec, HubSource
from harness.types import Sample

NAME = "mbpp_sanitized"
VERSION = "1"


def to_sample(row: Mapping[str, Any], line_no: int) -> Sample:
    """A sanitized MBPP row as a Sample; question is the task text (`prompt`)."""
    tests = list(row["test_list"])
    entry = mbpp_entry_point(tests)
    meta = assert_meta(entry, "", row["code"], mbpp_test("\n".join(row["test_imports"]), tests),
                       tests=tests, text=row["prompt"], code_prompt="")
    return Sample(NAME, VERSION, str(row["task_id"]), row["prompt"], "", meta)


BENCHMARK = code_benchmark(
    name=NAME,
    version=VERSION,
    citation=__doc__ or "",
    data=DataSpec(
        local="mbpp/sanitized-test.jsonl",
        expected_rows=257,
        fingerprint="2589596dfaf1e2de77b4dc623441350eb86bcbf9857d567fa9e08e94bc376c19",
        fields=("source_file", "task_id", "prompt", "code", "test_imports", "test_list"),
        hub=HubSource("google-research-datasets/mbpp", "test", "main", "sanitized"),
    ),
    to_sample=to_sample,
    family="mbpp",
    fewshot=MBPP.fewshot,
)
