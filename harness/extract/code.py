"""Program reconstruction from model outputs for code benchmarks: the program the model meant.

Outputs come as base models continue a prompt and as chat APIs answer (and other harnesses store
them): a body whose first line lost its indentation, a restated tail of the prompt's docstring, the
signature repeated with or without the docstring, prose and fences around the code, tests, prints
and `__main__` blocks appended. Every decision is made by parsing, in this order:

1. The code (each fenced block, else the whole text, else the code segments between prose)
   defines the entry point with a body by itself: that code alone (`completion-only`,
   `fenced-block`). The last such block wins, as a later redefinition does in Python.
2. Otherwise the code continues the prompt: prompt + completion (`prompt+completion`,
   `prompt+fenced-block`), as is, or with the restated tail of the prompt removed
   (`:restated-prompt-removed`), or with the first line's indentation restored
   (`:indent-restored`), or with the whole body moved to the prompt's indentation
   (`:body-indented`: written at column 0, or with two or eight spaces); the first
   that parses and gives the prompt's `def` a body is used.
3. Otherwise the pre-reconstruction rules (`:fallback`), so a non-solution still fails.

`+trimmed` marks code whose unparsable tail (truncation, trailing prose) was dropped. Then
`code_sanitize.assemble` keeps the entry point, what it depends on and the prompt's own imports
and helpers, and drops tests, prints and `__main__` blocks. The method is recorded in
Extraction.method and, by the grader, in the grade's detail.

Sample.meta keys read: entry_point, prompt (HumanEval style: the code prompt; may be empty),
code_prompt (MBPP: always empty), test (assert mode: the names it reads that the program defines
are kept, as the entry point is).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence

from harness.extract.code_sanitize import Source, Target, assemble, names_read_by, parse_checked, parses, usable
from harness.types import Extraction, ExtractStatus, Sample

HUMANEVAL_STOPS: tuple[str, ...] = ("\nclass", "\ndef", "\n#", "\nif", "\nprint", "\n```")
"""Stop sequences for completion-style HumanEval (Chen et al. 2021; lm-eval)."""
MBPP_STOPS: tuple[str, ...] = ("[DONE]", "\n```")
"""Stop sequences for the 3-shot MBPP prompt (Austin et al. 2021)."""

_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_CODE_START = re.compile(
    r"(?:async\s+def|def|class)\s+\w|import\s+\w|from\s+[\w.]+\s+import\s|@[\w.]+|[A-Za-z_]\w*\s*(?::[^=\n]+)?=[^=]")
"""A line that can start top-level code (a definition, an import, a decorator, an assignment)."""
_FIRST_FENCE = re.compile(r"```([^\n]*)")
_LEAD = re.compile(r"^[ \t]+")
_MAX_TRIMS = 64
_THINK_END = "</think>"


def cut_at_stops(text: str, stops: Sequence[str]) -> str:
    """Text up to the earliest stop sequence."""
    end = len(text)
    for s in stops:
        i = text.find(s)
        if i != -1:
            end = min(end, i)
    return text[:end]


def fenced_blocks(text: str) -> list[str]:
    """Contents of the markdown code blocks (python or untagged), in order; an unclosed last one
    counts, a block whose opening fence is indented (inside a list item) loses that indentation, and
    code before a first, bare fence is a block the prompt opened (lm-eval's instruct prefix)."""
    if _opened_by_prompt(text):
        text = "```python\n" + text
    out = []
    for m in _FENCE.finditer(text):
        if m.group(1).lower() not in ("", "python", "py", "python3"):
            continue
        lead = text[text.rfind("\n", 0, m.start()) + 1: m.start()]
        body = m.group(2)
        if lead and not lead.strip():
            body = "\n".join(ln[len(lead):] if ln.startswith(lead) else ln for ln in body.split("\n"))
        out.append(body)
    return out


def _opened_by_prompt(text: str) -> bool:
    """The first fence is a bare (closing) one and the text before it starts with code."""
    fence = _FIRST_FENCE.search(text)
    if fence is None or fence.start() == 0 or fence.group(1).strip():
        return False
    head = next((ln for ln in text[: fence.start()].splitlines() if ln.strip()), "")
    if not head or head[:1].isspace():
        return bool(head)
    try:
        stmts = ast.parse(head.strip()).body
    except SyntaxError:
        return bool(_CODE_START.match(head))
    if not stmts:  # a comment line
        return True
    # A lone word ("Sure", "Solution") parses too, but it is prose.
    lone = stmts[0] if len(stmts) == 1 and isinstance(stmts[0], ast.Expr) else None
    return not (lone is not None and isinstance(lone.value, ast.Name | ast.Constant))


def trim(code: str) -> Source | None:
    """The longest prefix that parses, found by cutting before each syntax error (None: nothing parses)."""
    lines = code.splitlines()
    end = len(lines)
    for _ in range(_MAX_TRIMS):
        if end <= 0:
            return None
        text = "\n".join(lines[:end])
        try:
            tree = parse_checked(text)
        except SyntaxError as exc:
            end = min(end - 1, (exc.lineno or end) - 1)
            continue
        except (ValueError, RecursionError, MemoryError):
            return None
        return (text, tree) if text.strip() else None
    return None


def code_segments(text: str) -> list[Source]:
    """The parsable runs of code in unfenced text with prose around and between them."""
    lines = text.splitlines()
    out: list[Source] = []
    i = 0
    while i < len(lines):
        if not _CODE_START.match(lines[i]):
            i += 1
            continue
        found = trim("\n".join(lines[i:]))
        if found is None:
            i += 1
            continue
        out.append(found)
        i += len(found[0].splitlines())
    return out


def _body_indent(prompt: str) -> str:
    """The indentation of the prompt's last line of code (the body a completion continues)."""
    for line in reversed(prompt.splitlines()):
        if line.strip():
            return line[: len(line) - len(line.lstrip())] or "    "
    return "    "


def _splice(prompt: str, lines: list[str], k: int) -> str | None:
    """The prompt up to where the completion starts restating it, then the completion.

    The completion's first line k must equal a prompt line (or end one, when it starts mid-line),
    ignoring indentation; the prompt line whose match runs longest wins, the later one on a tie.
    """
    plines = prompt.splitlines()
    first = lines[k].strip()
    best: tuple[int, int] | None = None
    for j, pl in enumerate(plines):
        ps = pl.strip()
        if not ps or not (ps == first or (len(first) >= 8 and ps.endswith(first))):
            continue
        run = 1
        while j + run < len(plines) and k + run < len(lines) and plines[j + run].strip() == lines[k + run].strip():
            run += 1
        if best is None or run >= best[1]:
            best = (j, run)
    if best is None:
        return None
    j = best[0]
    restored = plines[j].rstrip()  # the prompt's line, indentation and all, ends with the restated text
    return "\n".join([*plines[:j], restored, *lines[k + 1:]])


def _continuations(prompt: str, text: str) -> Iterator[tuple[str, str]]:
    """(fix, program) readings of text as the continuation of the prompt, most literal first."""
    yield "", prompt + text
    lines = text.splitlines()
    k = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if k is None:
        return
    joined = prompt if prompt.endswith("\n") else prompt + "\n"
    indent = _body_indent(prompt)
    at_zero = not lines[k][:1].isspace()
    # A restatement goes first: a matched line can only cut the prompt inside the entry point's
    # docstring and still leave it defined, so a spurious match never gives a usable program.
    spliced = _splice(prompt, lines, k)
    if spliced is not None:
        yield "restated-prompt-removed", spliced
    if at_zero:
        yield "indent-restored", joined + "\n".join([*lines[:k], indent + lines[k], *lines[k + 1:]])
    shifted = _shift(lines, k, indent)
    if shifted is not None and (not at_zero or sum(1 for ln in lines if ln.strip()) > 1):
        yield "body-indented", joined + shifted


def _shift(lines: list[str], k: int, indent: str) -> str | None:
    """The lines moved right or left so that line k has the prompt body's indentation (a body
    written at column 0, with two-space or eight-space indentation, or with tabs); None when
    impossible."""
    if "\t" in indent:
        return None
    expanded = [_LEAD.sub(lambda m: m.group(0).expandtabs(4), ln) for ln in lines]
    first = expanded[k][: len(expanded[k]) - len(expanded[k].lstrip())]
    if first == indent:
        return "\n".join(expanded) if expanded != lines else None
    lines = expanded
    delta = len(indent) - len(first)
    if delta > 0:
        return "\n".join(" " * delta + ln if ln.strip() else ln for ln in lines)
    if any(ln.strip() and not ln.startswith(" " * -delta) for ln in lines):
        return None
    return "\n".join(ln[-delta:] if ln.strip() else ln for ln in lines)


Parsed = tuple[Source, str, int]
"""A piece of code, how it was cut from its text (fix), and the index of that text."""


def _parsed(texts: list[str], segments: bool) -> list[Parsed]:
    """Each text's parse (fix ''), else its parsable prefix ('trimmed'), else, for unfenced text,
    its code segments ('prose-stripped')."""
    out: list[Parsed] = []
    for i, text in enumerate(texts):
        tree = parses(text)
        if tree is not None:
            out.append(((text, tree), "", i))
            continue
        segs = code_segments(text) if segments else []
        if segs:
            out.extend((s, "prose-stripped", i) for s in segs)
            continue
        found = trim(text)
        if found is not None:
            out.append((found, "trimmed", i))
    return out


def _method(base: str, fix: str, trimmed: bool = False) -> str:
    return base + (f":{fix}" if fix and fix != "trimmed" else "") + ("+trimmed" if trimmed or fix == "trimmed" else "")


def _standalone(parsed: list[Parsed], target: Target, base: str) -> Extraction | None:
    """Step 1: the last piece of code that defines the entry point with a body, the others as extras."""
    for i in range(len(parsed) - 1, -1, -1):
        (text, tree), fix, _ = parsed[i]
        if usable(tree, target.entry):
            extras = [src for j, (src, _, _) in enumerate(parsed) if j != i]
            return Extraction(assemble((text, tree), target, extras), _method(base, fix), ExtractStatus.OK)
    return None


def _continued(texts: list[str], parsed: list[Parsed], target: Target, base: str) -> Extraction | None:
    """Step 2: the first reading of a piece of code as the prompt's continuation that works; the
    code of the other texts (fenced blocks) supplies what it lacks."""
    for allow_trim in (False, True):
        for i, text in enumerate(texts):
            for fix, program in _continuations(target.prompt, text):
                found = trim(program) if allow_trim else ((program, t) if (t := parses(program)) else None)
                if found is None or not usable(found[1], target.entry, first=True):
                    continue
                others = [src for src, _, j in parsed if j != i]
                code = assemble(found, target, others, first=True)
                trimmed = allow_trim and found[0] != program
                return Extraction(code, _method(base, fix, trimmed), ExtractStatus.OK)
    return None


def reconstruct(output: str, target: Target, unfenced: str | None = None) -> Extraction | None:
    """Steps 1 and 2 (None: neither applies). `unfenced`: the code to read when the output has no
    fenced block (default: the output, after any reasoning that ends with </think>)."""
    if _THINK_END in output and output.rsplit(_THINK_END, 1)[1].strip():
        output = output.rsplit(_THINK_END, 1)[1]
    blocks = fenced_blocks(output)
    texts = blocks or [output if unfenced is None else unfenced]
    parsed = _parsed(texts, segments=not blocks)
    found = _standalone(parsed, target, "fenced-block" if blocks else "completion-only")
    if found is None and target.prompt:
        found = _continued(texts, parsed, target, "prompt+fenced-block" if blocks else "prompt+completion")
    return found


# -- fallback: the rules before reconstruction, so an output that is no solution still fails -------


def _largest_parsable_prefix(code: str, entry_point: str) -> tuple[str, ast.Module] | None:
    """Drop trailing lines until the code parses and still defines the entry point (truncated output)."""
    found = trim(code)
    if found is not None and any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                                 and n.name == entry_point for n in found[1].body):
        return found
    return None


def finish(code: str, target: Target, method: str, clean: bool = True) -> Extraction:
    """Parse (and, unless `clean` is False, sanitise) a candidate program into an Extraction."""
    entry_point, prompt = target.entry, target.prompt
    tree = parses(code)
    if tree is None:
        fixed = _largest_parsable_prefix(code, entry_point)
        if fixed is None:
            return Extraction(code, method, ExtractStatus.SYNTAX_ERROR)
        (code, tree), method = fixed, method + "+trimmed"
    defines = any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == entry_point
                  for n in tree.body)
    if not defines and not (prompt and entry_point in prompt):
        return Extraction(code, method, ExtractStatus.NO_ANSWER)
    return Extraction(assemble((code, tree), target) if clean else code, method, ExtractStatus.OK)


def _fallback_block(blocks: list[str], entry_point: str) -> str:
    """The block that mentions the entry point's definition, else the last."""
    for block in blocks:
        if re.search(rf"def\s+{re.escape(entry_point)}\s*\(", block):
            return block
    return blocks[-1]


def sanitize(code: str, entry_point: str, prompt: str = "", tree: ast.Module | None = None) -> str:
    """Imports + the top-level definitions the entry point needs (transitively), in source order."""
    return assemble((code, tree if tree is not None else ast.parse(code)), Target(entry_point, prompt))


def _target(sample: Sample, prompt_key: str) -> Target:
    meta = sample.meta
    return Target(meta["entry_point"], meta.get(prompt_key, ""), names_read_by(meta.get("test", "")))


def extract_humaneval(output: str, sample: Sample) -> Extraction:
    """HumanEval-style: the program the output means (module docstring), else the old rules."""
    target = _target(sample, "prompt")
    found = reconstruct(output, target)
    if found is not None:
        return found
    blocks = fenced_blocks(output)
    if blocks:
        return finish(_fallback_block(blocks, target.entry), target, "fenced-block:fallback")
    if re.search(rf"^def\s+{re.escape(target.entry)}\s*\(", output, re.M):
        return finish(cut_at_stops(output, ("\n```",)), target, "completion-only:fallback")
    body = cut_at_stops(output, HUMANEVAL_STOPS)
    if not body.strip():
        return Extraction(None, "prompt+completion:fallback", ExtractStatus.NO_ANSWER)
    return finish(target.prompt + body, target, "prompt+completion:fallback", clean=False)


def extract_mbpp(output: str, sample: Sample) -> Extraction:
    """MBPP-style: the code defining the entry point (fenced, or up to [DONE]), else the old rules."""
    target = _target(sample, "code_prompt")
    code = cut_at_stops(output, MBPP_STOPS).replace("[BEGIN]", "")
    found = reconstruct(output, target, unfenced=code)
    if found is not None:
        return found
    blocks = fenced_blocks(output)
    if blocks:
        return finish(_fallback_block(blocks, target.entry), target, "fenced-block:fallback")
    if not code.strip():
        return Extraction(None, "completion-only:fallback", ExtractStatus.NO_ANSWER)
    return finish(code, target, "completion-only:fallback")
