"""Prompt formats and presets: the words each protocol shows, stops, fallbacks, and name errors."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError
from harness.presets import PRESETS, get_preset
from harness.prompts import BOXED_INSTRUCTION, FORMATS, HUMANEVAL_STOPS, MINERVA_EXEMPLARS, get_format, prompt_hash
from harness.registry import all_benchmarks, get_benchmark
from harness.types import Sample

MATH = Sample("gsm8k", "1", "0", "What is 2 + 3?", "5")
CODE = Sample("humaneval", "1", "HumanEval/0", 'def f(x):\n    """Return x."""\n', "")
MBPP = Sample("mbpp", "1", "11", "Write a function to double x.", "", {"text": "Write a function to double x.",
              "tests": ["assert double(2) == 4", "assert double(0) == 0"]})

# format name, sample, (substrings that must appear in the rendered words), stops, chat
CASES = [
    ("boxed-chat", MATH, ("You are a helpful assistant.", f"What is 2 + 3?\n{BOXED_INSTRUCTION}"), (), True),
    ("qwen25-math-cot", MATH, (BOXED_INSTRUCTION, "What is 2 + 3?"), (), True),
    ("deepseek-math", MATH, (f"User: What is 2 + 3?\n{BOXED_INSTRUCTION}\n\nAssistant:",), ("\n\nUser:",), False),
    ("dart-alpaca", MATH, ("Below is an instruction", "### Instruction:\nWhat is 2 + 3?\n\n### Response:\n"),
     ("### Instruction:", "### Response:"), False),
    ("minerva-4shot", MATH, ("Problem:\nWhat is 2 + 3?\n\nSolution:", "I hope it is correct."),
     ("\n\nProblem:",), False),
    ("humaneval-completion", CODE, (CODE.question,), HUMANEVAL_STOPS, False),
    ("evalplus-instruct", CODE, ("self-contained Python script", "```\ndef f(x):"), (), True),
    ("evalplus-instruct", MBPP, ('"""\nWrite a function to double x.\nassert double(2) == 4\n"""',), (), True),
]


def _words(prompt: object) -> str:
    text = getattr(prompt, "text", None)
    messages = getattr(prompt, "messages", None) or ()
    return text if text is not None else "\n".join(m.content for m in messages)


@pytest.mark.parametrize(("name", "sample", "needles", "stops", "is_chat"), CASES)
def test_format_words_and_stops(name: str, sample: Sample, needles: tuple[str, ...], stops: tuple[str, ...],
                                is_chat: bool) -> None:
    fmt = get_format(name)
    prompt = fmt(sample, ())
    assert fmt.chat == is_chat == (prompt.messages is not None)
    for needle in needles:
        assert needle in _words(prompt)
    assert prompt.stop == stops


def test_humaneval_completion_is_the_prompt_verbatim() -> None:
    assert get_format("humaneval-completion")(CODE, ()).text == CODE.question


def test_evalplus_opens_a_python_fence_in_the_assistant_turn() -> None:
    prompt = get_format("evalplus-instruct")(CODE, ())
    assert prompt.assistant_prefix.endswith("```python\n") and prompt.messages is not None
    assert [m.role for m in prompt.messages] == ["user"]


def test_minerva_uses_own_exemplars_or_the_benchmarks() -> None:
    own = get_format("minerva-4shot")(MATH, ()).text or ""
    assert own.count("Problem:") == 5 and MINERVA_EXEMPLARS[0][0] in own
    shot = Sample("math", "1", "x", "Compute 1+1.", "2", {"solution": "One plus one is two."})
    given = get_format("minerva-4shot")(MATH, (shot,)).text or ""
    assert given.startswith("Problem:\nCompute 1+1.\n\nSolution:\nOne plus one is two.\nFinal Answer: The final "
                            "answer is $2$. I hope it is correct.\n\nProblem:\nWhat is 2 + 3?")


def test_mbpp_3shot_with_the_benchmarks_exemplars() -> None:
    bench = get_benchmark("mbpp")
    prompt = get_format("mbpp-3shot")(MBPP, bench.fewshot)
    text = prompt.text or ""
    assert text.count("[BEGIN]") == 4 and text.count("[DONE]") == 3 and prompt.stop == ("[DONE]",)
    assert text.startswith("You are an expert Python programmer, and here is your task: ")
    tests = "assert double(2) == 4\nassert double(0) == 0"
    assert text.endswith(f"Your code should pass these tests:\n\n{tests}\n[BEGIN]\n")
    with pytest.raises(ConfigError, match="few-shot exemplars"):
        get_format("mbpp-3shot")(MBPP, ())


def test_every_preset_names_its_source_and_decodes_greedily() -> None:
    assert set(PRESETS) == {"scalequest", "qwen25-math-cot", "deepseek-math", "dart-alpaca", "minerva", "evalplus"}
    for preset in PRESETS.values():
        assert preset.source and preset.sampling.temperature == 0.0 and preset.sampling.n == 1
    assert get_preset("scalequest").sampling.max_tokens == 2048
    assert get_preset("scalequest").truncation == "strict" and get_preset("minerva").truncation == "grade"


def test_every_registered_benchmark_family_is_covered_by_scalequest() -> None:
    families = {b.prompt_family for b in all_benchmarks()}
    assert families == {"math", "humaneval", "mbpp"}
    for family in families:
        assert get_preset("scalequest").format_for(family).name in FORMATS


def test_chat_formats_fall_back_to_text_without_a_chat_template() -> None:
    preset = get_preset("scalequest")
    assert preset.format_for("math").chat
    assert preset.format_for("math", chat=False).name == "deepseek-math"
    assert preset.format_for("humaneval", chat=False).name == "humaneval-completion"
    assert get_preset("minerva").format_for("math", chat=False).name == "minerva-4shot"
    with pytest.raises(ConfigError, match="no prompt format for 'math'"):
        get_preset("evalplus").format_for("math")


@pytest.mark.parametrize(("typo", "hint"), [("scalequets", "scalequest"), ("minerv", "minerva")])
def test_unknown_preset_gets_a_close_match(typo: str, hint: str) -> None:
    with pytest.raises(ConfigError, match=f"did you mean '{hint}'"):
        get_preset(typo)


def test_prompt_hash_is_stable_and_sensitive() -> None:
    assert prompt_hash("abc") == prompt_hash("abc") == "ba7816bf8f01cfea"
    assert prompt_hash("abc ") != prompt_hash("abc")
