"""Presets: a published evaluation protocol's prompts, decoding and grading policy, by name.

A preset maps each `Benchmark.prompt_family` ('math', 'humaneval', 'mbpp') to a prompt format,
fixes the decoding defaults and the truncation policy, says whether the math extractor may fall
back to the last number, and names the publication it follows. `fallback_formats` are the text
formats used instead of chat formats when the checkpoint has no chat template (a base model).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.config import SamplingConfig, TruncationPolicy
from harness.errors import ConfigError, close_match_hint
from harness.prompts import FORMATS, PromptFormat

_CODE_COMPLETION = {"humaneval": "humaneval-completion", "mbpp": "mbpp-3shot"}
"""Code formats for base models (and for every model in the math-paper presets)."""
_BASE_FALLBACKS = {"math": "deepseek-math", **_CODE_COMPLETION}


def _formats(names: Mapping[str, str]) -> Mapping[str, PromptFormat]:
    return {family: FORMATS[name] for family, name in names.items()}


@dataclass(frozen=True)
class Preset:
    """One protocol: formats per prompt family, decoding defaults, grading policy, its source."""

    name: str
    source: str
    formats: Mapping[str, PromptFormat]
    sampling: SamplingConfig
    truncation: TruncationPolicy = "grade"
    math_last_number_fallback: bool = False
    fallback_formats: Mapping[str, PromptFormat] = field(default_factory=lambda: _formats(_BASE_FALLBACKS))

    def format_for(self, family: str, *, chat: bool = True) -> PromptFormat:
        """The format for `family`; with `chat=False` (no chat template) a chat format gives way to
        the text fallback. ConfigError when the preset covers neither."""
        fmt = self.formats.get(family)
        if fmt is None:
            raise ConfigError(
                f"preset {self.name!r} has no prompt format for {family!r} benchmarks; "
                f"it covers: {', '.join(sorted(self.formats))}"
            )
        if fmt.chat and not chat:
            fallback = self.fallback_formats.get(family)
            if fallback is None or fallback.chat:
                raise ConfigError(
                    f"preset {self.name!r} prompts {family!r} benchmarks as chat, but the checkpoint has no "
                    "chat template and the preset has no text fallback; choose a base-model preset (minerva)"
                )
            return fallback
        return fmt


def _greedy(max_tokens: int) -> SamplingConfig:
    return SamplingConfig(n=1, temperature=0.0, top_p=1.0, max_tokens=max_tokens, seed=0)


_CODE_INSTRUCT = {"humaneval": "evalplus-instruct", "mbpp": "evalplus-instruct"}

PRESETS: Mapping[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            name="scalequest",
            source="Ding et al. 2024, ScaleQuest (arXiv:2410.18693) §3.1: zero-shot CoT, greedy, chat template "
            "with the boxed instruction, DART-Math grading (length-truncated outputs score as wrong); "
            "code via EvalPlus instruct prompts (App. C.2)",
            formats=_formats({"math": "boxed-chat", **_CODE_INSTRUCT}),
            sampling=_greedy(2048),
            truncation="strict",
            math_last_number_fallback=True,
        ),
        Preset(
            name="qwen25-math-cot",
            source="Yang et al. 2024, Qwen2.5-Math technical report; QwenLM/Qwen2.5-Math evaluation "
            "prompt type 'qwen25-math-cot' (T=0, top_p 1, 2048 tokens)",
            formats=_formats({"math": "qwen25-math-cot", **_CODE_INSTRUCT}),
            sampling=_greedy(2048),
            math_last_number_fallback=True,
        ),
        Preset(
            name="deepseek-math",
            source="Shao et al. 2024, DeepSeekMath (arXiv:2402.03300): 'User:/Assistant:' CoT prompt with "
            "the boxed instruction, as in the Qwen2.5-Math and DART-Math harnesses",
            formats=_formats({"math": "deepseek-math", **_CODE_COMPLETION}),
            sampling=_greedy(2048),
            math_last_number_fallback=True,
        ),
        Preset(
            name="dart-alpaca",
            source="Tong et al. 2024, DART-Math (arXiv:2407.13690): Alpaca template, greedy, 2048 tokens, "
            "outputs cut by the length limit score as wrong",
            formats=_formats({"math": "dart-alpaca", **_CODE_COMPLETION}),
            sampling=_greedy(2048),
            truncation="strict",
            math_last_number_fallback=True,
        ),
        Preset(
            name="minerva",
            source="Lewkowycz et al. 2022, Minerva (arXiv:2206.14858): 4-shot 'Problem:/Solution:' with "
            "'Final Answer: The final answer is X. I hope it is correct.', for base models",
            formats=_formats({"math": "minerva-4shot", **_CODE_COMPLETION}),
            sampling=_greedy(1024),
        ),
        Preset(
            name="evalplus",
            source="Liu et al. 2023, EvalPlus (arXiv:2305.01210): greedy instruct prompt with a ```python "
            "response prefix, base tests; 768 new tokens",
            formats=_formats(_CODE_INSTRUCT),
            sampling=_greedy(768),
        ),
    )
}


def get_preset(name: str) -> Preset:
    """The preset called `name`; ConfigError with a close-match hint when unknown."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}{close_match_hint(name, list(PRESETS))}")
    return PRESETS[name]
