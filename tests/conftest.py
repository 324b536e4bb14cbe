"""Shared test fixtures: the benchmark data dir (HARNESS_DATA_DIR, CI sets it to ../shared/data)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Tiny models on a shared 2-core box run ~10x faster on one torch thread (less contention);
# set before any test imports torch, and inherited by the servers and CLIs the tests start.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


def _data_dir() -> Path | None:
    env = os.environ.get("HARNESS_DATA_DIR")
    if env:
        return Path(env).resolve()
    candidate = REPO.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real benchmark data. Tests that need it fail loudly (not skip) when it is missing."""
    found = _data_dir()
    if found is None or not found.is_dir():
        pytest.fail("benchmark data not found: set HARNESS_DATA_DIR to the shared data folder")
    return found


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny real chat checkpoint (BPE tokenizer + 2-layer Llama, ChatML), built once per session."""
    from harness.tiny import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny") / "ckpt")


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """One intra-op torch thread for a module (tiny models run ~10x faster on a small shared CPU,
    and the hf/served comparison runs both sides alike); restored afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
