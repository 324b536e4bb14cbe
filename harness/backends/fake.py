"""A scripted backend for unit tests of the runner: no model, outputs decided by the test.

The script is a list of outputs (dealt out in call order, cycling) or a callable of
(prompt, sample index k) returning a text or a Completion. Every prompt it is asked about is kept
in `seen`, so a test can check that nothing was generated twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.backends.common import cut_at_stop, stop_strings
from harness.config import BackendConfig, SamplingConfig
from harness.errors import BackendError
from harness.types import Completion, Prompt

Script = Sequence[str | Completion] | Callable[[Prompt, int], str | Completion]

DEFAULT_OUTPUT = "The answer is \\boxed{0}."


class FakeBackend:
    """Scripted completions; stop strings are honoured, max_tokens counts whitespace-split words."""

    def __init__(self, script: Script = (DEFAULT_OUTPUT,)) -> None:
        if not callable(script) and not script:
            raise ValueError("a fake backend needs at least one scripted output")
        self.script = script
        self.seen: list[Prompt] = []
        self._next = 0

    @classmethod
    def from_config(cls, config: BackendConfig) -> FakeBackend:
        """`model` empty: one default output; else a JSON file holding a list of outputs."""
        if not config.model:
            return cls()
        try:
            outputs = json.loads(Path(config.model).read_text())
        except (OSError, ValueError) as exc:
            raise BackendError(f"fake backend script {config.model} is not a readable JSON list: {exc}") from exc
        if not isinstance(outputs, list) or not outputs or not all(isinstance(o, str) for o in outputs):
            raise BackendError(f"fake backend script {config.model} must be a non-empty JSON list of strings")
        return cls(outputs)

    def supports_chat(self) -> bool:
        """The fake renders chat messages itself."""
        return True

    def render(self, prompt: Prompt) -> str:
        """A plain rendering: `role: content` lines for chat, the text as is otherwise."""
        if prompt.messages is None:
            return (prompt.text or "") + prompt.assistant_prefix
        turns = "".join(f"{m.role}: {m.content}\n" for m in prompt.messages)
        return f"{turns}assistant: {prompt.assistant_prefix}"

    def count_tokens(self, text: str) -> int | None:
        """Whitespace-split word count (a stand-in for tokens)."""
        return len(text.split())

    def info(self) -> dict[str, Any]:
        """Marks the run as scripted."""
        return {"backend": "fake", "scripted": True}

    def close(self) -> None:
        """Nothing to release."""

    def generate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[list[Completion]]:
        """`sampling.n` scripted completions per prompt."""
        out = []
        for prompt in prompts:
            self.seen.append(prompt)
            out.append([self._one(prompt, k, sampling) for k in range(sampling.n)])
        return out

    def _one(self, prompt: Prompt, k: int, sampling: SamplingConfig) -> Completion:
        if callable(self.script):
            scripted = self.script(prompt, k)
        else:
            scripted = self.script[self._next % len(self.script)]
            self._next += 1
        if isinstance(scripted, Completion):
            return scripted
        text, hit = cut_at_stop(scripted, stop_strings(prompt, sampling))
        words = text.split(" ")
        if not hit and len(words) > sampling.max_tokens:
            kept = " ".join(words[: sampling.max_tokens])
            return Completion(kept, "length", self._count(prompt), sampling.max_tokens)
        return Completion(text, "stop", self._count(prompt), len(text.split()))

    def _count(self, prompt: Prompt) -> int:
        return len(self.render(prompt).split())
