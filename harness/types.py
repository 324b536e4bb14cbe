"""Frozen records handed between the stages: benchmark -> prompt -> backend -> extract -> grade -> store.

Every stage returns new records; nothing is filled in place. All records are plain frozen
dataclasses so they can be compared, hashed (where their fields allow) and serialised with
`dataclasses.asdict`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Outcome of grading one sample. Unscorable is not wrong: every status is counted."""

    CORRECT = "correct"
    INCORRECT = "incorrect"
    NO_ANSWER = "no_answer"
    TRUNCATED = "truncated"
    TIMEOUT = "timeout"
    ERROR = "error"


class ExtractStatus(StrEnum):
    """Outcome of pulling a final answer (or a program) out of a model output."""

    OK = "ok"
    NO_ANSWER = "no_answer"
    AMBIGUOUS = "ambiguous"  # several different final answers (e.g. two different \boxed{})
    SYNTAX_ERROR = "syntax_error"  # code that does not parse


@dataclass(frozen=True)
class Sample:
    """One benchmark item, normalised.

    `question` is the problem text (math) or the code prompt (code); `gold` is the reference
    answer as text (empty for code, whose truth is its tests). `meta` holds breakdown fields
    (subject, level, topic, ...) and grading hints (tolerance, unit, multi-answer, tests).
    """

    benchmark: str
    version: str
    id: str
    question: str
    gold: str
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatMessage:
    """One chat turn."""

    role: str
    content: str


@dataclass(frozen=True)
class Prompt:
    """What a backend is asked to continue.

    Exactly one of `messages` (chat: the backend applies the checkpoint's chat template or the
    server's chat endpoint) and `text` (raw completion) is set. `assistant_prefix` is text the
    assistant turn starts with (for instance an opened code fence); it is part of the prompt, not
    of the output, and is prepended back before extraction.
    """

    text: str | None = None
    messages: tuple[ChatMessage, ...] | None = None
    stop: tuple[str, ...] = ()
    assistant_prefix: str = ""

    def __post_init__(self) -> None:
        if (self.text is None) == (self.messages is None):
            raise ValueError("Prompt needs exactly one of text or messages")


@dataclass(frozen=True)
class Completion:
    """One generated continuation. `finish_reason` is 'stop' or 'length' (or a backend's own)."""

    text: str
    finish_reason: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class Extraction:
    """The final answer (math) or program (code) found in an output, and how it was found."""

    answer: str | None
    method: str
    status: ExtractStatus
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grade:
    """The verdict on one sample, with the rule that decided it and the grader's version."""

    status: Status
    rule: str
    grader_version: str
    detail: str = ""


@dataclass(frozen=True)
class SampleRecord:
    """Everything stored for one (benchmark, item, sample index k)."""

    benchmark: str
    version: str
    item_id: str
    k: int
    prompt_hash: str
    output: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    extraction: Extraction
    grade: Grade
    gold: str = ""
