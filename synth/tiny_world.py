"""What the tiny recipe's training stages need besides the tiny checkpoints: the QFT question file and a
tiny QPO optimiser taught the short rewrite prompts (`synth.prompts.QPO_PROMPTS['short']`)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from harness.tiny import IM_END, IM_START
from synth.prompts import QPO_MARKERS, QPO_PROMPTS


def _question(rng: random.Random) -> tuple[str, int, int, str]:
    a, b = rng.randint(0, 20), rng.randint(0, 20)
    op = rng.choice("+-")
    return f"What is {a} {op} {b}?", a, b, op


def _rewrite(rng: random.Random, direction: str) -> tuple[str, str]:
    question, a, b, op = _question(rng)
    if direction == "difficulty":
        c = rng.randint(1, 9)
        return question, f"What is {a} {op} {b} + {c}?"
    # Solvability: the tiny optimiser restates the problem as a complete sentence question.
    return question, f"Compute {a} {op} {b}."


def optimizer_texts(rng: random.Random, count: int) -> list[str]:
    """Chat transcripts: a short QPO prompt and an answer ending in its direction's marker and rewrite."""
    texts = []
    for i in range(count):
        direction = ("solvability", "difficulty")[i % 2]
        question, rewritten = _rewrite(rng, direction)
        prompt = QPO_PROMPTS["short"][direction].format(question=question)
        texts.append(f"{IM_START}user\n{prompt}{IM_END}\n{IM_START}assistant\n"
                     f"{QPO_MARKERS[direction]} {rewritten}{IM_END}\n")
    return texts


def write_qft_questions(path: Path, count: int, seed: int) -> Path:
    """A jsonl of `{"question": ...}` rows for the tiny QFT stage."""
    rng = random.Random(seed)
    path.write_text("".join(json.dumps({"question": _question(rng)[0]}) + "\n" for _ in range(count)))
    return path
