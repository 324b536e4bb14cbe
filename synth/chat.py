"""The question writer's chat frame, shared by `generate`, `qpo_pairs` and `qft`: the prefix a
question follows (the chat template cut where user content starts) and the end-of-turn text after it.
One function for all three, so QFT trains exactly the frame generation continues."""

from __future__ import annotations

from collections.abc import Callable

from harness.types import ChatMessage, Prompt
from synth.errors import SynthError

_SENTINEL = "\u2063QUESTION\u2063"


def _rendered(render: Callable[[Prompt], str], system: str, model: str) -> tuple[str, str]:
    messages = ((ChatMessage("system", system),) if system else ()) + (ChatMessage("user", _SENTINEL),)
    text = render(Prompt(messages=messages))
    cut = text.find(_SENTINEL)
    if cut < 0:
        raise SynthError(f"cannot find the user turn in model {model}'s chat template; set the stage's prefix "
                         "explicitly")
    return text[:cut], text[cut + len(_SENTINEL):]


def question_prefix(render: Callable[[Prompt], str], system: str, explicit: str, model: str) -> str:
    """The text a question writer continues: `explicit` when given (e.g. DeepSeek's 'User: '),
    else the chat template rendered for an opened user turn (`<|im_start|>user\\n` for ChatML)."""
    return explicit or _rendered(render, system, model)[0]


def end_of_turn(render: Callable[[Prompt], str], system: str, model: str, eos: str) -> str:
    """What closes a user turn in the chat template (`<|im_end|>` for ChatML): the text right after
    the user content up to the line end; the tokenizer's `eos` when the template puts nothing there."""
    after = _rendered(render, system, model)[1]
    return after.split("\n", 1)[0].strip() or eos
