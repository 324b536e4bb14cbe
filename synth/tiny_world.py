"""What the tiny recipe's training stages need besides the tiny checkpoints: the QFT question file (arith
train questions) and the texts that teach a tiny QPO optimiser the short rewrite prompts
(`synth.prompts.QPO_PROMPTS['short']`), answering with an arith-style problem after the marker."""

from __future__ import annotations

import json
import random
from pathlib import Path

from harness.tiny import IM_END, IM_START
from synth.prompts import QPO_MARKERS, QPO_PROMPTS

QFT_QUESTIONS = "qft_questions.jsonl"
"""Beside the tiny checkpoints: the questions recipes/tiny.yaml's qft stage trains on."""


def optimizer_texts(seed: int, count: int) -> list[str]:
    """Chat transcripts: a short QPO prompt on a train question, answered by its direction's marker and
    an arith problem (a two-step one for difficulty)."""
    from benchmarks.arith import train_rows

    rng = random.Random(seed)
    rows = train_rows(3 * count, seed=seed + 1)
    one_step = [r for r in rows if r["solution"].count("=") == 1]
    two_step = [r for r in rows if r["solution"].count("=") == 2]
    texts = []
    for i in range(count):
        direction = ("solvability", "difficulty")[i % 2]
        original = rng.choice(rows)["question"]
        rewritten = rng.choice(two_step if direction == "difficulty" else one_step)["question"]
        prompt = QPO_PROMPTS["short"][direction].format(question=original)
        texts.append(f"{IM_START}user\n{prompt}{IM_END}\n{IM_START}assistant\n"
                     f"{QPO_MARKERS[direction]} {rewritten}{IM_END}\n")
    return texts


def write_qft_questions(path: Path, count: int, seed: int) -> Path:
    """A jsonl of `{"question": ...}` rows (arith train questions) for the tiny QFT stage."""
    from benchmarks.arith import train_rows

    rows = train_rows(count, seed=seed)
    path.write_text("".join(json.dumps({"question": r["question"]}) + "\n" for r in rows))
    return path
