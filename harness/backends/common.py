"""Small pieces every backend shares: stop handling, per-sample seeds, end-of-turn tokens."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.config import SamplingConfig
from harness.errors import BackendError
from harness.types import Prompt

END_OF_TURN_TOKENS = (
    "<|im_end|>",  # ChatML (Qwen, many SFT checkpoints)
    "<|eot_id|>",  # Llama 3
    "<|endoftext|>",  # GPT-2 / Qwen document end
    "<|end|>",  # Phi-3
    "<end_of_turn>",  # Gemma
    "<|end_of_text|>",  # Llama 3 document end
    "<｜end▁of▁sentence｜>",  # DeepSeek
)
"""Tokens that end an assistant turn; every one present in a vocabulary stops generation, as eos
does, so a chat model whose eos differs from its end-of-turn token still stops."""


def stop_strings(prompt: Prompt, sampling: SamplingConfig) -> tuple[str, ...]:
    """The union of the prompt format's and the run's stop strings, in order, without duplicates."""
    return tuple(dict.fromkeys(s for s in (*prompt.stop, *sampling.stop) if s))


def cut_at_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """`text` cut at the earliest occurrence of any stop string (excluded), and whether one was found."""
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def sample_seed(seed: int, rendered: str, k: int) -> int:
    """A 63-bit seed for sample `k` of one prompt: depends on the run seed, the prompt and k only,
    so a sample does not change with the batch it happens to be generated in."""
    digest = hashlib.sha256(f"{seed}\x00{k}\x00{rendered}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def check_checkpoint_dir(path: str) -> Path:
    """The checkpoint directory, or a one-line BackendError saying what is wrong with it (checked
    before anything loads, by `harness eval` and by every local backend)."""
    if not path:
        raise BackendError("no checkpoint given: pass a model directory")
    p = Path(path).expanduser()
    if not p.exists():
        raise BackendError(f"checkpoint not found: {path}; pass a model directory (with config.json)")
    if not p.is_dir() or not (p / "config.json").is_file():
        raise BackendError(f"{path} is not a model checkpoint: no config.json in it")
    return p


def is_greedy(sampling: SamplingConfig) -> bool:
    """Temperature 0 means greedy decoding: one generation serves all n samples."""
    return sampling.temperature <= 0.0


def render_with_template(tokenizer: Any, prompt: Prompt, model: str) -> str:
    """The text a local model continues: raw text, or the chat template applied with a generation
    prompt; the assistant prefix is appended either way. A chat prompt for a tokenizer without a
    chat template is a BackendError (base models need a text prompt format)."""
    if prompt.messages is None:
        return (prompt.text or "") + prompt.assistant_prefix
    if not getattr(tokenizer, "chat_template", None):
        raise BackendError(
            f"{model} has no chat template but the prompt format is chat; "
            "use a preset with a text format for base models (e.g. --preset minerva)"
        )
    messages = [{"role": m.role, "content": m.content} for m in prompt.messages]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return str(text) + prompt.assistant_prefix


def memo_render(backend: Any, prompt: Prompt, render: Callable[[Prompt], str]) -> str:
    """`render(prompt)` once per backend and prompt: the planner renders every prompt to hash it
    and `generate` needs the same text again (a chat template is not free on 5000 prompts)."""
    cache: dict[Prompt, str] = backend.__dict__.setdefault("_rendered", {})
    if prompt not in cache:
        cache[prompt] = render(prompt)
    return cache[prompt]


class LocalTokenizerMixin:
    """`supports_chat`, `render` and `count_tokens` for backends that hold the checkpoint's tokenizer."""

    tokenizer: Any
    model_name: str

    def supports_chat(self) -> bool:
        """Whether the checkpoint has a chat template (chat prompts need one)."""
        return bool(getattr(self.tokenizer, "chat_template", None))

    def render(self, prompt: Prompt) -> str:
        """The exact text the model continues: the chat template applied, then the assistant prefix."""
        return memo_render(self, prompt, lambda p: render_with_template(self.tokenizer, p, self.model_name))

    def count_tokens(self, text: str) -> int | None:
        """Token count of `text` (no special tokens added)."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])
