"""Stop-string cutting, per-sample seeds, and the backend factory (no model needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.backends import load_backend
from harness.backends.common import cut_at_stop, sample_seed, stop_strings
from harness.config import BackendConfig, SamplingConfig
from harness.errors import BackendError, ConfigError
from harness.types import Prompt

CUT_CASES = [
    # text, stops, expected text, hit
    ("abc\ndef foo", ("\ndef ",), "abc", True),
    ("x = 1\n# done\ndef g", ("\ndef ", "\n#"), "x = 1", True),  # earliest stop wins, not first listed
    ("no stop here", ("\nassert",), "no stop here", False),
    ("", ("a",), "", False),
    ("[DONE]", ("[DONE]",), "", True),
]


@pytest.mark.parametrize(("text", "stops", "expected", "hit"), CUT_CASES)
def test_cut_at_stop(text: str, stops: tuple[str, ...], expected: str, hit: bool) -> None:
    assert cut_at_stop(text, stops) == (expected, hit)


def test_stop_strings_union_keeps_order_and_drops_duplicates() -> None:
    prompt = Prompt(text="q", stop=("A", "B"))
    assert stop_strings(prompt, SamplingConfig(stop=("B", "C", ""))) == ("A", "B", "C")


def test_sample_seed_depends_on_seed_prompt_and_k_only() -> None:
    base = sample_seed(0, "prompt", 0)
    assert base == sample_seed(0, "prompt", 0)
    assert len({base, sample_seed(1, "prompt", 0), sample_seed(0, "prompt", 1), sample_seed(0, "other", 0)}) == 4
    assert 0 <= base < 2**63


def test_unknown_backend_kind_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown backend"):
        load_backend(BackendConfig(kind="nope"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("model", "message"),
    [("/definitely/not/here", "checkpoint not found"), (".", "not a model checkpoint")],
)
def test_hf_backend_rejects_bad_paths_in_one_line(model: str, message: str) -> None:
    with pytest.raises(BackendError, match=message) as info:
        load_backend(BackendConfig(kind="hf", model=model))
    assert "\n" not in str(info.value)


def test_importing_backends_imports_neither_torch_nor_vllm() -> None:
    code = (
        "import sys, harness, harness.backends, harness.prompts, harness.presets, harness.tiny\n"
        "import harness.backends.hf, harness.backends.openai_compat, harness.backends.vllm, harness.backends.fake\n"
        "print(sorted(m for m in ('torch', 'vllm', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
