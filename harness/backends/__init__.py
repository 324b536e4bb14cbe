"""Model backends behind one protocol; each loads its heavy dependencies lazily.

`load_backend(config)` imports only the module of the backend asked for, so importing `harness`
(or this package) imports neither torch nor vllm.
"""

from __future__ import annotations

from harness.backends.base import Backend
from harness.config import BackendConfig
from harness.errors import ConfigError

KINDS = ("hf", "openai", "vllm", "fake")


def load_backend(config: BackendConfig) -> Backend:
    """The backend `config.kind` names, loaded (model weights, tokenizer or server settings)."""
    if config.kind == "hf":
        from harness.backends.hf import HFBackend

        return HFBackend(config)
    if config.kind == "openai":
        from harness.backends.openai_compat import OpenAIBackend

        return OpenAIBackend(config)
    if config.kind == "vllm":
        from harness.backends.vllm import VLLMBackend

        return VLLMBackend(config)
    if config.kind == "fake":
        from harness.backends.fake import FakeBackend

        return FakeBackend.from_config(config)
    raise ConfigError(f"unknown backend {config.kind!r}; use one of {', '.join(KINDS)}")


__all__ = ["KINDS", "Backend", "load_backend"]
