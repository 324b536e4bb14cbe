"""Pieces shared by the math declarations: gold clean-up and the standard extractor/grader pair."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from harness.benchmark import Benchmark, DataSpec, ToSample
from harness.extract.math import math_extractor
from harness.types import Extraction, Grade, Sample

if TYPE_CHECKING:
    from harness.grade.env import GradeEnv

MATH_SUITES = ("math",)
_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")
# A question whose answers form a sequence: "Write out the first four terms of the given sequence",
# "... in that order". ("respectively" is not enough: MATH uses it for the givens, not the answers.)
_ORDER_ASKED_RE = re.compile(
    r"\bfirst\s+(?:\w+\s+)?terms\b|\bterms\s+of\s+the\s+(?:given\s+)?sequence\b"
    r"|\bin\s+(?:that|this|the\s+same)\s+order\b",
    re.I,
)


def asks_for_order(question: str) -> bool:
    """Whether the question asks for answers in a given order (the grading hint `ordered`)."""
    return bool(_ORDER_ASKED_RE.search(question))


def strip_math_delimiters(text: str) -> str:
    """`$x$` -> `x` when the whole answer is one inline-math span; anything else is kept as is."""
    s = text.strip()
    if len(s) >= 2 and s[0] == "$" and s[-1] == "$" and s[-2] != "\\":
        inner = s[1:-1].strip("$")
        if not _UNESCAPED_DOLLAR.search(inner):
            return inner.strip()
    return s


def strip_all_math_delimiters(text: str) -> str:
    """Every unescaped `$` removed: for golds that are only math (OlympiadBench `final_answer`)."""
    return _UNESCAPED_DOLLAR.sub("", text).strip()


def format_number(value: float | int) -> str:
    """A numeric gold as text: integral floats without '.0', others in full precision."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def grade(pairs: Sequence[tuple[Sample, Extraction]], env: GradeEnv) -> list[Grade]:
    """The math grader (sympy in a killable pool); imported lazily to keep the registry light."""
    from harness.grade.math_grade import grade_math

    return grade_math(pairs, env)


def math_benchmark(
    name: str,
    version: str,
    citation: str,
    data: DataSpec,
    to_sample: ToSample,
    *,
    numeric: bool = False,
    breakdown: tuple[str, ...] = (),
    suites: tuple[str, ...] = MATH_SUITES,
    reference: Callable[[str], str | None] | None = None,
) -> Benchmark:
    """A math declaration with the standard extractor and grader.

    `numeric` benchmarks (all-number golds, GSM8K-style) always fall back to the last number;
    the others do so only when the run's preset allows it (MathGradeConfig.answer_fallback).
    """
    return Benchmark(
        name=name,
        version=version,
        citation=citation,
        kind="math",
        data=data,
        to_sample=to_sample,
        extract=math_extractor(last_number_fallback=numeric),
        extract_fallback=None if numeric else math_extractor(last_number_fallback=True),
        grade=grade,
        prompt_family="math",
        breakdown=breakdown,
        suites=suites,
        reference=reference,
    )
