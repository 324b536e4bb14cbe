"""Program extraction from model outputs for code benchmarks.

- Completion style (base models): the output continues the prompt; it is cut at the usual stop
  sequences (Chen et al.: a new top-level def/class/if/print/comment ends the function) and the
  prompt is prepended.
- Chat style: the fenced code block that defines the entry point (else the last block).
- Then an AST sanitiser keeps imports and the top-level definitions the entry point needs, and
  drops tests, prints and `__main__` blocks; helpers the prompt defines and the program uses but
  lacks (HumanEval/32's `poly`) are taken from the prompt. Code that does not parse is
  ExtractStatus.SYNTAX_ERROR, kept as the answer so it can be inspected.

Sample.meta keys read: entry_point, prompt (HumanEval style: the code prompt; may be empty).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from harness.types import Extraction, ExtractStatus, Sample

HUMANEVAL_STOPS: tuple[str, ...] = ("\nclass", "\ndef", "\n#", "\nif", "\nprint", "\n```")
"""Stop sequences for completion-style HumanEval (Chen et al. 2021; lm-eval)."""
MBPP_STOPS: tuple[str, ...] = ("[DONE]", "\n```")
"""Stop sequences for the 3-shot MBPP prompt (Austin et al. 2021)."""

_FENCE = re.compile(r"```[ \t]*([\w+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.S)


def cut_at_stops(text: str, stops: Sequence[str]) -> str:
    """Text up to the earliest stop sequence."""
    end = len(text)
    for s in stops:
        i = text.find(s)
        if i != -1:
            end = min(end, i)
    return text[:end]


def fenced_blocks(text: str) -> list[str]:
    """Contents of the markdown code blocks (python or untagged), in order; an unclosed last one counts."""
    return [m.group(2) for m in _FENCE.finditer(text) if m.group(1).lower() in ("", "python", "py", "python3")]


def _defines(tree: ast.Module, name: str) -> bool:
    return any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == name
               for n in tree.body)


def _parses(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError):
        return None


def _bound_names(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def _used_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def sanitize(code: str, entry_point: str, prompt: str = "", tree: ast.Module | None = None) -> str:
    """Imports + the top-level definitions the entry point needs (transitively), in source order.

    `tree` is `ast.parse(code)` when the caller has it already.
    """
    if tree is None:
        tree = ast.parse(code)
    defs: dict[str, list[ast.stmt]] = {}
    for node in tree.body:
        for name in _bound_names(node):
            defs.setdefault(name, []).append(node)
    keep: set[int] = set()
    todo = [entry_point] if entry_point in defs else list(defs)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in defs.get(name, []):
            keep.add(id(node))
            todo.extend(_used_names(node) - seen)
    body = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom) or id(n) in keep]
    helpers = _prompt_helpers(prompt, seen, set(defs))
    lines = code.splitlines()
    parts = [ast.get_source_segment(prompt, n) or "" for n in helpers]
    parts += ["\n".join(lines[_first_line(n) - 1: n.end_lineno or n.lineno]) for n in body]
    return "\n\n".join(p for p in parts if p) + "\n"


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _prompt_helpers(prompt: str, used: set[str], defined: set[str]) -> list[ast.stmt]:
    """Imports and definitions from the prompt that the program uses but does not define."""
    tree = _parses(prompt) if prompt else None
    if tree is None:
        return []
    out: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom) or _bound_names(node) & (used - defined):
            out.append(node)
    return out


def _largest_parsable_prefix(code: str, entry_point: str) -> tuple[str, ast.Module] | None:
    """Drop trailing lines until the code parses and still defines the entry point (truncated output)."""
    lines = code.splitlines()
    for end in range(len(lines) - 1, 0, -1):
        candidate = "\n".join(lines[:end])
        tree = _parses(candidate)
        if tree is not None and _defines(tree, entry_point):
            return candidate, tree
    return None


def finish(
    code: str, entry_point: str, method: str, prompt: str = "", clean: bool = True, tree: ast.Module | None = None
) -> Extraction:
    """Parse (and, unless `clean` is False, sanitise) a candidate program into an Extraction.

    `tree` is `ast.parse(code)` when the caller has it already.
    """
    if tree is None:
        tree = _parses(code)
    if tree is None:
        fixed = _largest_parsable_prefix(code, entry_point)
        if fixed is None:
            return Extraction(code, method, ExtractStatus.SYNTAX_ERROR)
        (code, tree), method = fixed, method + "+trimmed"
    if not _defines(tree, entry_point) and not (prompt and entry_point in prompt):
        return Extraction(code, method, ExtractStatus.NO_ANSWER)
    return Extraction(sanitize(code, entry_point, prompt, tree) if clean else code, method, ExtractStatus.OK)


def _chat_program(output: str, entry_point: str) -> tuple[str, ast.Module | None] | None:
    """The fenced block to grade and its parse tree (None when the block does not parse)."""
    blocks = fenced_blocks(output)
    if not blocks:
        return None
    trees: list[ast.Module | None] = []
    for block in blocks:
        trees.append(_parses(block))
        if trees[-1] is not None and _defines(trees[-1], entry_point):
            return block, trees[-1]
    for block, tree in zip(blocks, trees, strict=True):
        if re.search(rf"def\s+{re.escape(entry_point)}\s*\(", block):
            return block, tree
    return blocks[-1], trees[-1]


def extract_humaneval(output: str, sample: Sample) -> Extraction:
    """HumanEval-style: a fenced/complete program if the output has one, else prompt + completion."""
    entry, prompt = sample.meta["entry_point"], sample.meta.get("prompt", "")
    chosen = _chat_program(output, entry)
    if chosen is not None:
        return finish(chosen[0], entry, "fenced_block", prompt, tree=chosen[1])
    if re.search(rf"^def\s+{re.escape(entry)}\s*\(", output, re.M):
        return finish(cut_at_stops(output, ("\n```",)), entry, "full_program", prompt)
    body = cut_at_stops(output, HUMANEVAL_STOPS)
    if not body.strip():
        return Extraction(None, "completion", ExtractStatus.NO_ANSWER)
    # Completion style is scored as prompt + completion verbatim, as Chen et al. do.
    return finish(prompt + body, entry, "completion", prompt, clean=False)


def extract_mbpp(output: str, sample: Sample) -> Extraction:
    """MBPP-style: the block defining the entry point, else the text up to [DONE]."""
    entry, prompt = sample.meta["entry_point"], sample.meta.get("code_prompt", "")
    chosen = _chat_program(output, entry)
    if chosen is not None:
        return finish(chosen[0], entry, "fenced_block", prompt, tree=chosen[1])
    code = cut_at_stops(output, MBPP_STOPS).replace("[BEGIN]", "")
    if not code.strip():
        return Extraction(None, "completion", ExtractStatus.NO_ANSWER)
    return finish(code, entry, "until_done", prompt)
