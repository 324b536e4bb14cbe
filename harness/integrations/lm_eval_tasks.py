"""Which lm-eval 0.4.13 tasks grade one of our benchmarks, and how their docs map to our items.

A task is supported when its docs are items of one of our benchmarks: the doc is matched to an item
by content (the question or problem text; `task_id` for code), never by position. Tasks whose docs
are some other data (gsm8k_platinum revises GSM8K's questions and answers) are unsupported, as is
every task not listed here. `harness_<name>` are the tasks `harness lm-eval-tasks` writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.errors import DataError

Doc = Mapping[str, Any]
PrefixFn = Callable[[Doc], str]

HARNESS_TASK_PREFIX = "harness_"
HARNESS_PREFIX_FIELD = "harness_gen_prefix"
"""Doc field of our own tasks holding the assistant prefix (lm-eval's gen_prefix) the output continues."""
_MATH_SUBJECTS = {"algebra": "Algebra", "counting_and_prob": "Counting & Probability", "geometry": "Geometry",
                  "intermediate_algebra": "Intermediate Algebra", "num_theory": "Number Theory",
                  "prealgebra": "Prealgebra", "precalc": "Precalculus"}
"""lm-eval's MATH subject task suffixes and the `type` (our `subject`) their docs have."""


def _no_prefix(doc: Doc) -> str:
    return ""


def _humaneval_instruct_prefix(doc: Doc) -> str:
    # humaneval_instruct's gen_prefix: the answer opens a code fence and repeats the prompt.
    return f"Here is the completed function:\n```python\n{doc.get('prompt', '')}\n"


def _mbpp_instruct_prefix(doc: Doc) -> str:
    return "\n```python\n"


def _harness_prefix(doc: Doc) -> str:
    return str(doc.get(HARNESS_PREFIX_FIELD) or "")


@dataclass(frozen=True)
class TaskMap:
    """How one lm-eval task's docs become our items: the benchmark, and what each output continues."""

    task: str
    benchmark: str
    output_prefix: PrefixFn = _no_prefix
    """Text the model's response continues (lm-eval's gen_prefix), put back before extraction, as
    our runner does with a prompt's assistant prefix."""
    item_meta: Mapping[str, str] = field(default_factory=dict)
    """`Sample.meta` values every item of the task has (a MATH subject task's subject): docs match
    only such items, which tells apart items of two subjects that share a problem text."""


def _table() -> dict[str, TaskMap]:
    rows: list[TaskMap] = [TaskMap(t, "gsm8k") for t in (
        "gsm8k", "gsm8k_cot", "gsm8k_cot_zeroshot", "gsm8k_cot_llama", "gsm8k_cot_self_consistency")]
    for family in ("minerva_math", "hendrycks_math"):
        rows += [TaskMap(f"{family}_{s}", "math", item_meta={"subject": subject})
                 for s, subject in _MATH_SUBJECTS.items()]
        rows.append(TaskMap(f"{family}500", "math500"))
    rows += [TaskMap("humaneval", "humaneval"), TaskMap("humaneval_64", "humaneval"),
             TaskMap("humaneval_plus", "humaneval_plus"),
             TaskMap("humaneval_instruct", "humaneval", _humaneval_instruct_prefix),
             TaskMap("humaneval_64_instruct", "humaneval", _humaneval_instruct_prefix),
             TaskMap("mbpp", "mbpp"), TaskMap("mbpp_plus", "mbpp_plus"),
             TaskMap("mbpp_instruct", "mbpp", _mbpp_instruct_prefix),
             TaskMap("mbpp_plus_instruct", "mbpp_plus", _mbpp_instruct_prefix),
             TaskMap("aime24", "aime24")]
    return {r.task: r for r in rows}


STOCK_TASKS: Mapping[str, TaskMap] = _table()
"""lm-eval 0.4.13's own tasks whose docs are items of our benchmarks."""

UNSUPPORTED_REASONS: Mapping[str, str] = {
    "gsm8k_platinum": "its docs are madrylab/gsm8k-platinum, a revision of GSM8K's questions and answers, "
                      "not our gsm8k items",
}


def supported_tasks() -> list[str]:
    """Every supported task name: lm-eval's own, then ours (`harness_<benchmark>`)."""
    from harness.registry import all_benchmarks

    return [*STOCK_TASKS, *(f"{HARNESS_TASK_PREFIX}{b.name}" for b in all_benchmarks())]


def _unsupported_why(task: str) -> str:
    for stem, why in UNSUPPORTED_REASONS.items():
        if task.startswith(stem):
            return f" ({why})"
    return ""


def task_map(task: str) -> TaskMap:
    """The mapping of a task; DataError naming the task and the supported ones when there is none."""
    if task in STOCK_TASKS:
        return STOCK_TASKS[task]
    if task.startswith(HARNESS_TASK_PREFIX):
        from harness.registry import all_benchmarks

        names = {b.name for b in all_benchmarks()}
        name = task[len(HARNESS_TASK_PREFIX):]
        if name in names:
            return TaskMap(task, name, _harness_prefix)
    raise DataError(unsupported_message(task))


def unsupported_message(task: str) -> str:
    """One line: the task is not graded here, why when known, and what is."""
    return (f"lm-eval task {task!r} is not supported{_unsupported_why(task)}; supported tasks: "
            f"{', '.join(supported_tasks())}")
