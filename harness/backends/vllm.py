"""In-process vLLM (`vllm.LLM`): tensor parallel within a replica, data-parallel replicas across GPUs.

Thin on purpose, on the same contract as `hf`: prompts are rendered with the checkpoint's chat
template by the tokenizer here (so an assistant prefix works and the text equals what `hf` sees),
sampling parameters are always explicit (`generation_config="vllm"` keeps the checkpoint's
generation_config out), end-of-turn tokens are stop tokens, and each prompt's request carries its
own seed (run seed + rendered prompt), so samples do not depend on batch composition.

With `data_parallel_size = D > 1`, D worker processes each own `tensor_parallel_size` GPUs
(through CUDA_VISIBLE_DEVICES) and one `LLM`; prompts are dealt to them in contiguous shards.
Needs the optional extra: `pip install harness[vllm]` (GPU machines only).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Sequence
from typing import Any

from harness.backends.common import (
    END_OF_TURN_TOKENS,
    LocalTokenizerMixin,
    check_checkpoint_dir,
    cut_at_stop,
    is_greedy,
    sample_seed,
    stop_strings,
)
from harness.config import BackendConfig, SamplingConfig
from harness.errors import BackendError
from harness.types import Completion, Prompt

INSTALL_HINT = "the vllm backend needs vLLM: pip install harness[vllm] (on a machine with a CUDA GPU)"


def import_vllm() -> Any:
    """The vllm module, or a BackendError saying how to install it."""
    try:
        import vllm
    except ImportError as exc:
        raise BackendError(INSTALL_HINT) from exc
    return vllm


def sampling_params_kwargs(
    sampling: SamplingConfig, stops: Sequence[str], seed: int, stop_token_ids: Sequence[int]
) -> dict[str, Any]:
    """Every `vllm.SamplingParams` field that can move a score, set explicitly (greedy: n=1)."""
    greedy = is_greedy(sampling)
    return {
        "n": 1 if greedy else sampling.n,
        "temperature": 0.0 if greedy else sampling.temperature,
        "top_p": 1.0 if greedy else sampling.top_p,
        "top_k": -1,
        "min_p": 0.0,
        "repetition_penalty": 1.0,
        "presence_penalty": 0.0,
        "frequency_penalty": 0.0,
        "max_tokens": sampling.max_tokens,
        "seed": seed,
        "stop": list(stops),
        "stop_token_ids": list(stop_token_ids),
        "skip_special_tokens": True,
        "include_stop_str_in_output": False,
    }


def llm_kwargs(config: BackendConfig) -> dict[str, Any]:
    """Engine arguments of one replica."""
    kwargs: dict[str, Any] = {
        "model": config.model,
        "tensor_parallel_size": config.tensor_parallel_size,
        "gpu_memory_utilization": config.gpu_memory_utilization,
        "dtype": config.dtype,
        "generation_config": "vllm",
        "seed": 0,
    }
    if config.max_model_len:
        kwargs["max_model_len"] = config.max_model_len
    return kwargs


def to_completions(output: Any, stops: Sequence[str]) -> list[Completion]:
    """A vLLM RequestOutput as Completions (stop strings cut again, whatever the engine kept)."""
    prompt_tokens = len(output.prompt_token_ids or ())
    result = []
    for choice in output.outputs:
        text, hit = cut_at_stop(choice.text, stops)
        finish = "stop" if hit else str(choice.finish_reason or "unknown")
        result.append(Completion(text, finish, prompt_tokens, len(choice.token_ids)))
    return result


Request = tuple[list[int], dict[str, Any]]
"""Prompt token ids and SamplingParams keyword arguments of one request."""


def _run_requests(llm: Any, requests: list[Request]) -> list[list[Completion]]:
    from vllm import SamplingParams

    prompts = [{"prompt_token_ids": ids} for ids, _ in requests]
    params = [SamplingParams(**kwargs) for _, kwargs in requests]
    outputs = llm.generate(prompts, params, use_tqdm=False)
    return [to_completions(o, kw["stop"]) for o, (_, kw) in zip(outputs, requests, strict=True)]


def _replica_main(config: BackendConfig, devices: str, conn: Any) -> None:
    """One data-parallel replica: its own GPUs and LLM, answering shards until told to stop."""
    os.environ["CUDA_VISIBLE_DEVICES"] = devices
    llm = import_vllm().LLM(**llm_kwargs(config))
    conn.send("ready")
    while (requests := conn.recv()) is not None:
        conn.send(_run_requests(llm, requests))


class VLLMBackend(LocalTokenizerMixin):
    """vLLM offline generation (see the module docstring)."""

    def __init__(self, config: BackendConfig) -> None:
        vllm = import_vllm()
        check_checkpoint_dir(config.model)
        from transformers import AutoTokenizer

        self.config = config
        self.model_name = config.model
        self.tokenizer = AutoTokenizer.from_pretrained(config.model)
        vocab = self.tokenizer.get_vocab()
        self.stop_token_ids = [vocab[t] for t in END_OF_TURN_TOKENS if t in vocab]
        self.version = vllm.__version__
        self.llm: Any = None
        self.replicas: list[tuple[Any, Any]] = []
        if config.data_parallel_size <= 1:
            self.llm = vllm.LLM(**llm_kwargs(config))
        else:
            self._start_replicas()

    def _start_replicas(self) -> None:
        ctx = mp.get_context("spawn")
        tp = self.config.tensor_parallel_size
        for r in range(self.config.data_parallel_size):
            devices = ",".join(str(d) for d in range(r * tp, (r + 1) * tp))
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_replica_main, args=(self.config, devices, child), daemon=True)
            proc.start()
            self.replicas.append((proc, parent))
        for proc, conn in self.replicas:
            if conn.recv() != "ready":
                raise BackendError(f"vLLM replica {proc.pid} failed to start")

    def info(self) -> dict[str, Any]:
        """Engine version and parallelism, for the manifest."""
        return {
            "backend": "vllm",
            "vllm": self.version,
            "model": self.config.model,
            "dtype": self.config.dtype,
            "tensor_parallel_size": self.config.tensor_parallel_size,
            "data_parallel_size": self.config.data_parallel_size,
            "stop_token_ids": self.stop_token_ids,
        }

    def generate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[list[Completion]]:
        """`sampling.n` completions per prompt, in input order (greedy: one generation, n copies)."""
        requests: list[Request] = []
        for prompt in prompts:
            text = self.render(prompt)
            seed = sample_seed(sampling.seed, text, 0) & 0x7FFFFFFF
            kwargs = sampling_params_kwargs(sampling, stop_strings(prompt, sampling), seed, self.stop_token_ids)
            # Token ids, not text: vLLM would add special tokens to a rendered chat template again.
            ids = self.tokenizer(text, add_special_tokens=prompt.messages is None)["input_ids"]
            requests.append((list(ids), kwargs))
        local = self.llm is not None
        results = _run_requests(self.llm, requests) if local else self._generate_replicated(requests)
        return [r * sampling.n if is_greedy(sampling) else r for r in results]

    def _generate_replicated(self, requests: list[Request]) -> list[list[Completion]]:
        size = -(-len(requests) // len(self.replicas))
        shards = [requests[i : i + size] for i in range(0, len(requests), size)]
        for (_, conn), shard in zip(self.replicas, shards, strict=False):
            conn.send(shard)
        results: list[list[Completion]] = []
        for (_, conn), _shard in zip(self.replicas, shards, strict=False):
            results.extend(conn.recv())
        return results

    def close(self) -> None:
        """Stop the replicas and drop the engine."""
        for proc, conn in self.replicas:
            conn.send(None)
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
        self.replicas = []
        self.llm = None
