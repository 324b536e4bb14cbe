"""The shape of a math answer (set, tuple, interval, union, matrix, equation, `\\pm`) and its comparison.

Only the outer structure is read here, by splitting at top-level separators; every leaf expression
is handed to a leaf comparator (exact literals in the parent, sympy via latex2sympy2_extended in a
worker). The same `compare` runs in both places, so the parent decides everything it can without
sympy and raises `NeedSympy` for the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from harness.grade.math_normalize import compact, split_units
from harness.grade.math_parts import split_parts

MAX_ITEMS = 64
MAX_DEPTH = 8

LeafMode = Literal["value", "equation"]
LeafEq = Callable[[str, str, LeafMode], tuple[bool, str]]
"""(gold leaf, predicted leaf, mode) -> (equal, rule); may raise NeedSympy."""


class NeedSympy(Exception):
    """The parent cannot decide this leaf without symbolic work."""


@dataclass(frozen=True)
class Leaf:
    text: str


@dataclass(frozen=True)
class Collection:
    """`set` (braces) and `list` (bare or `\\pm`) compare unordered; `tuple` compares in order."""

    kind: Literal["set", "list", "tuple"]
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Interval:
    lo: str
    hi: str
    lo_closed: bool
    hi_closed: bool


@dataclass(frozen=True)
class Union:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Matrix:
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Equation:
    """`lhs = rhs`; `simple` when lhs is a lone variable (`x = 3`), so the value alone also counts."""

    lhs: str
    rhs: Node
    simple: bool


Node = Leaf | Collection | Interval | Union | Matrix | Equation

_OPEN, _CLOSE = "([{", ")]}"
_SIMPLE_VAR_RE = re.compile(r"^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?[a-zA-Z0-9]+\}?)?(?:\^\{-1\}|\^-1)?(?:\([a-z]\))?$")
# A matrix in any environment, maybe inside `[...]` / `(...)` (the `\left[\begin{array}` spelling) and
# maybe after a scalar factor (`\frac{1}{49}\begin{pmatrix}...`).
_MATRIX_RE = re.compile(
    r"^(?P<pre>(?:(?!\\begin)[^=])*?)[\[(]?\s*\\begin\{(?P<env>[pbBvV]?matrix|smallmatrix|array)\}"
    r"(?:\{[^{}]*\})?(?P<body>.*)\\end\{(?P=env)\}\s*[\])]?$",
    re.S,
)
_TIMES_TAIL_RE = re.compile(r"\s*(?:\\cdot|\\times|\*)\s*$")
_REL_RE = re.compile(r"\\le(?![a-zA-Z])|\\ge(?![a-zA-Z])|<|>")
_PM_RE = re.compile(r"\\(pm|mp)(?![a-zA-Z])")
_THOUSANDS_NUM_RE = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_LIST_SEPS = (",", ";", " and ", " or ", "\\text{and}", "\\text{or}")
_INFINITE = {"\\infty", "-\\infty", "oo", "-oo"}  # normalize() spells `\\infinity`, `+\\infty` as `\\infty`
_NUMERIC_TOWER_RE = re.compile(r"[0-9]\s*\^\s*\{?\s*\(?\s*[0-9.]+\s*\)?\s*\^")
_COMMAND_RE = re.compile(r"\\[a-zA-Z]+")
_ENV_RE = re.compile(r"\\(?:begin|end)\{[a-zA-Z*]*\}(?:\{[a-zA-Z|]*\})?")
_NAME_RE = re.compile(r"[a-zA-Z](?:_\{?[a-zA-Z0-9]+\}?)?")
_CONSTANTS = frozenset({"e", "i"})
_COORDINATES = frozenset({"x", "y", "z"})
# Operators that bind their variable (`\lim_{n \to \infty} ... = \frac12` restates a computation).
_BINDER_RE = re.compile(r"\\(?:lim|int|sum|prod|log|ln|det)(?![a-zA-Z])")
_CALL_RE = re.compile(r"(?<![a-zA-Z\\])([a-zA-Z])\([^()]*\)")
_POWER_RE = re.compile(r"\^\s*(?:\{[^{}]*\}|[0-9a-zA-Z])")
_UNSOLVED_RE = re.compile(r"[0-9+\-*/]|\\(?:sqrt|frac|cdot|times)(?![a-zA-Z])")
# A decorated letter is a name of its own (`\bar{x}` is a sample mean, not the coordinate x).
_DECORATED_RE = re.compile(r"\\(?:bar|hat|tilde|vec|overline|widehat|overrightarrow)\s*\{[^{}]*\}")


def split_top(s: str, seps: tuple[str, ...]) -> list[str]:
    """Split `s` at separators outside any bracket (`()`, `[]`, `{}` and `\\left`/`\\right` pairs)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(s):
        ch = s[i]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(depth - 1, 0)
        elif depth == 0:
            sep = next((x for x in seps if s.startswith(x, i) and not _continues_command(s, i, x)), None)
            if sep is not None:
                parts.append(s[start:i])
                i += len(sep)
                start = i
                continue
        i += 1
    parts.append(s[start:])
    return [p.strip() for p in parts]


def _continues_command(s: str, i: int, sep: str) -> bool:
    """`\\in` must not split `\\infty`: a command separator followed by a letter is another command."""
    end = i + len(sep)
    return sep[-1].isalpha() and sep[0] == "\\" and end < len(s) and s[end].isalpha()


def _enclosed(s: str) -> tuple[str, str, str] | None:
    """(opener, inner, closer) when one bracket pair spans all of `s` (mixed `(..]` allowed)."""
    if s.startswith("\\{") and s.endswith("\\}") and len(s) >= 4:  # `\\langle` is `(` after normalize()
        inner = s[2:-2]
        return ("\\{", inner, "\\}") if _balanced(inner) else None
    if len(s) < 2 or s[0] not in "([" or s[-1] not in ")]":
        return None
    depth = 0
    for i, ch in enumerate(s):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth == 0 and i != len(s) - 1:
                return None
    return s[0], s[1:-1], s[-1]


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += 1 if ch in _OPEN else -1 if ch in _CLOSE else 0
        if depth < 0:
            return False
    return depth == 0


def is_simple_var(s: str) -> bool:
    """A lone variable such as `x`, `a_1`, `\\theta` or `f(x)`: an assignment target."""
    return bool(_SIMPLE_VAR_RE.match(compact(s))) and compact(s) not in ("\\pi", "e", "i")


def _is_target(s: str) -> bool:
    """An assignment target: a lone variable or a tuple of them (`(x, y) = (15, -11)`)."""
    enclosed = _enclosed(s.strip())
    if enclosed is not None and enclosed[0] == "(":
        parts = split_top(enclosed[1], (",",))
        return len(parts) > 1 and all(is_simple_var(p) for p in parts)
    return is_simple_var(s)


def has_variables(s: str) -> bool:
    """Whether `s` mentions a letter outside LaTeX command names (`\\log 8` has none; `2x` has one)."""
    return bool(re.search(r"[a-zA-Z]", _COMMAND_RE.sub("", s)))


def _names(s: str) -> set[str]:
    """The variable names of `s` (`a_1`, `P`, `x`), without commands, environments and the constants e, i."""
    return set(_NAME_RE.findall(_COMMAND_RE.sub(" ", _ENV_RE.sub(" ", s)))) - _CONSTANTS


def names_quantity(lhs: str, gold_side: bool) -> bool:
    """Whether the left side of `lhs = value` names the quantity whose value is given.

    `g(3)`, `m+n`, `PQ`, `ab`, `\\frac{AE}{EC}`, `A_1:A_2`, `E(X)` do; an unsolved equation in one
    variable (`2x+1`, `\\sqrt{t}`) does not. A gold equation in the coordinates x, y, z (a line, a
    curve, a plane, a quadratic equation), or in a sum of terms (`a^2 + b = 0`), is itself the answer,
    so its right side alone is not.
    """
    lhs = _DECORATED_RE.sub(" N ", lhs)
    names = _names(lhs)
    if not names or _BINDER_RE.search(lhs):
        return True
    if gold_side and (names & _COORDINATES or len(split_top(lhs.lstrip("-"), ("+", "-"))) > 1):
        return False  # `x^2 + y^2 = 13`, `a^2 + b = 0`: a relation between variables is itself the answer
    if len(names) == 1:
        body = _POWER_RE.sub("", _CALL_RE.sub(r"\1", _ENV_RE.sub(" ", lhs)))
        body = _NAME_RE.sub("v", _COMMAND_RE.sub(lambda m: "+" if _UNSOLVED_RE.match(m.group(0)) else " ", body))
        return not _UNSOLVED_RE.search(body)
    return True


def _closed(node: Node) -> bool:
    """A value without variables (units after a number allowed): `8`, `\\sqrt{13}`, `3:5`, `8 cm`."""
    if isinstance(node, Leaf):
        return not has_variables(split_units(node.text)[0])
    if isinstance(node, Collection):
        return all(_closed(item) for item in node.items)
    return False


def parse_structure(s: str, *, thousands_ok: bool = True, depth: int = 0) -> Node:
    """The outer structure of a normalised answer."""
    s = s.strip()
    if depth > MAX_DEPTH:
        return Leaf(s)
    labelled = _labelled_interval(s, depth)
    if labelled is not None:
        return labelled
    matrix = _MATRIX_RE.match(s)
    if matrix:
        return _matrix(matrix.group("pre").strip(), matrix.group("body"))
    union = split_top(s, ("\\cup",))
    if len(union) > 1:
        return Union(tuple(parse_structure(p, depth=depth + 1) for p in union))
    if thousands_ok and _THOUSANDS_NUM_RE.fullmatch(split_units(s)[0]):
        return Leaf(s)
    parts = split_parts(s)
    if parts is not None:
        return Collection("list", tuple(parse_structure(p, thousands_ok=False, depth=depth + 1) for p in parts))
    items = [p for p in split_top(s, _LIST_SEPS) if p]
    if len(items) > 1:
        return _list(items, depth)
    return _single(s, depth)


def _labelled_interval(s: str, depth: int) -> Node | None:
    """CollegeMATH's `inequality:interval` golds (`-1<x \\le 1:(-1,1]`): the interval after the colon."""
    parts = split_top(s, (":",))
    if len(parts) != 2 or not _REL_RE.search(parts[0]):
        return None
    tail = parse_structure(parts[1], depth=depth + 1)
    return tail if isinstance(tail, Interval | Union) else None


def _matrix(pre: str, body: str) -> Matrix:
    """Rows and cells; a scalar factor before the matrix multiplies every cell."""
    rows = [r for r in split_top(body, ("\\\\",)) if r]
    cells = [split_top(r, ("&",)) for r in rows]
    pre = _TIMES_TAIL_RE.sub("", pre)  # `2 \cdot \begin{pmatrix}`: the product sign is not part of the factor
    if pre:
        factor = "-1" if pre == "-" else pre
        cells = [[f"({factor}) \\cdot ({c})" for c in row] for row in cells]
    return Matrix(tuple(tuple(row) for row in cells))


def _inequality(s: str) -> Interval | None:
    """`x < 3`, `3 \\ge x`, `-1 < x \\le 1` as the interval of x they describe; None for anything else."""
    ops = _REL_RE.findall(s)
    parts = [p.strip() for p in _REL_RE.split(s)]
    if not 1 <= len(ops) <= 2 or not all(parts) or not all(_balanced(p) for p in parts):
        return None
    less = [op in ("<", "\\le") for op in ops]
    closed = [op in ("\\le", "\\ge") for op in ops]
    if len(ops) == 2:
        if less[0] != less[1] or not is_simple_var(parts[1]):
            return None
        lo, hi = (parts[0], parts[2]) if less[0] else (parts[2], parts[0])
        lo_c, hi_c = (closed[0], closed[1]) if less[0] else (closed[1], closed[0])
        return Interval(lo, hi, lo_c, hi_c)
    left, right = parts
    if is_simple_var(left) and not is_simple_var(right):
        bound, var_first = right, True
    elif is_simple_var(right) and not is_simple_var(left):
        bound, var_first = left, False
    else:
        return None
    if less[0] == var_first:  # x < b, b > x: an upper bound
        return Interval("-\\infty", bound, False, closed[0])
    return Interval(bound, "\\infty", closed[0], False)


def _list(items: list[str], depth: int) -> Node:
    """A bare list: `x = 1, 2` reads as the values of x; `x = 1, y = 2` as several assignments."""
    heads = split_top(items[0], ("=",))
    if len(heads) == 2 and is_simple_var(heads[0]) and all("=" not in p for p in items[1:]):
        items = [heads[1], *items[1:]]
    nodes = _flatten([parse_structure(item, thousands_ok=False, depth=depth + 1) for item in items[:MAX_ITEMS]])
    if all(isinstance(n, Interval) for n in nodes) and all(_REL_RE.search(i) for i in items):
        return Union(tuple(nodes))  # `x < -9 or x > 2`
    return Collection("list", tuple(nodes))


def _flatten(nodes: list[Node]) -> list[Node]:
    """Splice bare lists into their parent: `\\pm 1, \\pm 2` is four answers, `\\{1 \\pm \\sqrt5, -2\\}` three."""
    out: list[Node] = []
    for node in nodes:
        out.extend(node.items if isinstance(node, Collection) and node.kind == "list" else (node,))
    return out


def _single(s: str, depth: int) -> Node:
    """One item: a bracketed structure, an equation, a `\\pm` pair, or a leaf."""
    enclosed = _enclosed(s)
    if enclosed is not None:
        op, inner, cl = enclosed
        parts = split_top(inner, (",",)) if inner.strip() else []
        sub = [parse_structure(p, thousands_ok=False, depth=depth + 1) for p in parts[:MAX_ITEMS]]
        if op == "\\{":
            return Collection("set", tuple(_flatten(sub)))
        if len(parts) == 1 and (op, cl) == ("(", ")"):
            return parse_structure(inner, depth=depth + 1)
        if len(parts) == 2 and (op, cl) != ("(", ")"):
            lo, hi = parts
            return Interval(lo, hi, op == "[" and lo not in _INFINITE, cl == "]" and hi not in _INFINITE)
        if len(parts) >= 2:
            return Collection("tuple", tuple(sub))
    inequality = _inequality(s)
    if inequality is not None:
        return inequality
    for rel in ("\\approx", "=", "\\in"):
        sides = split_top(s, (rel,))
        if len(sides) >= 2 and all(sides) and not any(x.endswith(("<", ">", "!")) for x in sides[:-1]):
            rhs = parse_structure(sides[-1], depth=depth + 1)
            simple = _is_target(sides[0]) or rel == "\\approx"
            if rel == "\\in" and not simple:
                continue
            return Equation(sides[0], rhs, simple)
    if _PM_RE.search(s):  # `\\frac{3 \\pm \\sqrt{21}}{2}`: both signs, wherever the `\\pm` sits
        plus = _PM_RE.sub(lambda m: "+" if m.group(1) == "pm" else "-", s)
        minus = _PM_RE.sub(lambda m: "-" if m.group(1) == "pm" else "+", s)
        return Collection("list", (Leaf(plus.strip()), Leaf(minus.strip())))
    return Leaf(s)


def too_hard(s: str) -> bool:
    """Inputs sympy would choke on (numeric power towers such as `10^{10^{10}}`): never parsed."""
    return bool(_NUMERIC_TOWER_RE.search(s))


# ----- comparison -------------------------------------------------------------------------------


def compare(gold: Node, pred: Node, leaf: LeafEq) -> tuple[bool, str]:
    """Whether `pred` answers `gold`, and the rule that decided. Gold-first: asymmetric on purpose."""
    if isinstance(gold, Equation) or isinstance(pred, Equation):
        return _compare_equations(gold, pred, leaf)
    if isinstance(gold, Leaf) and isinstance(pred, Leaf):
        return leaf(gold.text, pred.text, "value")
    if isinstance(gold, Collection) and isinstance(pred, Collection):
        if gold.kind == "tuple" and pred.kind in ("tuple", "list"):  # `(1, 2)` answered as `1, 2`
            return _ordered(gold.items, pred.items, leaf, "tuple")
        if "tuple" in (gold.kind, pred.kind):
            return False, "tuple_vs_set"
        return _unordered(gold, pred, leaf)
    if isinstance(gold, Interval | Collection) and isinstance(pred, Interval | Collection):
        return _compare_intervals(gold, pred, leaf)
    if isinstance(gold, Union) or isinstance(pred, Union):
        g_parts = gold.parts if isinstance(gold, Union) else (gold,)
        p_parts = pred.parts if isinstance(pred, Union) else (pred,)
        return _unordered(Collection("list", g_parts), Collection("list", p_parts), leaf, "union")
    if isinstance(gold, Matrix) or isinstance(pred, Matrix):
        return _compare_matrices(gold, pred, leaf)
    # One side a lone value, the other a structure of several values: `13` vs `1,3`, `2021` vs `\pm 2021`.
    for one, many in ((gold, pred), (pred, gold)):
        if isinstance(one, Leaf) and isinstance(many, Collection) and len(many.items) == 1:
            return compare(gold if one is gold else many.items[0], pred if one is pred else many.items[0], leaf)
    return False, "shape_mismatch"


def _compare_equations(gold: Node, pred: Node, leaf: LeafEq) -> tuple[bool, str]:
    if isinstance(gold, Equation) and isinstance(pred, Equation):
        if gold.simple and pred.simple and compact(gold.lhs) == compact(pred.lhs):
            ok, rule = compare(gold.rhs, pred.rhs, leaf)
            return ok, f"assignment:{rule}"
        g_rhs, p_rhs = _eq_text(gold), _eq_text(pred)
        return leaf(g_rhs, p_rhs, "equation")
    if isinstance(gold, Equation):
        # gold `x = 3`, or a gold restating the question (`\\log \\sqrt[9]{10^{11}} = \\frac{11}{9}`): the value
        if _is_curve(gold):  # `y = 2x + 3` is a line: its right side alone does not answer it
            return False, "curve_vs_value"
        if gold.simple or not has_variables(gold.lhs):
            ok, rule = compare(gold.rhs, pred, leaf)
            return ok, f"value_of_assignment:{rule}"
        if _closed(gold.rhs) and names_quantity(gold.lhs, gold_side=True):  # `\\frac{AE}{EC} = \\frac23`
            ok, rule = compare(gold.rhs, pred, leaf)
            return ok, f"value_of_named:{rule}"
        return False, "equation_vs_value"
    assert isinstance(pred, Equation)
    if pred.simple or not has_variables(pred.lhs):
        ok, rule = compare(gold, pred.rhs, leaf)  # answer `x = 3` or a computation chain `2+1 = 3`
        return ok, f"assignment_value:{rule}"
    if _closed(pred.rhs) and names_quantity(pred.lhs, gold_side=False):  # `g(3) = 7`, `m+n = 12`
        ok, rule = compare(gold, pred.rhs, leaf)
        return ok, f"named_value:{rule}"
    return False, "value_vs_equation"


def _is_curve(eq: Equation) -> bool:
    """A coordinate given in terms of another coordinate (`y = 2x + 3`, `x = 2y - 1`): a line or a curve."""
    lhs = compact(eq.lhs)
    rhs = eq.rhs.text if isinstance(eq.rhs, Leaf) else ""
    return lhs in _COORDINATES and bool((_names(rhs) & _COORDINATES) - {lhs})


def _eq_text(eq: Equation) -> str:
    rhs = eq.rhs.text if isinstance(eq.rhs, Leaf) else "?"
    return f"{eq.lhs}={rhs}"


def _ordered(gold: tuple[Node, ...], pred: tuple[Node, ...], leaf: LeafEq, name: str) -> tuple[bool, str]:
    if len(gold) != len(pred):
        return False, f"{name}_length"
    rules = []
    for g, p in zip(gold, pred, strict=True):
        ok, rule = compare(g, p, leaf)
        if not ok:
            return False, f"{name}:{rule}"
        rules.append(rule)
    return True, f"{name}:{_summary(rules)}"


def _unordered(gold: Collection, pred: Collection, leaf: LeafEq, name: str = "set") -> tuple[bool, str]:
    """Complete and unordered: every gold item matched by a distinct answer item, nothing left over."""
    g_items, p_items = list(gold.items), list(pred.items)
    if "set" in (gold.kind, pred.kind):  # a set written with a repeated element is the same set
        g_items, p_items = _dedupe(g_items), _dedupe(p_items)
    if len(g_items) != len(p_items):
        return False, f"{name}_size"
    unused = list(range(len(p_items)))
    rules = []
    for g in g_items:
        for k in unused:
            ok, rule = compare(g, p_items[k], leaf)
            if ok:
                unused.remove(k)
                rules.append(rule)
                break
        else:
            return False, f"{name}_missing"
    return True, f"{name}:{_summary(rules)}"


def _dedupe(items: list[Node]) -> list[Node]:
    seen, out = set(), []
    for item in items:
        key = compact(item.text) if isinstance(item, Leaf) else repr(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _as_interval(node: Node) -> Interval | None:
    if isinstance(node, Interval):
        return node
    if isinstance(node, Collection) and node.kind == "tuple" and len(node.items) == 2:
        lo, hi = node.items
        if isinstance(lo, Leaf) and isinstance(hi, Leaf):
            return Interval(lo.text, hi.text, False, False)  # `(a, b)`: an open interval or a point
    return None


def _compare_intervals(gold: Node, pred: Node, leaf: LeafEq) -> tuple[bool, str]:
    g, p = _as_interval(gold), _as_interval(pred)
    if g is None or p is None:
        return False, "shape_mismatch"
    if (g.lo_closed, g.hi_closed) != (p.lo_closed, p.hi_closed):
        return False, "interval_ends"
    ok_lo, rule_lo = leaf(g.lo, p.lo, "value")
    if not ok_lo:
        return False, f"interval:{rule_lo}"
    ok_hi, rule_hi = leaf(g.hi, p.hi, "value")
    return ok_hi, f"interval:{_summary([rule_lo, rule_hi])}"


def _compare_matrices(gold: Node, pred: Node, leaf: LeafEq) -> tuple[bool, str]:
    def cells(node: Node) -> tuple[tuple[int, int], list[Node]] | None:
        if isinstance(node, Matrix):
            width = {len(r) for r in node.rows}
            if len(width) != 1:
                return None
            return (len(node.rows), width.pop()), [Leaf(c) for r in node.rows for c in r]
        if isinstance(node, Collection) and node.kind == "tuple":
            return (0, len(node.items)), list(node.items)  # a vector written as a tuple
        return None

    g, p = cells(gold), cells(pred)
    if g is None or p is None:
        return False, "shape_mismatch"
    (g_shape, g_cells), (p_shape, p_cells) = g, p
    vector_ok = 0 in (g_shape[0], p_shape[0]) and 1 in (*g_shape, *p_shape) and len(g_cells) == len(p_cells)
    if g_shape != p_shape and not vector_ok:
        return False, "matrix_shape"
    return _ordered(tuple(g_cells), tuple(p_cells), leaf, "matrix")


def _summary(rules: list[str]) -> str:
    """The strongest rule used among the parts (a symbolic step anywhere makes the whole symbolic)."""
    for key in ("probe", "simplify", "sympy", "numeric_tol", "numeric", "text", "string"):
        for rule in rules:
            if key in rule:
                return rule
    return rules[0] if rules else "empty"
