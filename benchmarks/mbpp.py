"""MBPP (full, test split: task ids 11-510, 500 problems), graded by its three asserts.

Austin et al., "Program Synthesis with Large Language Models", arXiv:2108.07732 (2021). The 3-shot
prompt uses task ids 2, 3 and 4 as exemplars (`fewshot`), with all three tests shown and
[BEGIN]/[DONE] delimiters. `test_setup_code` runs before the asserts. Ids: `task_id`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks._code_common import assert_meta, code_benchmark, mbpp_entry_point
from harness.benchmark import DataSpec, HubSource
from harness.types import Sample

NAME = "mbpp"
VERSION = "1"


def mbpp_test(setup: str, tests: Sequence[str]) -> str:
    """The test program: setup code, then the asserts."""
    return f"{setup}\n" + "\n".join(tests) + "\n"


def to_sample(row: Mapping[str, Any], line_no: int) -> Sample:
    """An MBPP row as a Sample; question is the task text, meta.tests the asserts the prompt shows."""
    tests = list(row["test_list"])
    entry = mbpp_entry_point(tests)
    meta = assert_meta(entry, "", row["code"], mbpp_test(row["test_setup_code"], tests),
                       tests=tests, text=row["text"], code_prompt="")
    return Sample(NAME, VERSION, str(row["task_id"]), row["text"], "", meta)


_EXEMPLARS: tuple[dict[str, Any], ...] = (
    {"text": "Write a function to find the similar elements from the given two tuple lists.",
     "code": "def similar_elements(test_tup1, test_tup2):\r\n  res = tuple(set(test_tup1) & set(test_tup2))\r\n"
             "  return (res) ",
     "task_id": 2, "test_setup_code": "",
     "test_list": ["assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)",
                   "assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)",
                   "assert similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14)"]},
    {"text": "Write a python function to identify non-prime numbers.",
     "code": "import math\r\ndef is_not_prime(n):\r\n    result = False\r\n    for i in range(2,int(math.sqrt(n)) + 1):"
             "\r\n        if n % i == 0:\r\n            result = True\r\n    return result",
     "task_id": 3, "test_setup_code": "",
     "test_list": ["assert is_not_prime(2) == False", "assert is_not_prime(10) == True",
                   "assert is_not_prime(35) == True"]},
    {"text": "Write a function to find the largest integers from a given list of numbers using heap queue "
             "algorithm.",
     "code": "import heapq as hq\r\ndef heap_queue_largest(nums,n):\r\n  largest_nums = hq.nlargest(n, nums)\r\n"
             "  return largest_nums",
     "task_id": 4, "test_setup_code": "",
     "test_list": ["assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],3)==[85, 75, 65] ",
                   "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],2)==[85, 75] ",
                   "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],5)==[85, 75, 65, 58, 35]"]},
)
"""MBPP prompt-split task ids 2, 3, 4, verbatim (the 3-shot exemplars of Austin et al.)."""


def _exemplar(row: Mapping[str, Any]) -> Sample:
    s = to_sample(row, 0)
    return Sample(s.benchmark, s.version, s.id, s.question, row["code"], s.meta)


BENCHMARK = code_benchmark(
    name=NAME,
    version=VERSION,
    citation=__doc__ or "",
    data=DataSpec(
        local="mbpp/test.jsonl",
        expected_rows=500,
        fingerprint="f3dbe5f5668108d6c7b75b3407d4900b425dd0bec373a53bc5aa00cc6c395b5a",
        fields=("task_id", "text", "code", "test_setup_code", "test_list", "challenge_test_list"),
        hub=HubSource("google-research-datasets/mbpp", "test", "main", "full"),
    ),
    to_sample=to_sample,
    family="mbpp",
    fewshot=tuple(_exemplar(r) for r in _EXEMPLARS),
)
