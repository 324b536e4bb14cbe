"""The missing-extra error (where vLLM is absent) and the explicit SamplingParams mapping (everywhere,
including the GPU machines where vLLM is installed)."""

from __future__ import annotations

import importlib.util

import pytest

from harness.backends import load_backend
from harness.backends.vllm import llm_kwargs, sampling_params_kwargs, to_completions
from harness.config import BackendConfig, SamplingConfig
from harness.errors import BackendError

@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed")
def test_missing_vllm_says_how_to_install() -> None:
    with pytest.raises(BackendError, match=r"pip install harness\[vllm\]"):
        load_backend(BackendConfig(kind="vllm", model="/some/ckpt"))


def test_greedy_mapping_is_explicit_and_ignores_n() -> None:
    kw = sampling_params_kwargs(SamplingConfig(n=4, temperature=0.0, top_p=0.5, max_tokens=77), ("\n#",), 5, [7])
    assert kw["n"] == 1 and kw["temperature"] == 0.0 and kw["top_p"] == 1.0
    assert kw["max_tokens"] == 77 and kw["stop"] == ["\n#"] and kw["stop_token_ids"] == [7] and kw["seed"] == 5
    # Fields a checkpoint's generation_config could otherwise supply are pinned.
    assert kw["repetition_penalty"] == 1.0 and kw["top_k"] == -1 and kw["min_p"] == 0.0


def test_sampled_mapping_keeps_n_temperature_top_p() -> None:
    kw = sampling_params_kwargs(SamplingConfig(n=3, temperature=0.7, top_p=0.95, seed=1), (), 11, [])
    assert (kw["n"], kw["temperature"], kw["top_p"], kw["seed"]) == (3, 0.7, 0.95, 11)


def test_engine_never_reads_generation_config() -> None:
    kw = llm_kwargs(BackendConfig(kind="vllm", model="/m", tensor_parallel_size=2, max_model_len=4096))
    assert kw["generation_config"] == "vllm" and kw["tensor_parallel_size"] == 2 and kw["max_model_len"] == 4096


class _Choice:
    def __init__(self, text: str, finish: str, n: int) -> None:
        self.text, self.finish_reason, self.token_ids = text, finish, list(range(n))


class _Output:
    def __init__(self) -> None:
        self.prompt_token_ids = [1, 2, 3]
        self.outputs = [_Choice("ok\nassert x", "stop", 4), _Choice("long", "length", 9)]


def test_request_output_maps_to_completions_and_cuts_stops() -> None:
    first, second = to_completions(_Output(), ["\nassert"])
    assert (first.text, first.finish_reason, first.prompt_tokens, first.completion_tokens) == ("ok", "stop", 3, 4)
    assert (second.text, second.finish_reason, second.completion_tokens) == ("long", "length", 9)
