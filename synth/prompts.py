"""Prompt texts of the pipeline, written in our own words after the ScaleQuest paper's intents.

Recipes name a prompt by key; changing a text here must bump the version of the stage using it.
"""

from __future__ import annotations

from synth.errors import RecipeError

SOLVABILITY = {
    # Paper Fig. 12 intent: is it a math problem, and can it be solved from what it states?
    "scalequest": (
        "You are reviewing problems for a mathematics exercise book.\n"
        "Decide two things about the text below: first, whether it is a mathematics problem at all; "
        "second, whether it gives every condition needed to reach an answer, with no contradictions "
        "and nothing missing. You may attempt a solution to check this. Think it through step by step, "
        "then finish with one word on its own line: Yes if both hold, No otherwise.\n\n"
        "Problem:\n{question}"
    ),
    "short": "Is this a well-posed, solvable math problem? Answer Yes or No.\n\n{question}",
}

SOLVE_INSTRUCTION = {
    # The CoT suffix of the response generator (Qwen2-Math style).
    "boxed": "Please reason step by step, and put your final answer within \\boxed{}.",
    "none": "",
}


def pick(table: dict[str, str], key: str, where: str) -> str:
    """The prompt named `key`, or a one-line error listing the known ones."""
    if key not in table:
        raise RecipeError(f"{where}: unknown prompt {key!r} (known: {', '.join(table)})")
    return table[key]
