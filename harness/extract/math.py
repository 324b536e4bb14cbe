"""Final-answer extraction from math outputs: boxed, Minerva, "the answer is", "####", last number.

Policy:
- Only the last `MAX_SCAN_CHARS` of an output are read (final answers sit at the end; this bounds
  the work on runaway outputs).
- A `\\boxed{}` / `\\fbox{}` wins over phrases. Among boxes, the *trailing group* counts: the last
  box plus any boxes before it separated only by punctuation, `$`, "and"/"or". When the group holds
  several different answers (`\\boxed{1}, \\boxed{2}`) they are joined with ", " and graded as one
  multi-answer, with status `ambiguous` so the rate is reported: a hedge such as `\\boxed{3}` or
  `\\boxed{4}` is then never rewarded, and a split multi-answer is still credited. Earlier boxes
  separated by prose (an intermediate result, a corrected answer) are ignored.
- Without a box, the latest of the anchored phrases wins: Minerva's "Final Answer: The final
  answer is X. I hope it is correct.", "the (final) answer is X", "Answer: X", "#### X".
- The last number in the text is used only when `last_number_fallback` is set (method
  `last_number`), as for base models prompted with GSM8K-style few-shot examples.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from harness.extract.latex import find_boxed_spans
from harness.types import Extraction, ExtractStatus, Sample

MAX_SCAN_CHARS = 20_000
MAX_ANSWER_CHARS = 2_000

_GLUE_RE = re.compile(r"^(?:\s|\$|\\\(|\\\)|\\\[|\\\]|[,;.&]|\band\b|\bor\b|\\quad|\\text\{\s*(?:and|or)\s*\})*$")
_PHRASE_RE = re.compile(
    r"(?:the\s+(?:final\s+)?answer\s+is|final\s+answer\s*(?:is)?\s*:|answer\s*:)\s*:?\s*", re.I
)
_HASHES_RE = re.compile(r"####\s*")
_NUMBER_RE = re.compile(r"-?\$?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_SENTENCE_END_RE = re.compile(r"\n|\.(?=\s|$)")


def _clip(answer: str) -> str:
    return answer.strip()[:MAX_ANSWER_CHARS]


def _boxed(text: str) -> Extraction | None:
    spans = find_boxed_spans(text)
    if not spans:
        return None
    group = [spans[-1]]
    for prev in reversed(spans[:-1]):
        if _GLUE_RE.match(text[prev[1] : group[0][0]]):
            group.insert(0, prev)
        else:
            break
    distinct = list(dict.fromkeys(c.strip() for _, _, c in group if c.strip()))
    if not distinct:
        return Extraction(None, "boxed", ExtractStatus.NO_ANSWER, ("",))
    if len(distinct) == 1:
        return Extraction(_clip(distinct[0]), "boxed", ExtractStatus.OK, tuple(distinct))
    return Extraction(_clip(", ".join(distinct)), "boxed_multi", ExtractStatus.AMBIGUOUS, tuple(distinct))


def _phrase_answer(rest: str) -> str:
    """The answer after an anchor phrase: up to the end of the line or sentence, `$...$` unwrapped."""
    rest = rest.lstrip()
    if rest.startswith("$"):
        close = rest.find("$", 1) if not rest.startswith("$$") else rest.find("$$", 2)
        if close > 0:
            return rest[: close + (2 if rest.startswith("$$") else 1)]
    m = _SENTENCE_END_RE.search(rest)
    return rest[: m.start()] if m else rest


def _anchored(text: str) -> Extraction | None:
    """The latest anchored phrase (Minerva, "answer is", "####") in the text."""
    found: list[tuple[int, str, str]] = []
    minerva = (-1, -1)
    low = text.lower()
    hope = low.rfind("i hope it is correct")
    start = low.rfind("final answer is", max(0, hope - MAX_ANSWER_CHARS), max(hope, 0)) if hope >= 0 else -1
    if start >= 0:
        found.append((start, "minerva", text[start + len("final answer is") : hope].strip().rstrip(".")))
        minerva = (start - 16, hope)  # "Final Answer:" just before belongs to it
    for m in _PHRASE_RE.finditer(text):
        if not minerva[0] <= m.start() < minerva[1]:
            found.append((m.start(), "answer_is", _phrase_answer(text[m.end() :])))
    hashes = text.rfind("####")
    if hashes >= 0:
        found.append((hashes, "hashes", text[hashes + 4 :].strip().split("\n")[0]))
    found = [f for f in found if f[2].strip(" .$")]
    if not found:
        return None
    _, method, answer = max(found, key=lambda f: f[0])
    return Extraction(_clip(answer.strip().rstrip(".").strip()), method, ExtractStatus.OK, (answer,))


def _last_number(text: str) -> Extraction | None:
    last = None
    for match in _NUMBER_RE.finditer(text):
        last = match
    if last is None:
        return None
    return Extraction(last.group(0).replace("$", ""), "last_number", ExtractStatus.OK, (last.group(0),))


def extract_math(output: str, *, last_number_fallback: bool = False) -> Extraction:
    """The final answer of a math output, the method that found it, and a status."""
    text = output[-MAX_SCAN_CHARS:]
    for finder in (_boxed, _anchored):
        found = finder(text)
        if found is not None:
            return found
    if last_number_fallback:
        found = _last_number(text)
        if found is not None:
            return found
    return Extraction(None, "none", ExtractStatus.NO_ANSWER)


def math_extractor(last_number_fallback: bool = False) -> Callable[[str, Sample], Extraction]:
    """The `Benchmark.extract` callable for math benchmarks."""

    def extract(output: str, sample: Sample) -> Extraction:
        return extract_math(output, last_number_fallback=last_number_fallback)

    return extract
