"""Shared pieces of the code benchmarks: Sample.meta builders for the sandbox grader.

Meta keys (read by harness/grade/code_exec.py and harness/extract/code.py): mode ('assert' runs
`test` after the program; 'io' calls entry_point on base_inputs + plus_inputs and compares with
the reference's outputs), entry_point, prompt (code prompt, HumanEval style), reference (canonical
program), tests (assert lines shown in MBPP prompts), atol, oracle, mbpp_task.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from harness.benchmark import Benchmark, DataSpec, ToSample
from harness.extract.code import extract_humaneval, extract_mbpp
from harness.grade.code_exec import grade_code
from harness.types import Sample

CODE_SUITES: tuple[str, ...] = ("code",)
_CALL = re.compile(r"assert\s+(?:not\s+)?\(?\s*(?:set\(|math\.isclose\(|abs\()?\s*([A-Za-z_]\w*)\s*\(")


def mbpp_entry_point(tests: Sequence[str]) -> str:
    """The function an MBPP item's asserts call (MBPP full gives no entry point)."""
    for t in tests:
        m = _CALL.search(t)
        if m:
            return m.group(1)
    raise ValueError(f"no function call found in MBPP tests: {tests[:1]!r}")


def assert_meta(entry_point: str, prompt: str, reference: str, test: str, **extra: Any) -> dict[str, Any]:
    """Meta for benchmarks graded by running asserts after the program."""
    return {"mode": "assert", "entry_point": entry_point, "prompt": prompt, "reference": reference,
            "test": test, **extra}


def io_meta(row: Mapping[str, Any], oracle: str, mbpp_task: int | None, **extra: Any) -> dict[str, Any]:
    """Meta for evalplus-style benchmarks (outputs on base and plus inputs vs the reference's)."""
    return {
        "mode": "io", "entry_point": row["entry_point"], "prompt": row["prompt"],
        "reference": row["prompt"] + row["canonical_solution"], "base_inputs": row["base_input"],
        "plus_inputs": row["plus_input"], "atol": float(row["atol"] or 0), "oracle": oracle,
        "mbpp_task": mbpp_task, **extra,
    }


def code_benchmark(
    name: str,
    version: str,
    citation: str,
    data: DataSpec,
    to_sample: ToSample,
    family: Literal["humaneval", "mbpp"],
    fewshot: tuple[Sample, ...] = (),
) -> Benchmark:
    """A code declaration with the family's extractor and the sandbox grader."""
    return Benchmark(
        name=name,
        version=version,
        citation=citation,
        kind="code",
        data=data,
        to_sample=to_sample,
        extract=extract_humaneval if family == "humaneval" else extract_mbpp,
        grade=grade_code,
        prompt_family=family,
        fewshot=fewshot,
        suites=CODE_SUITES,
    )
