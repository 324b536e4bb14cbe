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

# QPO rewrite prompts, one per direction, in our own words after the intents of the paper's Figs. 10
# (solvability) and 11 (difficulty). The official code's variable names for these two are swapped;
# the keys here follow the figures. The rewrite is the text after the last marker of its direction.
QPO_MARKERS = {"solvability": "FINAL QUESTION:", "difficulty": "REWRITTEN PROBLEM:"}
QPO_PROMPTS = {
    "scalequest": {
        "solvability": (
            "You are an experienced mathematics teacher checking exercises before they go to students.\n"
            "Work through the problem below yourself. Then decide whether it is a meaningful mathematics "
            "problem that can be solved from what it states alone.\n"
            "- If it cannot be solved, or is muddled, rewrite it into a sensible problem that can.\n"
            "- If it can be solved, change as little as possible to fix any small flaw.\n"
            "- If it is trivially easy, rework it so that it needs several steps of reasoning.\n"
            "The final problem must ask exactly one thing, have a single numerical answer, agree with common "
            "sense (prices are positive, people come in whole numbers), state everything it needs, and "
            "contain no solution or hint.\n"
            "Write three parts: your attempt, what you checked or changed, and then the final problem on "
            "a line that starts with 'FINAL QUESTION:'.\n\nProblem:\n{question}"
        ),
        "difficulty": (
            "You rewrite mathematics problems so that they challenge strong problem solvers.\n"
            "Proceed in four steps, writing each one out:\n"
            "1. List several ways the problem below could be made more demanding; correct any error in it first.\n"
            "2. Choose a few of those ways and plan the rewrite.\n"
            "3. Write the harder problem, adding no more than 10 to 20 words to the original.\n"
            "4. Read it again, fix anything unclear, and give only the final problem on a line that starts "
            "with 'REWRITTEN PROBLEM:'.\n\nProblem:\n{question}"
        ),
    },
    # Short forms for small local optimisers (the tiny recipe's optimiser is trained on these).
    "short": {
        "solvability": "Fix this problem so it can be solved. End with FINAL QUESTION: and the problem.\n{question}",
        "difficulty": "Make this problem harder. End with REWRITTEN PROBLEM: and the problem.\n{question}",
    },
}
