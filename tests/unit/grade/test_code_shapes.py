"""Every canonical solution, written in the shapes chat APIs and other harnesses produce, must be
reconstructed by the expected method and (slow) still pass; another item's solution must not.

HumanEval: the canonical body as is, with its first line's indentation stripped, after the full
prompt, fenced with prose, fenced with a `__main__` block, after the docstring's last lines
(restated), after the bare signature. MBPP: the reference fenced with prose and asserts, unfenced
between prose, and between [BEGIN] / [DONE]. Negatives: each HumanEval item graded with the next
item's canonical body (indentation stripped), each MBPP item with the next item's reference.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.config import SandboxConfig
from harness.data import load_benchmark
from harness.grade.env import GradeEnv
from harness.types import Sample

Shape = tuple[str, Sample, str, str, str]
"""(shape name, item, completion, expected method ('' = any), 'correct' or 'not correct')."""


def _load(name: str, data_dir: Path) -> tuple[object, list[Sample]]:
    bench = importlib.import_module(f"benchmarks.{name}").BENCHMARK
    return bench, list(load_benchmark(bench, data_dir=data_dir).samples)


def _signature(prompt: str, entry: str) -> str:
    """The entry point's `def` and what its body has before the docstring (HumanEval/115 imports
    math there), without the docstring."""
    fn = [n for n in ast.parse(prompt).body if isinstance(n, ast.FunctionDef) and n.name == entry][-1]
    lines = prompt.splitlines()
    doc = next(n for n in fn.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
    return "\n".join(lines[fn.lineno - 1: doc.lineno - 1] + lines[(doc.end_lineno or doc.lineno):])


def humaneval_shapes(samples: list[Sample]) -> Iterator[Shape]:
    for i, s in enumerate(samples):
        p, e = s.meta["prompt"], s.meta["entry_point"]
        body = s.meta["reference"][len(p):]
        tail = "\n".join(p.rstrip("\n").splitlines()[-3:])
        yield "as-is", s, body, "prompt+completion", "correct"
        yield "stripped", s, body.lstrip(), "prompt+completion:indent-restored", "correct"
        yield "full", s, p + body, "completion-only", "correct"
        fenced = f"Here is the solution:\n\n```python\n{p}{body}```\n\nIt works as follows."
        yield "fenced", s, fenced, "fenced-block", "correct"
        main = f"```python\n{p}{body}\n\nif __name__ == '__main__':\n    print({e}())\n```"
        yield "main", s, main, "fenced-block", "correct"
        yield "restated", s, (tail + "\n" + body).lstrip(), "prompt+completion:restated-prompt-removed", "correct"
        yield "signature", s, _signature(p, e) + "\n" + body, "completion-only", "correct"
        other = samples[(i + 1) % len(samples)]
        yield "other-item", s, other.meta["reference"][len(other.meta["prompt"]):].lstrip(), "", "not correct"


def mbpp_shapes(samples: list[Sample]) -> Iterator[Shape]:
    for i, s in enumerate(samples):
        ref = s.meta["reference"].replace("\r\n", "\n")
        tests = "\n".join(s.meta["tests"])
        fenced = f"Here's the function:\n\n```python\n{ref}\n\n{tests}\n```\n\nDone."
        yield "fenced", s, fenced, "fenced-block", "correct"
        yield "prose", s, f"Sure. Here is my solution:\n\n{ref}\n\nThis passes the tests.", "", "correct"
        yield "begin-done", s, f"[BEGIN]\n{ref}\n[DONE]", "completion-only", "correct"
        other = samples[(i + 1) % len(samples)]
        yield "other-item", s, f"```python\n{other.meta['reference']}\n```", "", "not correct"


def _shapes(data_dir: Path) -> list[tuple[object, list[Shape]]]:
    he, he_samples = _load("humaneval", data_dir)
    mb, mb_samples = _load("mbpp", data_dir)
    return [(he, list(humaneval_shapes(he_samples))), (mb, list(mbpp_shapes(mb_samples)))]


def test_every_shape_is_reconstructed_by_the_expected_method(data_dir: Path):
    wrong: list[str] = []
    for bench, shapes in _shapes(data_dir):
        for name, s, completion, method, _ in shapes:
            got = bench.extract(completion, s).method  # type: ignore[attr-defined]
            if method and got != method:
                wrong.append(f"{s.id} {name}: {got}")
            if name == "prose" and not got.startswith("completion-only"):
                wrong.append(f"{s.id} {name}: {got}")
    assert wrong == []


@pytest.mark.slow
def test_every_shape_grades_as_expected(data_dir: Path):
    env = GradeEnv(sandbox_config=SandboxConfig())
    wrong: list[str] = []
    try:
        for bench, shapes in _shapes(data_dir):
            pairs = [(s, bench.extract(c, s)) for _, s, c, _, _ in shapes]  # type: ignore[attr-defined]
            grades = bench.grade(pairs, env)  # type: ignore[attr-defined]
            for (name, s, _, _, want), g in zip(shapes, grades, strict=True):
                if (g.status.value == "correct") != (want == "correct"):
                    wrong.append(f"{s.benchmark} {s.id} {name}: {g.status.value} {g.rule} {g.detail[:150]}")
    finally:
        env.close()
    assert wrong == []
