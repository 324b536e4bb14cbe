"""The transformers backend on the tiny real checkpoint: batching, stops, eos, sampling, templates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.backends import load_backend
from harness.backends.hf import HFBackend
from harness.config import BackendConfig, SamplingConfig
from harness.errors import BackendError
from harness.types import ChatMessage, Prompt

GREEDY = SamplingConfig(max_tokens=24)
SAMPLED = SamplingConfig(n=3, temperature=1.0, top_p=0.95, max_tokens=12, seed=7)


def chat(text: str, **kw: object) -> Prompt:
    return Prompt(messages=(ChatMessage("user", text),), **kw)  # type: ignore[arg-type]


PROMPTS = [
    chat("What is 3 + 4?"),
    Prompt(text="Question: Compute 12 * 3.\nAnswer:"),
    Prompt(text="def add(a, b):\n"),
    Prompt(messages=(ChatMessage("system", "Be brief."), ChatMessage("user", "Find 2 - 9."))),
    Prompt(text="the"),
]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def hf(tiny_checkpoint: Path) -> HFBackend:
    backend = load_backend(BackendConfig(kind="hf", model=str(tiny_checkpoint), device="cpu", batch_size=3))
    assert isinstance(backend, HFBackend)
    return backend


def _variant(src: Path, dst: Path, *, drop_template: bool = False, gen_config: dict[str, object] | None = None) -> str:
    shutil.copytree(src, dst)
    if drop_template:
        (dst / "chat_template.jinja").unlink()
    if gen_config is not None:
        (dst / "generation_config.json").write_text(json.dumps(gen_config))
    return str(dst)


def test_greedy_is_deterministic_and_batching_keeps_input_order(hf: HFBackend) -> None:
    batched = hf.generate(PROMPTS, GREEDY)
    assert batched == hf.generate(PROMPTS, GREEDY)
    # Sorted by length and left-padded in batches of 3, yet each answer equals the prompt alone.
    assert batched == [hf.generate([p], GREEDY)[0] for p in PROMPTS]
    assert len({c[0].text for c in batched}) == len(PROMPTS)


def test_chat_turn_ends_on_end_of_turn_and_text_on_eos(hf: HFBackend) -> None:
    turn, doc = hf.generate([chat("What is 3 + 4?"), Prompt(text="Question: What is 2 + 2?\nAnswer:")], GREEDY)
    for completion in (turn[0], doc[0]):
        assert completion.finish_reason == "stop"
        assert completion.completion_tokens < GREEDY.max_tokens
        assert "<|" not in completion.text and "boxed" in completion.text


def test_end_of_turn_stops_even_when_generation_config_omits_it(tiny_checkpoint: Path, tmp_path: Path) -> None:
    path = _variant(tiny_checkpoint, tmp_path / "ckpt", gen_config={"eos_token_id": 1, "pad_token_id": 0})
    backend = HFBackend(BackendConfig(kind="hf", model=path, device="cpu"))
    out = backend.generate([chat("What is 3 + 4?")], GREEDY)[0][0]
    assert out.finish_reason == "stop" and "<|im_end|>" not in out.text


def test_checkpoint_sampling_settings_are_ignored(hf: HFBackend, tiny_checkpoint: Path, tmp_path: Path) -> None:
    noisy = {"eos_token_id": [1, 3], "do_sample": True, "temperature": 5.0, "repetition_penalty": 3.0, "top_k": 2}
    backend = HFBackend(BackendConfig(kind="hf", model=_variant(tiny_checkpoint, tmp_path / "c", gen_config=noisy)))
    assert backend.generate(PROMPTS, GREEDY) == hf.generate(PROMPTS, GREEDY)


def test_stop_strings_cut_the_text_and_stop_early(hf: HFBackend) -> None:
    free = hf.generate(PROMPTS[:2], GREEDY)
    stop = " The answer"
    assert all(stop in c[0].text for c in free)
    cut = hf.generate([Prompt(messages=PROMPTS[0].messages, stop=(stop,)), PROMPTS[1]],
                      SamplingConfig(max_tokens=24, stop=(stop, "never")))
    for before, after in zip(free, cut, strict=True):
        assert after[0].text == before[0].text[: before[0].text.index(stop)]
        assert after[0].finish_reason == "stop"
        assert after[0].completion_tokens < before[0].completion_tokens


def test_length_finish_and_token_counts(hf: HFBackend) -> None:
    out = hf.generate([Prompt(text="the")], SamplingConfig(max_tokens=3))[0][0]
    assert out.finish_reason == "length" and out.completion_tokens == 3
    assert out.prompt_tokens == hf.count_tokens("the") == 1


def test_seeded_samples_reproduce_regardless_of_batch(hf: HFBackend, tiny_checkpoint: Path) -> None:
    target = chat("What is 3 + 4?")
    alone = hf.generate([target], SAMPLED)[0]
    assert len(alone) == 3 and len({c.text for c in alone}) > 1
    other = HFBackend(BackendConfig(kind="hf", model=str(tiny_checkpoint), device="cpu", batch_size=8))
    assert other.generate([PROMPTS[2], target, PROMPTS[4]], SAMPLED)[1] == alone
    assert hf.generate([target], SamplingConfig(**{**SAMPLED.__dict__, "seed": 8}))[0] != alone


def test_greedy_n_repeats_one_generation(hf: HFBackend) -> None:
    out = hf.generate([PROMPTS[0]], SamplingConfig(n=3, max_tokens=10))[0]
    assert len(out) == 3 and out[0] == out[1] == out[2]


def test_render_applies_template_then_assistant_prefix(hf: HFBackend) -> None:
    text = hf.render(chat("Hi", assistant_prefix="```python\n"))
    assert text == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n```python\n"
    out = hf.generate([chat("What is 3 + 4?", assistant_prefix="3 + ")], GREEDY)[0][0]
    assert not out.text.startswith("3 + ")  # the prefix is prompt, not output


def test_each_prompt_is_templated_once(hf: HFBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    """The planner renders every prompt (to hash it) and generate renders it again: one template call."""
    calls = []
    real = hf.tokenizer.apply_chat_template
    monkeypatch.setattr(hf.tokenizer, "apply_chat_template", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    prompt = chat("Render me once", assistant_prefix="")
    first = hf.render(prompt)
    hf.generate([prompt], GREEDY)
    assert hf.render(prompt) == first and len(calls) == 1


def test_chat_prompt_without_template_is_a_clear_error(tiny_checkpoint: Path, tmp_path: Path) -> None:
    backend = HFBackend(BackendConfig(kind="hf", model=_variant(tiny_checkpoint, tmp_path / "b", drop_template=True)))
    assert not backend.supports_chat()
    with pytest.raises(BackendError, match="no chat template"):
        backend.generate([chat("What is 1 + 1?")], GREEDY)
    assert backend.generate([Prompt(text="the")], SamplingConfig(max_tokens=2))[0][0].completion_tokens == 2


def test_info_names_versions_device_and_stop_tokens(hf: HFBackend) -> None:
    info = hf.info()
    assert info["backend"] == "hf" and info["device"] == "cpu" and info["dtype"] == "float32"
    assert set(info["stop_token_ids"]) == {1, 3} and info["chat_template"] is True and info["transformers"]
