"""Run identity: a checkpoint fingerprint and a run id that changes exactly when results could.

Checkpoint fingerprint (fast by design, no GB-scale hashing): sha256 over config.json,
generation_config.json, every tokenizer / chat-template file, the safetensors index, and for each
weight file its size, its safetensors header (tensor names, dtypes, shapes, offsets) and three
64 KiB samples of its bytes (start of data, middle, end). Two trainings of the same architecture
have identical headers and sizes, so the sampled bytes are what tells them apart; a change that
touches none of the sampled bytes is not detected (acceptable for checkpoints, whose every tensor
moves in training).

Run id = `<checkpoint name>-<hash>` where the hash covers the effective configuration that moves
results: checkpoint fingerprint, backend kind and the backend settings that change outputs, preset,
prompt formats, sampling, grading config, benchmark versions and data fingerprints. It leaves out
`--limit`, the output dir, batch size, device and tags, so a rerun with a larger limit continues
the same run.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.config import RunConfig, stable_hash, to_jsonable

_META_FILES = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "tokenizer.model",
    "chat_template.jinja",
    "chat_template.json",
    "model.safetensors.index.json",
    "pytorch_model.bin.index.json",
)
_WEIGHT_GLOBS = ("*.safetensors", "*.bin", "*.pt", "*.gguf")
_CHUNK = 65536


def _safetensors_header(fh: Any) -> bytes:
    """The JSON header of a safetensors file (8-byte little-endian length, then the JSON)."""
    head = fh.read(8)
    if len(head) < 8:
        return b""
    (n,) = struct.unpack("<Q", head)
    return bytes(fh.read(min(n, 100_000_000)))


def _weight_digest(path: Path) -> bytes:
    """Size + header + sampled chunks of one weight file."""
    size = path.stat().st_size
    h = hashlib.sha256(f"{path.name}:{size}".encode())
    with path.open("rb") as fh:
        header = _safetensors_header(fh) if path.suffix == ".safetensors" else b""
        h.update(header)
        start = 8 + len(header) if header else 0
        for off in (start, start + (size - start) // 2, max(start, size - _CHUNK)):
            fh.seek(off)
            h.update(fh.read(_CHUNK))
    return h.digest()


def checkpoint_fingerprint(path: Path) -> str:
    """sha256 (hex) of a checkpoint directory's config, tokenizer and weight headers/samples."""
    h = hashlib.sha256()
    for name in _META_FILES:
        f = path / name
        if f.is_file():
            h.update(name.encode() + b"\0" + f.read_bytes() + b"\0")
    weights = sorted({w for g in _WEIGHT_GLOBS for w in path.glob(g) if w.is_file()})
    for w in weights:
        h.update(_weight_digest(w))
    return h.hexdigest()


def remote_fingerprint(model_id: str) -> str:
    """A served model known only by its id: the id is all we can pin."""
    return hashlib.sha256(f"remote:{model_id}".encode()).hexdigest()


def checkpoint_name(model: str) -> str:
    """A readable, filesystem-safe name for a checkpoint path or served model id."""
    p = Path(model.rstrip("/"))
    name = p.name or "model"
    parent = p.parent.name
    # A bare `checkpoint-500` says little without its parent run.
    if re.fullmatch(r"(checkpoint|step|global_step)[-_]?\d+", name) and parent:
        name = f"{parent}-{name}"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:60].strip("._-") or "model"


def identity_payload(
    config: RunConfig,
    fingerprint: str,
    prompt_formats: Mapping[str, str],
    benchmarks: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """Everything that moves results, as JSON data; `benchmarks` maps name -> {version, data_fingerprint}."""
    backend = config.backend
    math = to_jsonable(config.math)
    math.pop("workers", None)
    sandbox = to_jsonable(config.sandbox)
    for knob in ("workers", "fork_server"):  # how fast, not what: verdicts are the same either way
        sandbox.pop(knob, None)
    return {
        "checkpoint": fingerprint,
        "backend": {
            "kind": backend.kind,
            "dtype": backend.dtype,
            "endpoint": backend.endpoint if backend.kind == "openai" else None,
            "max_model_len": backend.max_model_len,
        },
        "preset": config.preset,
        "prompt_formats": dict(sorted(prompt_formats.items())),
        "sampling": to_jsonable(config.sampling),
        "math": math,
        "sandbox": sandbox,
        "benchmarks": {k: dict(v) for k, v in sorted(benchmarks.items())},
    }


def make_run_id(model: str, payload: Mapping[str, Any]) -> tuple[str, str]:
    """(run id, config hash) for a checkpoint and its identity payload."""
    config_hash = stable_hash(dict(payload), length=12)
    return f"{checkpoint_name(model)}-{config_hash}", config_hash
