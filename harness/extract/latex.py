"""Brace-matched `\\boxed{}` / `\\fbox{}` finding, shared by gold reading and answer extraction."""

from __future__ import annotations

import re

_BOX_RE = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])")
# The unbraced form `\boxed 2` (MATH train has two): one token up to a space, `$` or the end.
_UNBRACED_RE = re.compile(r"\s*([^\s${}]+)")
MAX_BRACE_DEPTH = 200
_BRACE_RE = re.compile(r"\\[{}]|[{}]")  # an escaped brace is one token, and not structure


def _brace_matches(text: str) -> dict[int, int]:
    """Map each `{` index to the index just past its closing `}` in one linear pass.

    Braces whose content nests deeper than MAX_BRACE_DEPTH (relative to them) are left out, as are
    unbalanced ones. A backslash before a brace escapes it (a literal brace, not structure). One pass
    instead of a scan per box keeps hostile inputs (thousands of unclosed boxes) linear.
    """
    matches: dict[int, int] = {}
    stack: list[list[int]] = []  # [open index, deepest nesting seen inside, relative to this brace]
    for m in _BRACE_RE.finditer(text):  # only braces are visited: linear in their number
        tok, i = m.group(), m.start()
        if tok == "{":
            stack.append([i, 1])
        elif tok == "}" and stack:
            start, inner = stack.pop()
            if inner <= MAX_BRACE_DEPTH:
                matches[start] = i + 1
            if stack:
                stack[-1][1] = max(stack[-1][1], inner + 1)
    return matches


def find_boxed(text: str) -> list[str]:
    """Contents of every `\\boxed{...}`, `\\fbox{...}` and unbraced `\\boxed X`, in order of appearance."""
    return [content for _, _, content in find_boxed_spans(text)]


def find_boxed_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of every boxed answer, in order; `end` is just past the box."""
    found: list[tuple[int, int, str]] = []
    matches: dict[int, int] | None = None
    last_close = text.rfind("}")  # a brace opened after the last `}` never closes: skip the brace scan
    for m in _BOX_RE.finditer(text):
        j = m.end()
        while j < len(text) and text[j] == " ":
            j += 1
        if j < len(text) and text[j] == "{":
            if j > last_close:
                continue
            if matches is None:
                matches = _brace_matches(text)
            end = matches.get(j)
            if end is not None:
                found.append((m.start(), end, text[j + 1 : end - 1]))
            continue
        unbraced = _UNBRACED_RE.match(text, m.end())
        if unbraced and m.end() < len(text) and text[m.end()] == " ":
            found.append((m.start(), unbraced.end(), unbraced.group(1)))
    return found


def last_boxed(text: str) -> str | None:
    """The last boxed answer in `text`, or None."""
    boxes = find_boxed(text)
    return boxes[-1] if boxes else None
