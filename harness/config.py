"""Every knob that can move a score, in typed frozen config objects written to the run manifest.

No hidden defaults: max tokens, stop sequences, chat template use, tolerances, time limits and
the truncation policy all live here, and `config_hash` covers the ones that change results.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

TruncationPolicy = Literal["grade", "strict"]
"""'grade': grade what is there and count the truncation; 'strict': a truncated output is wrong
(status `truncated`), as DART-Math scores `finish_reason == length`."""


@dataclass(frozen=True)
class SamplingConfig:
    """Decoding settings, applied explicitly (never the checkpoint's generation_config silently)."""

    n: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 2048
    seed: int = 0
    stop: tuple[str, ...] = ()
    """Extra stop sequences on top of the prompt format's own."""


LOCAL_KINDS = ("hf", "vllm")
"""Backends that load a checkpoint directory themselves (openai talks to a server)."""


@dataclass(frozen=True)
class BackendConfig:
    """Which backend serves the model, and how."""

    kind: Literal["hf", "openai", "vllm", "fake"] = "hf"
    model: str = ""
    """Checkpoint directory (hf, vllm) or served model id (openai)."""
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = 8
    base_url: str = ""
    api_key_env: str = "OPENAI_API_KEY"
    endpoint: Literal["chat", "completions"] = "chat"
    concurrency: int = 8
    max_retries: int = 5
    request_timeout_s: float = 600.0
    tensor_parallel_size: int = 1
    data_parallel_size: int = 1
    gpu_memory_utilization: float = 0.9
    max_model_len: int | None = None


@dataclass(frozen=True)
class MathGradeConfig:
    """Bounds and tolerances of math answer checking."""

    timeout_s: float = 5.0
    """Per-item budget for symbolic work; a worker over it is killed and replaced."""
    memory_mb: int = 2048
    workers: int = 0
    """0: one per core."""
    rel_tol: float = 1e-6
    abs_tol: float = 1e-9
    max_answer_chars: int = 2000
    truncation: TruncationPolicy = "grade"
    answer_fallback: bool = False
    """When extraction finds no final answer, try the benchmark's fallback extractor (the last
    number, for math), as the Qwen2.5-Math and DART-Math graders do; set by the preset."""


@dataclass(frozen=True)
class SandboxConfig:
    """Isolation and limits for running generated code."""

    kind: Literal["auto", "bwrap", "local"] = "auto"
    time_factor: float = 4.0
    """Per-problem limit = max(floor, factor x the canonical solution's measured run time)."""
    time_floor_s: float = 3.0
    memory_mb: int = 2048
    max_output_bytes: int = 65536
    workers: int = 0
    """0: one per core plus one with fork servers, three per core with a sandbox per program
    (harness.grade.code_exec.workers says why)."""
    reference_cache_dir: str = "~/.cache/harness/code-references"
    """Where reference-solution timings and outputs are cached across runs ("": measure every run)."""
    fork_server: bool = True
    """bwrap only: run programs in long-lived sandboxes that fork a fresh process per program
    (same isolation and verdicts, ~20x less start-up per program); False: one bwrap per program."""


@dataclass(frozen=True)
class RunConfig:
    """One evaluation run: what to score, with which model, how to decode and grade, where to store."""

    benchmarks: tuple[str, ...]
    backend: BackendConfig
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    preset: str = "scalequest"
    math: MathGradeConfig = field(default_factory=MathGradeConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    limit: int | None = None
    out_dir: str = "results"
    data_dir: str | None = None
    allow_data_mismatch: bool = False
    tags: tuple[tuple[str, str], ...] = ()


def to_jsonable(obj: Any) -> Any:
    """A config object as plain JSON data (tuples become lists)."""
    return json.loads(json.dumps(asdict(obj), default=str))


def stable_hash(data: Any, length: int = 16) -> str:
    """sha256 of canonical JSON, shortened: the same content always gives the same hash."""
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:length]
