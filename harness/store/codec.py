"""JSON (de)serialisation of stored records: graded SampleRecords and ungraded Generations.

Generations are written before grading so that a grader crash costs a regrade, never a regenerate.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from harness.types import Extraction, ExtractStatus, Grade, SampleRecord, Status

SampleKey = tuple[str, str, str, int]
"""(benchmark, benchmark version, item id, sample index k): the unit of resume."""


@dataclass(frozen=True)
class Generation:
    """One stored model output, not yet graded. `output` includes the prompt's assistant prefix."""

    benchmark: str
    version: str
    item_id: str
    k: int
    prompt_hash: str
    output: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int

    @property
    def key(self) -> SampleKey:
        return (self.benchmark, self.version, self.item_id, self.k)


def record_key(rec: SampleRecord) -> SampleKey:
    """The resume key of a graded record."""
    return (rec.benchmark, rec.version, rec.item_id, rec.k)


def record_to_dict(rec: SampleRecord, prompt: str | None = None) -> dict[str, Any]:
    """A SampleRecord as plain JSON data (extraction and grade nested, enums as strings), with the
    rendered prompt text when given (optional in the format; reports show it per item)."""
    data = asdict(rec)
    data["extraction"]["status"] = str(rec.extraction.status)
    data["extraction"]["candidates"] = list(rec.extraction.candidates)
    data["grade"]["status"] = str(rec.grade.status)
    if prompt is not None:
        data["prompt"] = prompt
    return data


def record_from_dict(data: dict[str, Any]) -> SampleRecord:
    """Inverse of `record_to_dict`."""
    ex = data["extraction"]
    gr = data["grade"]
    fields = {k: v for k, v in data.items() if k not in ("extraction", "grade", "prompt")}
    return SampleRecord(
        **fields,
        extraction=Extraction(
            answer=ex["answer"],
            method=ex["method"],
            status=ExtractStatus(ex["status"]),
            candidates=tuple(ex.get("candidates", ())),
        ),
        grade=Grade(
            status=Status(gr["status"]),
            rule=gr["rule"],
            grader_version=gr["grader_version"],
            detail=gr.get("detail", ""),
        ),
    )


def generation_to_dict(gen: Generation) -> dict[str, Any]:
    """A Generation as plain JSON data."""
    return asdict(gen)


def generation_from_dict(data: dict[str, Any]) -> Generation:
    """Inverse of `generation_to_dict`."""
    return Generation(**data)


def dumps_line(data: dict[str, Any]) -> str:
    """One JSONL line (with its newline); non-ASCII kept readable."""
    return json.dumps(data, ensure_ascii=False) + "\n"
