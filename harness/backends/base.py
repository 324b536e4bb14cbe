"""The backend protocol: prompts in, completions out. Backends know nothing of benchmarks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from harness.config import SamplingConfig
from harness.types import Completion, Prompt


class Backend(Protocol):
    """A model that continues prompts.

    `generate` returns, for each prompt, `sampling.n` completions (sample index k = list index).
    Greedy decoding (temperature 0) generates once and returns that completion n times; sampled
    decoding draws sample k from a seed derived from (sampling.seed, rendered prompt, k). Stop
    sequences are the union of `prompt.stop` and `sampling.stop` (cut out of the text, earliest
    first); eos and end-of-turn tokens also stop. `finish_reason` is 'stop' or 'length'. The
    assistant prefix is part of the prompt and never part of `Completion.text`.
    """

    def supports_chat(self) -> bool:
        """Whether chat prompts can be served (a chat template or a chat endpoint exists); when
        False, callers use a preset's text fallback format instead of chat messages."""
        ...

    def generate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[list[Completion]]:
        """Generate `sampling.n` completions per prompt."""
        ...

    def render(self, prompt: Prompt) -> str:
        """The exact text the model sees for `prompt` (chat template applied where one is used)."""
        ...

    def count_tokens(self, text: str) -> int | None:
        """Token count of `text` under the model's tokenizer, or None when unknown (remote servers)."""
        ...

    def info(self) -> dict[str, Any]:
        """Backend name, library versions, device and model details, for the manifest."""
        ...

    def close(self) -> None:
        """Release the model, threads and connections."""
        ...
