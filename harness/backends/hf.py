"""The transformers backend: batched, left-padded generation on CPU or GPU.

Prompts are sorted by token length and generated in batches of `batch_size`; completions come
back in input order. Every decoding parameter is passed explicitly: the checkpoint's
generation_config is replaced at load time by a blank one that keeps only its eos ids, so a
checkpoint's `repetition_penalty` or `temperature` never moves a score silently.

Sampling (temperature > 0) draws each sample with the Gumbel-max trick from its own random stream,
seeded by (run seed, rendered prompt, sample index k) — see `common.sample_seed`. Guaranteed: the
same seed, prompt, k, checkpoint, dtype and device give the same sample, whatever else is in the
batch, as far as the logits themselves are identical. Not guaranteed: bit-identical logits across
batch shapes (padding changes the float reduction order, which can flip a near-tie), across
devices or dtypes, or against any other backend's sampler.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass
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

_DTYPES = ("float32", "bfloat16", "float16")


@dataclass(frozen=True)
class _Row:
    """One generation: prompt `index`, sample `k`, its token ids, stops and seed."""

    index: int
    k: int
    ids: tuple[int, ...]
    stops: tuple[str, ...]
    seed: int


def _pick_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _torch_dtype(dtype: str, device: str) -> Any:
    import torch

    if dtype == "auto":
        # The checkpoint's dtype on GPU; float32 on CPU, where bf16 matmuls are slow and inexact.
        return "auto" if device.startswith("cuda") else torch.float32
    if dtype not in _DTYPES:
        raise BackendError(f"unknown dtype {dtype!r}; use one of auto, {', '.join(_DTYPES)}")
    return getattr(torch, dtype)


def stop_token_ids(tokenizer: Any, generation_config: Any) -> tuple[int, ...]:
    """eos ids of the tokenizer and generation config, plus every end-of-turn token in the vocab."""
    ids: list[int] = []
    if tokenizer.eos_token_id is not None:
        ids.append(int(tokenizer.eos_token_id))
    gen_eos = getattr(generation_config, "eos_token_id", None)
    if gen_eos is not None:
        ids.extend(int(i) for i in (gen_eos if isinstance(gen_eos, list | tuple) else [gen_eos]))
    vocab = tokenizer.get_vocab()
    ids.extend(vocab[t] for t in END_OF_TURN_TOKENS if t in vocab)
    return tuple(dict.fromkeys(ids))


class HFBackend(LocalTokenizerMixin):
    """transformers `generate` on a local checkpoint (see the module docstring for guarantees)."""

    def __init__(self, config: BackendConfig) -> None:
        path = check_checkpoint_dir(config.model)
        import torch
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

        self.config = config
        self.model_name = config.model
        self.device = _pick_device(config.device)
        dtype = _torch_dtype(config.dtype, self.device)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            model: Any = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
        except (OSError, ValueError, KeyError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BackendError(f"cannot load checkpoint {config.model}: {first}") from exc
        self.model: Any = model.to(self.device).eval()
        self.stop_ids = stop_token_ids(self.tokenizer, model.generation_config)
        pad = self.tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else self.stop_ids[0])
        self.model.generation_config = GenerationConfig(  # type: ignore[no-untyped-call]
            eos_token_id=list(self.stop_ids), pad_token_id=self.pad_id
        )
        self.context = config.max_model_len or getattr(model.config, "max_position_embeddings", None)
        self._candidates: dict[frozenset[str], Any] = {}
        self._versions = {"transformers": transformers.__version__, "torch": torch.__version__}

    # -- protocol ------------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """Backend, versions, device, dtype and the stop tokens in force, for the manifest."""
        return {
            "backend": "hf",
            "model": self.config.model,
            "device": self.device,
            "dtype": str(self.model.dtype).removeprefix("torch."),
            "batch_size": self.config.batch_size,
            "context": self.context,
            "stop_token_ids": list(self.stop_ids),
            "chat_template": self.supports_chat(),
            **self._versions,
        }

    def close(self) -> None:
        """Drop the model and free accelerator memory."""
        import torch

        self.model = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def generate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[list[Completion]]:
        """`sampling.n` completions per prompt, in input order (greedy: one generation, n copies)."""
        rows = self._rows(prompts, sampling)
        rows.sort(key=lambda r: (-len(r.ids), r.index, r.k))
        done: dict[tuple[int, int], Completion] = {}
        size = max(1, self.config.batch_size)
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            done.update(zip(((r.index, r.k) for r in batch), self._generate_batch(batch, sampling), strict=True))
        greedy = is_greedy(sampling)
        return [[done[(i, 0 if greedy else k)] for k in range(sampling.n)] for i in range(len(prompts))]

    # -- internals -----------------------------------------------------------------------------

    def _rows(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[_Row]:
        rows: list[_Row] = []
        samples = 1 if is_greedy(sampling) else sampling.n
        texts = [self.render(p) for p in prompts]
        # Raw text gets the tokenizer's special tokens (a BOS where the model uses one), as vLLM
        # and the completions endpoint do; a rendered chat template already has them. One
        # tokenizer call per kind instead of one per prompt (same ids, fewer round trips).
        ids: dict[int, tuple[int, ...]] = {}
        for raw in (True, False):
            picked = [i for i, p in enumerate(prompts) if (p.messages is None) == raw]
            if picked:
                enc = self.tokenizer([texts[i] for i in picked], add_special_tokens=raw)["input_ids"]
                ids.update((i, tuple(e)) for i, e in zip(picked, enc, strict=True))
        for i, prompt in enumerate(prompts):
            stops = stop_strings(prompt, sampling)
            seeds = [sample_seed(sampling.seed, texts[i], k) for k in range(samples)]
            rows.extend(_Row(i, k, ids[i], stops, seed) for k, seed in enumerate(seeds))
        return rows

    def _generate_batch(self, batch: list[_Row], sampling: SamplingConfig) -> list[Completion]:
        import torch

        fits = [j for j, r in enumerate(batch) if self.context is None or len(r.ids) < self.context]
        longest = max((len(batch[j].ids) for j in fits), default=0)
        room = sampling.max_tokens if self.context is None else min(sampling.max_tokens, self.context - longest)
        outputs: dict[int, Completion] = {}
        if fits and room > 0:
            input_ids = torch.full((len(fits), longest), self.pad_id, dtype=torch.long)
            mask = torch.zeros((len(fits), longest), dtype=torch.long)
            rows = [batch[j] for j in fits]
            for j, r in enumerate(rows):
                input_ids[j, longest - len(r.ids) :] = torch.tensor(r.ids)
                mask[j, longest - len(r.ids) :] = 1
            stops = sorted({s for r in rows for s in r.stops})
            # Without stop strings no criterion runs per step (and no vocab-wide candidate mask is built).
            criteria = (
                _StopStrings(self.tokenizer, [r.stops for r in rows], longest, self._candidate_mask(stops))
                if stops
                else None
            )
            processors = [] if is_greedy(sampling) else [_GumbelSampler([r.seed for r in rows], sampling)]
            with torch.inference_mode():
                out = self.model.generate(
                    input_ids=input_ids.to(self.device),
                    attention_mask=mask.to(self.device),
                    max_new_tokens=room,
                    do_sample=False,
                    num_beams=1,
                    logits_processor=processors,
                    stopping_criteria=[criteria] if criteria is not None else [],
                )
            generated = out[:, longest:].cpu().tolist()
            stopped_at = criteria.stopped_at if criteria is not None else {}
            for j, r in enumerate(rows):
                outputs[fits[j]] = self._completion(r, generated[j], stopped_at.get(j))
        # A prompt with no room left under the context length yields an empty, truncated output.
        return [outputs.get(j) or Completion("", "length", len(r.ids), 0) for j, r in enumerate(batch)]

    def _completion(self, row: _Row, ids: list[int], stopped_at: int | None) -> Completion:
        n_tokens = len(ids) if stopped_at is None else stopped_at
        finish = "length"
        for j, t in enumerate(ids[:n_tokens]):
            if t in self.stop_ids:
                n_tokens, finish = j + 1, "stop"
                break
        decoded = str(self.tokenizer.decode(ids[: n_tokens - (finish == "stop")], skip_special_tokens=True))
        text, hit = cut_at_stop(decoded, row.stops)
        return Completion(text, "stop" if hit else finish, len(row.ids), n_tokens)

    def _candidate_mask(self, stops: Sequence[str]) -> Any:
        """Per token id: could this token complete one of `stops`? (It holds a stop's last char,
        or is a partial byte sequence or special token that decodes to nothing printable.)"""
        import torch

        last = frozenset(s[-1] for s in stops)
        if last not in self._candidates:
            size = int(self.model.get_output_embeddings().weight.shape[0])
            pieces = self.tokenizer.batch_decode([[i] for i in range(size)])
            flags = [not p or "\ufffd" in p or any(c in p for c in last) for p in pieces]
            self._candidates[last] = torch.tensor(flags, dtype=torch.bool)
        return self._candidates[last]


class _StopStrings:
    """Stops a row once its generated text (never the prompt) contains one of its stop strings.

    Only rows whose newest token could complete a stop are decoded, and only a short tail of them.
    `stopped_at[row]` is the number of generated tokens when the row stopped.
    """

    def __init__(self, tokenizer: Any, stops: list[tuple[str, ...]], prompt_len: int, candidates: Any) -> None:
        self.tokenizer = tokenizer
        self.stops = stops
        self.prompt_len = prompt_len
        self.candidates = candidates
        self.window = 4 * max((len(s) for row in stops for s in row), default=1) + 4
        self.stopped_at: dict[int, int] = {}

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        generated = input_ids[:, self.prompt_len :]
        if generated.shape[1] == 0:
            return done
        newest = generated[:, -1].cpu()
        newest = newest.clamp(max=self.candidates.shape[0] - 1)
        for row in torch.nonzero(self.candidates[newest]).flatten().tolist():
            if row in self.stopped_at or not self.stops[row]:
                continue
            tail = self.tokenizer.decode(generated[row, -self.window :].tolist(), skip_special_tokens=True)
            if any(s in tail for s in self.stops[row]):
                self.stopped_at[row] = int(generated.shape[1])
        for row in self.stopped_at:
            done[row] = True
        return done


class _GumbelSampler:
    """Samples with temperature and top-p through the Gumbel-max trick, one random stream per row.

    Returns logits/T (top-p masked) plus Gumbel noise, so a greedy argmax over them is a draw from
    the tempered, nucleus-truncated distribution; each row's noise comes from its own generator.
    """

    def __init__(self, seeds: list[int], sampling: SamplingConfig) -> None:
        self.seeds = seeds
        self.temperature = sampling.temperature
        self.top_p = sampling.top_p
        self.generators: list[Any] = []

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        if not self.generators:
            self.generators = [torch.Generator(device=scores.device).manual_seed(s) for s in self.seeds]
        logits = scores.float() / self.temperature
        if self.top_p < 1.0:
            ordered, order = torch.sort(logits, descending=True, dim=-1)
            cumulative = torch.softmax(ordered, dim=-1).cumsum(dim=-1)
            drop = cumulative - torch.softmax(ordered, dim=-1) >= self.top_p  # keeps at least one token
            logits = logits.masked_fill(drop.scatter(-1, order, drop), float("-inf"))
        vocab = logits.shape[-1]
        uniform = torch.stack(
            [torch.rand(vocab, generator=g, device=scores.device) for g in self.generators]
        ).clamp_(min=1e-20, max=1.0 - 1e-7)
        return logits - torch.log(-torch.log(uniform))
