"""What lm-eval calls while running the tasks `harness lm-eval-tasks` writes: the docs and the grader.

`dataset` loads a benchmark through our loader (HARNESS_DATA_DIR, row count and fingerprint
checked) and renders each item's prompt with the chosen preset, so the docs carry the prompt text,
the system message, the assistant prefix and the item id. `process_results` grades a response with
the benchmark's own extractor and grader; code runs in our sandbox, never in lm-eval's process.
lm-eval imports this module once per process, so the loaded items and the grading resources
(math worker pool, sandbox) are kept for the process and closed at exit.
"""

from __future__ import annotations

import atexit
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from harness.benchmark import Benchmark
from harness.grade.env import GradeEnv
from harness.integrations.lm_eval_samples import HARNESS_ID_FIELD
from harness.integrations.lm_eval_tasks import HARNESS_PREFIX_FIELD
from harness.registry import get_benchmark
from harness.types import Prompt, Sample, Status

BENCH_FIELD = "harness_benchmark"
FALLBACK_FIELD = "harness_answer_fallback"
"""Doc field: the preset lets the math extractor fall back to the last number (as `harness eval` does)."""


def metric_name(bench: Benchmark) -> str:
    """The per-doc metric of a benchmark's task: `acc` for math, `pass@1` for code."""
    return "pass@1" if bench.kind == "code" else "acc"


def prompt_fields(prompt: Prompt) -> dict[str, str]:
    """A Prompt as doc fields: system message, user text (or the whole text prompt), assistant prefix."""
    if prompt.text is not None:
        return {"harness_system": "", "harness_text": prompt.text, HARNESS_PREFIX_FIELD: prompt.assistant_prefix}
    messages = prompt.messages or ()
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    user = "\n\n".join(m.content for m in messages if m.role != "system")
    return {"harness_system": system, "harness_text": user, HARNESS_PREFIX_FIELD: prompt.assistant_prefix}


def build_docs(bench: Benchmark, samples: Sequence[Sample], preset: str, base_model: bool) -> list[dict[str, Any]]:
    """One lm-eval doc per item: id, rendered prompt pieces, gold."""
    from harness.presets import get_preset

    p = get_preset(preset)
    fmt = p.format_for(bench.prompt_family, chat=not base_model)
    fallback = p.math_last_number_fallback and bench.kind == "math"
    return [{HARNESS_ID_FIELD: s.id, BENCH_FIELD: bench.name, "harness_gold": s.gold,
             FALLBACK_FIELD: fallback, **prompt_fields(fmt(s, bench.fewshot))} for s in samples]


def dataset(benchmark: str = "", preset: str = "scalequest", base_model: bool = False, **_: Any) -> Any:
    """lm-eval's `custom_dataset`: {"test": the benchmark's docs} from HARNESS_DATA_DIR. Other
    metadata lm-eval passes along is ignored."""
    import datasets

    bench = get_benchmark(benchmark)
    docs = build_docs(bench, _samples(benchmark), preset, base_model)
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


@cache
def _samples(benchmark: str) -> tuple[Sample, ...]:
    from harness.data import load_benchmark

    return load_benchmark(get_benchmark(benchmark)).samples


@cache
def _by_id(benchmark: str) -> Mapping[str, Sample]:
    return {s.id: s for s in _samples(benchmark)}


@cache
def _env() -> GradeEnv:
    env = GradeEnv()
    atexit.register(env.close)
    return env


def grade_response(doc: Mapping[str, Any], response: str) -> Status:
    """Our verdict on one response to one of our docs (the assistant prefix put back first)."""
    from harness.runner import extract_one

    bench = get_benchmark(str(doc[BENCH_FIELD]))
    sample = _by_id(bench.name)[str(doc[HARNESS_ID_FIELD])]
    output = str(doc.get(HARNESS_PREFIX_FIELD) or "") + response
    extraction = extract_one(bench, output, sample, bool(doc.get(FALLBACK_FIELD)))
    return bench.grade([(sample, extraction)], _env())[0].status


def process_results(doc: Mapping[str, Any], results: Sequence[str]) -> dict[str, float]:
    """lm-eval's per-doc hook: 1.0 when our grader says correct, else 0.0 (first response)."""
    bench = get_benchmark(str(doc[BENCH_FIELD]))
    return {metric_name(bench): float(grade_response(doc, results[0]) == Status.CORRECT)}
