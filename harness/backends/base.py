"""The backend protocol: prompts in, completions out. Backends know nothing of benchmarks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from harness.config import SamplingConfig
from harness.types import Completion, Prompt


class Backend(Protocol):
    """A model that continues prompts.

    `generate` returns, for each prompt, `sampling.n` completions (sample index k = list index).
    Greedy decoding with n > 1 yields n identical requests' worth of output only if asked; callers
    decide n. Stop sequences are the union of `prompt.stop` and `sampling.stop`; eos and
    end-of-turn tokens also stop. `finish_reason` is 'stop' or 'length'.
    """

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
