"""The scripted backend the runner's unit tests use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.backends import load_backend
from harness.backends.fake import DEFAULT_OUTPUT, FakeBackend
from harness.config import BackendConfig, SamplingConfig
from harness.errors import BackendError
from harness.types import ChatMessage, Completion, Prompt


def test_list_script_is_dealt_in_order_and_cycles() -> None:
    backend = FakeBackend(["one", "two", "three"])
    out = backend.generate([Prompt(text="a"), Prompt(text="b")], SamplingConfig(n=2))
    assert [[c.text for c in row] for row in out] == [["one", "two"], ["three", "one"]]
    assert [p.text for p in backend.seen] == ["a", "b"]


def test_callable_script_sees_prompt_and_k_and_may_return_completions() -> None:
    def script(prompt: Prompt, k: int) -> str | Completion:
        return Completion("fixed", "length", 1, 9) if k == 1 else f"{prompt.text}-{k}"

    out = FakeBackend(script).generate([Prompt(text="q")], SamplingConfig(n=2))
    assert out == [[Completion("q-0", "stop", 1, 1), Completion("fixed", "length", 1, 9)]]


def test_stops_and_max_tokens_are_honoured() -> None:
    backend = FakeBackend(["keep this\nassert cut", "w1 w2 w3 w4"])
    out = backend.generate([Prompt(text="x", stop=("\nassert",)), Prompt(text="y")], SamplingConfig(max_tokens=2))
    assert out[0][0].text == "keep this" and out[0][0].finish_reason == "stop"
    assert out[1][0] == Completion("w1 w2", "length", 1, 2)


def test_render_chat_includes_assistant_prefix() -> None:
    prompt = Prompt(messages=(ChatMessage("user", "hi"),), assistant_prefix="```python\n")
    assert FakeBackend().render(prompt) == "user: hi\nassistant: ```python\n"


def test_load_from_config_default_and_json_script(tmp_path: Path) -> None:
    default = load_backend(BackendConfig(kind="fake"))
    assert default.generate([Prompt(text="q")], SamplingConfig())[0][0].text == DEFAULT_OUTPUT
    script = tmp_path / "script.json"
    script.write_text(json.dumps(["\\boxed{4}"]))
    scripted = load_backend(BackendConfig(kind="fake", model=str(script)))
    assert scripted.generate([Prompt(text="q")], SamplingConfig())[0][0].text == "\\boxed{4}"
    script.write_text('{"not": "a list"}')
    with pytest.raises(BackendError, match="JSON list"):
        load_backend(BackendConfig(kind="fake", model=str(script)))
