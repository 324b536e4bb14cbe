"""arith: short procedural arithmetic word problems (one or two steps of + and -, small numbers).

Not a published benchmark: the embedded world of the tiny CPU demo, where a model of a few hundred
thousand parameters can learn the task and scores move with training data. Generated here,
deterministically from the version and a fixed seed (no data file); the loader still checks the
row count and fingerprint. Suite `tiny` only: never part of a paper average.
Gold: `answer`, an integer. Ids: the 0-based row index. `train_rows(n)` gives a disjoint train split.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Mapping
from typing import Any

from benchmarks._math_common import math_benchmark
from harness.benchmark import DataSpec
from harness.types import Sample

NAME = "arith"
VERSION = "1"
TEST_ROWS = 200
TEST_SEED = 0
FIELDS = ("id", "question", "solution", "answer")
FIRST = (2, 12)
"""Range of the starting number; each later step adds or takes away a number in STEP."""
STEP = (1, 6)

_PEOPLE = (("Anna", "She"), ("Ben", "He"), ("Carla", "She"), ("David", "He"), ("Emma", "She"), ("Felix", "He"),
           ("Grace", "She"), ("Hugo", "He"), ("Iris", "She"), ("Jack", "He"), ("Lena", "She"), ("Omar", "He"))
THINGS = ("apples", "books", "coins", "stamps", "marbles", "pencils", "cards", "shells", "stickers", "cookies",
           "flowers", "toys")

# (template, signs of the steps after the first number); `{n}` name, `{p}` pronoun, `{t}` things.
_Template = tuple[str, tuple[int, ...]]
_TEMPLATES: tuple[_Template, ...] = (
    ("{n} has {a} {t}. {p} buys {b} more. How many {t} does {n} have now?", (1,)),
    ("{n} had {a} {t} and found {b} more. How many {t} does {n} have?", (1,)),
    ("{n} has {a} {t}. {p} gives {b} to a friend. How many {t} does {n} have left?", (-1,)),
    ("There are {a} {t} in a box. {n} takes out {b}. How many {t} are left in the box?", (-1,)),
    ("{n} has {a} {t}. {p} buys {b} more and then gives away {c}. How many {t} does {n} have now?", (1, -1)),
    ("{n} has {a} {t}. {p} loses {b} and then finds {c}. How many {t} does {n} have now?", (-1, 1)),
    ("{n} has {a} {t}. {p} gets {b} more and then {c} more. How many {t} does {n} have now?", (1, 1)),
    ("{n} has {a} {t}. {p} gives away {b} and then sells {c}. How many {t} does {n} have left?", (-1, -1)),
    ("There are {a} {t} in a basket. {n} adds {b} and then takes out {c}. How many {t} are in the basket now?",
     (1, -1)),
)


def _problem(rng: random.Random) -> dict[str, Any]:
    """One problem with its worked solution; every intermediate value stays >= 0."""
    template, signs = rng.choice(_TEMPLATES)
    name, pronoun = rng.choice(_PEOPLE)
    things = rng.choice(THINGS)
    while True:
        a, b, c = rng.randint(*FIRST), rng.randint(*STEP), rng.randint(*STEP)
        steps, value = [], a
        for sign, x in zip(signs, (b, c), strict=False):
            new = value + sign * x
            steps.append(f"{value} {'+' if sign > 0 else '-'} {x} = {new}.")
            value = new
            if value < 0:
                break
        if value >= 0:
            break
    question = template.format(n=name, p=pronoun, t=things, a=a, b=b, c=c)
    solution = " ".join(steps) + f" The answer is \\boxed{{{value}}}."
    return {"question": question, "solution": solution, "answer": str(value)}


def _unique(rng: random.Random, count: int, exclude: frozenset[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen = set(exclude)
    while len(rows) < count:
        row = _problem(rng)
        if row["question"] not in seen:
            seen.add(row["question"])
            rows.append({"id": str(len(rows)), **row})
    return rows


def benchmark_rows() -> list[dict[str, Any]]:
    """The benchmark's rows: TEST_ROWS problems from the version's fixed seed."""
    return _unique(random.Random(f"{NAME}/{VERSION}/test/{TEST_SEED}"), TEST_ROWS, frozenset())


def train_rows(count: int, seed: int = 0) -> list[dict[str, Any]]:
    """`count` problems for training (questions, worked solutions, answers), none of them a test
    question; rows of a smaller count are a prefix of a larger one with the same seed."""
    exclude = frozenset(r["question"] for r in benchmark_rows())
    return _unique(random.Random(f"{NAME}/{VERSION}/train/{seed}"), count, exclude)


@functools.cache
def _patterns() -> tuple[tuple[re.Pattern[str], tuple[int, ...]], ...]:
    """One regex per template: names and things as words, the numbers captured in order."""
    out = []
    for template, signs in _TEMPLATES:
        text = re.escape(template)
        for key in ("n", "p", "t"):  # names and things are not checked: the arithmetic is
            text = text.replace(re.escape("{" + key + "}"), r"[A-Za-z]+")
        for key in ("a", "b", "c"):
            text = text.replace(re.escape("{" + key + "}"), r"(\d+)", 1)
        out.append((re.compile(text), signs))
    return tuple(out)


def reference_answer(question: str) -> str | None:
    """The answer of a question written in one of arith's templates (a synthetic question in the
    benchmark's style); None when the text is not one of them."""
    for pattern, signs in _patterns():
        m = pattern.fullmatch(" ".join(question.split()))
        if m:
            numbers = [int(g) for g in m.groups()]
            return str(numbers[0] + sum(sign * x for sign, x in zip(signs, numbers[1:], strict=True)))
    return None


def to_sample(row: Mapping[str, Any], line_no: int) -> Sample:
    """An arith row as a Sample."""
    return Sample(NAME, VERSION, str(row["id"]), row["question"], str(row["answer"]), {})


BENCHMARK = math_benchmark(
    name=NAME,
    version=VERSION,
    citation=__doc__ or "",
    data=DataSpec(
        local=f"{NAME}/v{VERSION}",
        expected_rows=TEST_ROWS,
        fingerprint="768cc268849f7add55b60fe8005decb96800b1c0134d75356e77bb4b30b644be",
        fields=FIELDS,
        generate=benchmark_rows,
    ),
    to_sample=to_sample,
    numeric=True,
    suites=("tiny",),
    reference=reference_answer,
)
