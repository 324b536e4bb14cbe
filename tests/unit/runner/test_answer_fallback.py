"""The preset's answer fallback reaches extraction through config, generically."""

from __future__ import annotations

from harness.registry import get_benchmark
from harness.runner import extract_one
from harness.types import ExtractStatus, Sample

OUTPUT = "We add the two numbers and get 42"


def _sample() -> Sample:
    return Sample("math500", "1", "x", "q", "42", {})


def test_no_fallback_means_no_answer() -> None:
    ex = extract_one(get_benchmark("math500"), OUTPUT, _sample(), fallback=False)
    assert ex.status == ExtractStatus.NO_ANSWER


def test_fallback_takes_the_last_number_and_says_so() -> None:
    ex = extract_one(get_benchmark("math500"), OUTPUT, _sample(), fallback=True)
    assert ex.status == ExtractStatus.OK and ex.answer == "42"
    assert "number" in ex.method


def test_fallback_never_overrides_a_found_answer() -> None:
    ex = extract_one(get_benchmark("math500"), r"so \boxed{7}, not 42", _sample(), fallback=True)
    assert ex.answer == "7"


def test_code_benchmarks_have_no_fallback() -> None:
    assert get_benchmark("humaneval").extract_fallback is None
