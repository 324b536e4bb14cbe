"""Prompt formats: small callables `(sample, fewshot) -> Prompt`, registered by name.

A format decides the words the model sees and its stop strings; the backend decides how chat
messages become text (the checkpoint's chat template). Formats read `Sample.question`, and for
code few-shot formats the code meta keys `text`, `tests` (assert lines) and an exemplar's `gold`
(its reference program; `meta["reference"]` as a fallback).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from harness.errors import ConfigError, close_match_hint
from harness.types import ChatMessage, Prompt, Sample

BOXED_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."
HELPFUL_SYSTEM = "You are a helpful assistant."
ALPACA_PREAMBLE = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request."
)
HUMANEVAL_STOPS = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", "\nassert")
EVALPLUS_INSTRUCTION = (
    "Please provide a self-contained Python script that solves the following problem in a markdown code block:"
)
EVALPLUS_RESPONSE = (
    "Below is a Python script with a self-contained function that solves the problem and passes "
    "corresponding tests:"
)

FormatFn = Callable[[Sample, Sequence[Sample]], Prompt]


@dataclass(frozen=True)
class PromptFormat:
    """A named prompt format; `chat` says whether it builds chat messages (needs a chat template)."""

    name: str
    fn: FormatFn
    chat: bool
    description: str

    def __call__(self, sample: Sample, fewshot: Sequence[Sample] = ()) -> Prompt:
        return self.fn(sample, fewshot)


def prompt_hash(rendered_text: str) -> str:
    """sha256 of the exact text the model sees, shortened to 16 hex digits."""
    return hashlib.sha256(rendered_text.encode("utf-8")).hexdigest()[:16]


# -- math ------------------------------------------------------------------------------------------


def _boxed_chat(sample: Sample, fewshot: Sequence[Sample]) -> Prompt:
    user = f"{sample.question}\n{BOXED_INSTRUCTION}"
    return Prompt(messages=(ChatMessage("system", HELPFUL_SYSTEM), ChatMessage("user", user)))


def _qwen25_math_cot(sample: Sample, fewshot: Sequence[Sample]) -> Prompt:
    return Prompt(messages=(ChatMessage("system", BOXED_INSTRUCTION), ChatMessage("user", sample.question)))


def _deepseek_math(sample: Sample, fewshot: Sequence[Sample]) -> Prompt:
    return Prompt(text=f"User: {sample.question}\n{BOXED_INSTRUCTION}\n\nAssistant:", stop=("\n\nUser:",))


def _dart_alpaca(sample: Sample, fewshot: Sequence[Sample]) -> Prompt:
    text = f"{ALPACA_PREAMBLE}\n\n### Instruction:\n{sample.question}\n\n### Response:\n"
    return Prompt(text=text, stop=("### Instruction:", "### Response:"))


# Four short exemplars written for this harness, in the Minerva answer format.
MINERVA_EXEMPLARS: tuple[tuple[str, str], ...] = (
    (
        "What is the sum of the first five positive odd integers?",
        "The first five positive odd integers are $1, 3, 5, 7, 9$, and their sum is $1+3+5+7+9=25$.\n"
        "Final Answer: The final answer is $25$. I hope it is correct.",
    ),
    (
        "Solve for $x$: $3x - 7 = 11$.",
        "Adding $7$ to both sides gives $3x = 18$, so $x = 6$.\n"
        "Final Answer: The final answer is $6$. I hope it is correct.",
    ),
    (
        "A bag holds 4 red and 6 blue marbles. One marble is drawn at random. What is the probability "
        "that it is red?",
        "There are $4+6=10$ marbles and $4$ of them are red, so the probability is $\\frac{4}{10}=\\frac{2}{5}$.\n"
        "Final Answer: The final answer is $\\frac{2}{5}$. I hope it is correct.",
    ),
    (
        "Find the value of $f(3)$ when $f(x) = x^2 - 2x + 4$.",
        "Substituting, $f(3) = 9 - 6 + 4 = 7$.\nFinal Answer: The final answer is $7$. I hope it is correct.",
    ),
)


def _minerva_solution(exemplar: Sample) -> str:
    solution = str(exemplar.meta.get("solution") or "").strip()
    final = f"Final Answer: The final answer is ${exemplar.gold}$. I hope it is correct."
    return f"{solution}\n{final}" if solution else final


def _minerva(sample: Sample, fewshot: Sequence[Sample]) -> Prompt:
    shots = [(s.question, _minerva_solution(s)) for s in fewshot] or list(MINERVA_EXEMPLARS)
    blocks = [f"Problem:\n{q}\n\nSolution:\n{a}" for q, a in shots]
    blocks.append(f"Problem:\n{sample.question}\n\nSolution:")
    return Prompt(text="\n\n".join(blocks), stop=("\n\nProblem:",))


# -- code ------------------------------------------------------------------------------------------


def _humaneval_completion(sample: Sample, fewshot: Sequence[Sample]) -> Prompt:
    return Prompt(text=sample.question, stop=HUMANEVAL_STOPS)


def _tests(sample: Sample) -> list[str]:
    tests = sample.meta.get("tests") or sample.meta.get("test_list") or ()
    return [str(t).strip() for t in tests]


def _code_problem(sample: Sample) -> str:
    """The problem an instruct prompt shows: the code prompt, or an MBPP text plus its first test."""
    if sample.meta.get("text") and _tests(sample):
        return f'"""\n{sample.meta["text"]}\n{_tests(sample)[0]}\n"""\n'
    return sample.question


def _evalplus_instruct(sample: Sample, fewshot: Sequence[Sample]) -> Prompt:
    user = f"{EVALPLUS_INSTRUCTION}\n```\n{_code_problem(sample).strip()}\n```\n"
    return Prompt(messages=(ChatMessage("user", user),), assistant_prefix=f"{EVALPLUS_RESPONSE}\n```python\n")


def _mbpp_task(sample: Sample) -> str:
    text = str(sample.meta.get("text") or sample.question).strip()
    tests = "\n".join(_tests(sample))
    return (
        f"You are an expert Python programmer, and here is your task: {text} "
        f"Your code should pass these tests:\n\n{tests}\n[BEGIN]\n"
    )


def _mbpp_3shot(sample: Sample, fewshot: Sequence[Sample]) -> Prompt:
    if not fewshot:
        raise ConfigError(f"the mbpp-3shot format needs few-shot exemplars; {sample.benchmark} declares none")
    shots = "".join(
        f"{_mbpp_task(s)}{(s.gold or str(s.meta.get('reference', ''))).strip()}\n[DONE]\n" for s in fewshot
    )
    return Prompt(text=shots + _mbpp_task(sample), stop=("[DONE]",))


FORMATS: Mapping[str, PromptFormat] = {
    f.name: f
    for f in (
        PromptFormat("boxed-chat", _boxed_chat, True, "chat: helpful-assistant system, question + boxed CoT line"),
        PromptFormat("qwen25-math-cot", _qwen25_math_cot, True, "chat: boxed CoT instruction as the system prompt"),
        PromptFormat("deepseek-math", _deepseek_math, False, "text: User:/Assistant: with the boxed CoT line"),
        PromptFormat("dart-alpaca", _dart_alpaca, False, "text: Alpaca preamble, ### Instruction/### Response"),
        PromptFormat("minerva-4shot", _minerva, False, "text: 4-shot Problem:/Solution:, 'Final Answer: ...'"),
        PromptFormat("humaneval-completion", _humaneval_completion, False, "text: the code prompt as is"),
        PromptFormat("evalplus-instruct", _evalplus_instruct, True, "chat: evalplus instruction, ```python prefix"),
        PromptFormat("mbpp-3shot", _mbpp_3shot, False, "text: Austin et al. 3-shot with [BEGIN]/[DONE]"),
    )
}


def get_format(name: str) -> PromptFormat:
    """The format called `name`; ConfigError with a close-match hint when unknown."""
    if name not in FORMATS:
        raise ConfigError(f"unknown prompt format {name!r}{close_match_hint(name, list(FORMATS))}")
    return FORMATS[name]
