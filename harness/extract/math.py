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
- Boxes answering labelled parts (`(a) ... \\boxed{4} ... (b) ... \\boxed{9}`, labels in order from the
  first) are one several-part answer `(a) 4, (b) 9` (method `boxed_parts`), prose between them or not.
- The last number in the text is used only when `last_number_fallback` is set (method
  `last_number`), as for base models prompted with GSM8K-style few-shot examples.
- `extract_last_expression` (opt-in, `harness score --fallback last-expression`) takes the last LaTeX
  math span or number of an output that has no marker at all (method `last_expression`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from harness.extract.latex import find_boxed_spans
from harness.types import Extraction, ExtractStatus, Sample

MAX_SCAN_CHARS = 20_000
PHRASE_WINDOW_CHARS = 8_000
"""How far after an answer phrase (or before Minerva's closing) the answer is looked for. Answers are
never cut to the grader's `max_answer_chars`: the grader must see that an answer is too large. An
answer cut at this window is still 4x the grader's default limit, so it is graded `answer_too_large`."""

# Between boxes of one answer: punctuation, math delimiters, LaTeX spacing and line breaks, "and"/"or",
# and a variable being assigned (`x = \\boxed{3} or x = \\boxed{7}`).
_GLUE_RE = re.compile(
    r"^(?:\s|\$|\\\(|\\\)|\\\[|\\\]|[,;.&~]|\band\b|\bor\b|\\q?quad(?![a-zA-Z])|\\[,;:! ]|\\\\"
    r"|\\text\{\s*(?:and|or)\s*\}"
    r"|(?<![A-Za-z])[A-Za-z](?:_\{?[A-Za-z0-9]+\}?)?\s*=)*$"
)
# A part label before a box: `(b)`, `**(b)**`, `b)`, `Part (ii):` (never a function's argument `f(a)`).
_PART_LABEL_RE = re.compile(r"(?<![A-Za-z\\(])\(?([a-h]|i{1,3}|iv|vi{0,3})\)(?=[\s*:.$\\])", re.I)
_LABEL_ORDERS = ("abcdefgh", ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii"))
# Spans are capped in length so that many unclosed openers cost linear, not quadratic, time.
_MATH_SPAN_RE = re.compile(
    r"\$\$([^$]{1,2000})\$\$|\\\[(.{1,2000}?)\\\]|\\\((.{1,2000}?)\\\)|(?<![\\$])\$([^$]{1,2000})\$", re.S
)
_PHRASE_RE = re.compile(
    r"(?:the\s+(?:final\s+)?answer\s+is|final\s+answer\s*(?:is)?\s*:|answer\s*:)\s*:?\s*", re.I
)
_HASHES_RE = re.compile(r"####\s*")
_NUMBER_RE = re.compile(r"-?\$?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_SENTENCE_END_RE = re.compile(r"\n|(?<![0-9]\.\.)(?<![0-9]\.)\.(?=\s|$)")
# A repeating decimal's ellipsis (`0.333...`) is part of the answer, not the end of the sentence.
_ELLIPSIS_END_RE = re.compile(r"[0-9]\.\.\.$")
# Minerva's closing sentence, with the optional "Final Answer:" lead-in that belongs to it.
_MINERVA_RE = re.compile(
    r"(?:final\s+answer\s*:\s*)?the\s+final\s+answer\s+is\s*(?P<ans>.*?)\s*i\s+hope\s+it\s+is\s+correct", re.I | re.S
)
# The phrase again inside a Minerva match: an earlier "the final answer is 3. ... wait" the lazy match began at.
_FINAL_IS_RE = re.compile(r"the\s+final\s+answer\s+is\s*", re.I)
# A comma that ends the answer and starts prose: `72, in total, so ...` (but not `1, 2, and 3`).
_PROSE_COMMA_RE = re.compile(r",\s+(?!(?:and|or)\b)[A-Za-z]{2,}\b")
_MARKDOWN_RE = re.compile(r"^[*_`\s]+|[*_`\s]+$")


def _boxed(text: str) -> Extraction | None:
    spans = _outermost(find_boxed_spans(text))
    if not spans:
        return None
    group = [spans[-1]]
    for prev in reversed(spans[:-1]):
        if _GLUE_RE.match(text[prev[1] : group[0][0]]):
            group.insert(0, prev)
        else:
            break
    if len(group) == 1:
        parts = _labelled_parts(text, spans)
        if parts is not None:
            return parts
    distinct = [a for a in dict.fromkeys(_unbox(c) for _, _, c in group) if a]
    if not distinct:
        return Extraction(None, "boxed", ExtractStatus.NO_ANSWER, ("",))
    if len(distinct) == 1:
        return Extraction(distinct[0], "boxed", ExtractStatus.OK, tuple(distinct))
    return Extraction(", ".join(distinct), "boxed_multi", ExtractStatus.AMBIGUOUS, tuple(distinct))


def _labelled_parts(text: str, spans: list[tuple[int, int, str]]) -> Extraction | None:
    """The trailing run of boxes each after its own part label, labels in order from the first."""
    labels: list[str] = []
    for k in range(len(spans) - 1, -1, -1):
        before = text[spans[k - 1][1] if k else 0 : spans[k][0]]
        found = list(_PART_LABEL_RE.finditer(before))
        if not found:
            break
        labels.insert(0, found[-1].group(1).lower())
        order = next((o for o in _LABEL_ORDERS if labels[0] in o), None)
        if order is None or list(order[order.index(labels[0]) : order.index(labels[0]) + len(labels)]) != labels:
            return None
        if labels[0] == order[0]:
            break
    if len(labels) < 2 or labels[0] not in ("a", "i"):
        return None
    boxes = [_unbox(c) for _, _, c in spans[len(spans) - len(labels) :]]
    if not all(boxes):
        return None
    joined = ", ".join(f"({label}) {box}" for label, box in zip(labels, boxes, strict=True))
    return Extraction(joined, "boxed_parts", ExtractStatus.OK, tuple(boxes))


def _outermost(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Drop boxes inside other boxes: `\\boxed{\\boxed{5}}` is one answer, not two."""
    out: list[tuple[int, int, str]] = []
    for span in spans:
        if not out or span[0] >= out[-1][1]:
            out.append(span)
    return out


def _unbox(content: str) -> str:
    """The content of a box, with any boxes wrapped around the whole of it removed."""
    content = content.strip()
    for _ in range(20):
        inner = find_boxed_spans(content)
        if len(inner) != 1 or inner[0][0] != 0 or inner[0][1] != len(content):
            break
        content = inner[0][2].strip()
    return content


def _phrase_answer(rest: str) -> str:
    """The answer after an anchor phrase: up to the end of the line, sentence or a prose comma.

    `$...$` is unwrapped and markdown emphasis (`**73**`) removed.
    """
    rest = _MARKDOWN_RE.sub("", rest.lstrip()[:PHRASE_WINDOW_CHARS])
    if rest.startswith("$"):
        close = rest.find("$", 1) if not rest.startswith("$$") else rest.find("$$", 2)
        if close > 0:
            return rest[: close + (2 if rest.startswith("$$") else 1)]
    m = _SENTENCE_END_RE.search(rest)
    answer = rest[: m.start()] if m else rest
    depth = 0
    for k, ch in enumerate(answer):  # cut at the first prose comma outside brackets
        depth += 1 if ch in "([{" else -1 if ch in ")]}" else 0
        if ch == "," and depth <= 0 and _PROSE_COMMA_RE.match(answer, k):
            answer = answer[:k]
            break
    return _MARKDOWN_RE.sub("", answer)


def _anchored(text: str) -> Extraction | None:
    """The latest anchored phrase (Minerva, "answer is", "####") in the text."""
    found: list[tuple[int, str, str]] = []
    minerva = (-1, -1)
    hope = text.lower().rfind("i hope it is correct")
    window = max(0, hope - PHRASE_WINDOW_CHARS - 40)
    last = None
    for match in _MINERVA_RE.finditer(text, window, hope + len("i hope it is correct") if hope >= 0 else 0):
        last = match
    if last is not None:
        answer, start = last.group("ans"), last.start()
        inner = list(_FINAL_IS_RE.finditer(answer))
        if inner:  # the answer follows the last "the final answer is" before the closing
            answer, start = answer[inner[-1].end() :], last.start("ans") + inner[-1].start()
        answer = _end_period(answer)
        if not answer.strip(" .$"):  # "The final answer is $$." states that there is no answer
            return Extraction(None, "minerva", ExtractStatus.NO_ANSWER, (answer,))
        found.append((start, "minerva", answer))
        minerva = (start, last.end())
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
    return Extraction(_end_period(answer), method, ExtractStatus.OK, (answer,))


def _end_period(answer: str) -> str:
    """The answer without its closing periods, unless they are a decimal's ellipsis (`0.333...`)."""
    answer = answer.strip()
    return answer if _ELLIPSIS_END_RE.search(answer) else answer.rstrip(".").strip()


def _last_number(text: str) -> Extraction | None:
    last = None
    for match in _NUMBER_RE.finditer(text):
        last = match
    if last is None:
        return None
    return Extraction(last.group(0).replace("$", ""), "last_number", ExtractStatus.OK, (last.group(0),))


def extract_last_expression(output: str) -> Extraction:
    """The last LaTeX math span (`$...$`, `\\(...\\)`, `\\[...\\]`) or number, whichever ends later.

    An opt-in fallback for outputs with no box and no answer phrase; its method `last_expression`
    is carried into the grade's rule, so such grades can be counted and left out.
    """
    text = output[-MAX_SCAN_CHARS:]
    span = max(_MATH_SPAN_RE.finditer(text), key=lambda m: m.end(), default=None)
    number = max(_NUMBER_RE.finditer(text), key=lambda m: m.end(), default=None)
    if span is not None and (number is None or span.end() >= number.end()):
        body = next(g for g in span.groups() if g is not None).strip()
        if body:
            return Extraction(body, "last_expression", ExtractStatus.OK, (span.group(0),))
    if number is not None:
        return Extraction(number.group(0).replace("$", ""), "last_expression", ExtractStatus.OK, (number.group(0),))
    return Extraction(None, "none", ExtractStatus.NO_ANSWER)


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
