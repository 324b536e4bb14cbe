"""A scripted backend and a toy benchmark for runner tests (the real backends have their own tests).

A plain module (not conftest.py) so its name cannot clash with other conftest modules."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.benchmark import Benchmark, DataSpec
from harness.config import SamplingConfig
from harness.grade.env import GradeEnv
from harness.types import Completion, Extraction, ExtractStatus, Grade, Prompt, Sample, Status


@dataclass
class ScriptedBackend:
    """Answers each prompt with `script(prompt text, k)` -> (text, finish_reason); logs every call."""

    script: Callable[[str, int], tuple[str, str]]
    calls: list[list[str]] = field(default_factory=list)
    fail_on_call: int | None = None
    fail_with: type[BaseException] = KeyboardInterrupt

    def generate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[list[Completion]]:
        if self.fail_on_call is not None and len(self.calls) + 1 == self.fail_on_call:
            raise self.fail_with()
        texts = [p.text or "" for p in prompts]
        self.calls.append(texts)
        out = []
        for t in texts:
            comps = []
            for k in range(sampling.n):
                text, finish = self.script(t, k)
                comps.append(Completion(text, finish, len(t.split()), len(text.split())))
            out.append(comps)
        return out

    def render(self, prompt: Prompt) -> str:
        return prompt.text or ""

    def count_tokens(self, text: str) -> int | None:
        return len(text.split())

    def info(self) -> dict[str, Any]:
        return {"name": "scripted"}

    def close(self) -> None:
        return None

    @property
    def generated_prompts(self) -> list[str]:
        return [t for call in self.calls for t in call]


@dataclass
class ToyGrader:
    """Exact-match grader that can be told to crash on a given call."""

    calls: int = 0
    crash_on_call: int | None = None
    graded: list[str] = field(default_factory=list)

    def __call__(self, pairs: Sequence[tuple[Sample, Extraction]], env: GradeEnv) -> list[Grade]:
        self.calls += 1
        if self.crash_on_call == self.calls:
            raise RuntimeError("grader crashed")
        self.graded.extend(s.id for s, _ in pairs)
        return [
            Grade(Status.CORRECT if ex.answer == s.gold else Status.INCORRECT, "exact", "toy-1")
            if ex.status == ExtractStatus.OK else Grade(Status.NO_ANSWER, "no-answer", "toy-1")
            for s, ex in pairs
        ]


def toy_extract(output: str, sample: Sample) -> Extraction:
    answer = output.strip().split()[-1] if output.strip() else None
    return Extraction(answer, "last-word", ExtractStatus.OK if answer else ExtractStatus.NO_ANSWER)


def toy_benchmark(grader: ToyGrader, name: str = "toy") -> Benchmark:
    return Benchmark(
        name=name, version="1", citation="", kind="math",
        data=DataSpec(local="toy.jsonl", expected_rows=0, fingerprint="", fields=("q",)),
        to_sample=lambda row, i: Sample(name, "1", str(i), row["q"], row["a"], {}),
        extract=toy_extract, grade=grader, prompt_family="math", breakdown=("level",),
    )


def toy_samples(n: int, name: str = "toy") -> tuple[Sample, ...]:
    # item i asks for i + 1; gold is str(i + 1); odd items carry level "hard"
    return tuple(
        Sample(name, "1", str(i), f"{i} plus one" + " pad" * (i % 3), str(i + 1),
               {"level": "hard" if i % 2 else "easy"})
        for i in range(n)
    )


def toy_format(sample: Sample, fewshot: Sequence[Sample]) -> Prompt:
    return Prompt(text=f"Q: {sample.question}\nA:", stop=("\n",))


def answer_script(text: str, k: int) -> tuple[str, str]:
    """Correct for even items, wrong for odd ones; prompts containing 'pad pad' run to the length limit."""
    i = int(text.split()[1])
    finish = "length" if "pad pad" in text else "stop"
    return (f"the answer is {i + 1 if i % 2 == 0 else i}", finish)
