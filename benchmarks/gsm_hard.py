"""GSM-Hard: GSM8K test questions with larger numbers (1319).

Gao et al., "PAL: Program-aided Language Models", ICML 2023 (reasoning-machines/gsm-hard).
Gold: `target`, the result of the reference program (a float; some entries are known to be
wrong upstream, HF discussion #2). Ids: 0-based line number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks._math_common import format_number, math_benchmark
from harness.benchmark import DataSpec, HubSource
from harness.types import Sample

NAME = "gsm_hard"
VERSION = "1"


def to_sample(row: Mapping[str, Any], line_no: int) -> Sample:
    """A GSM-Hard row as a Sample; the numeric target becomes text."""
    return Sample(NAME, VERSION, str(line_no), row["input"], format_number(row["target"]), {})


BENCHMARK = math_benchmark(
    name=NAME,
    version=VERSION,
    citation=__doc__ or "",
    data=DataSpec(
        local="gsm_hard/test.jsonl",
        expected_rows=1319,
        fingerprint="ef3d9dfc157fe1b18971b57818fbfe9739905d72b3ee0fdca1a3bf3717206e3a",
        fields=("input", "code", "target"),
        hub=HubSource("reasoning-machines/gsm-hard", "train", "main"),
    ),
    to_sample=to_sample,
    numeric=True,
)
