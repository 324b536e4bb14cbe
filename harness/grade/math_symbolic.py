"""Symbolic leaf comparison with sympy, run only inside pool workers (never in the parent).

Expressions are parsed by latex2sympy2_extended (math-verify's maintained LaTeX parser, used as a
library with its signal timeouts unused); the pool enforces time and memory by killing workers.
Closed numbers are compared by evaluation at 30 digits (exact forms must agree to 1e-20 relative;
a written decimal gets the configured tolerance); expressions with free symbols by `expand`, then by
evaluation at fixed probe points (any clear difference is decisive), then `simplify`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy
from latex2sympy2_extended.latex2sympy2 import ConversionConfig, NormalizationConfig, latex2sympy
from math_verify.grader import should_treat_as_complex

from harness.grade.math_compare import (
    Hints,
    Prepared,
    Tolerances,
    compare_answers,
    fast_leaf_eq,
    percent_like,
    prepare,
)
from harness.grade.math_normalize import split_units, strip_percent, strip_units
from harness.grade.math_structure import LeafMode, NeedSympy

_NORM = NormalizationConfig(
    basic_latex=True, units=False, malformed_operators=True, nits=False, boxed="none", equations=False
)
_CONV = ConversionConfig(lowercase_symbols=False, interpret_simple_eq_as_assignment=False)
_EXACT_REL = sympy.Float("1e-20", 30)
_PROBES = (0.3183, 1.2719, 2.1374, -0.7316, 0.5772, 3.4142, -1.6180)
MAX_EXACT_DIGITS = 2000


class Unparsed(Exception):
    """latex2sympy could not read the expression."""


@lru_cache(maxsize=4096)
def to_sympy(latex: str) -> Any:
    """Parse one leaf; `i` is the imaginary unit."""
    try:
        expr = latex2sympy(
            latex, is_real=not should_treat_as_complex(latex), normalization_config=_NORM, conversion_config=_CONV
        )
    except Exception as exc:  # the parser raises many types; all mean "not readable"
        raise Unparsed(type(exc).__name__) from None
    if isinstance(expr, sympy.Basic):
        imaginary = [sym for sym in expr.free_symbols if getattr(sym, "name", "") == "i"]
        if imaginary:  # the parser's `i` carries assumptions, so match it by name
            expr = expr.subs(imaginary[0], sympy.I)
    return expr


def _has_float(expr: Any) -> bool:
    return isinstance(expr, sympy.Basic) and any(isinstance(a, sympy.Float) for a in expr.atoms(sympy.Number))


def _close(a: Any, b: Any, rel: Any, abs_tol: float) -> bool:
    diff = abs(a - b)
    scale = max(abs(a), abs(b))
    if scale == 0:
        return True
    if a == 0 or b == 0:
        return bool(diff <= abs_tol)
    return bool(diff <= rel * scale)


def _irrational(x: Any) -> bool:
    """An exact value with an irrational real or imaginary part (`\\pi`, `1+\\sqrt{2}i`)."""
    return any(part.is_rational is False for part in (sympy.re(x), sympy.im(x)))


def numbers_close(a: Any, b: Any, hints: Hints, tol: Tolerances) -> tuple[bool, str] | None:
    """Compare closed gold `a` and answer `b`; None if either is not a finite number.

    Exact rationals compare exactly; other exact values by evaluation at enough digits to tell
    integers apart (`2^{100}` vs that plus one); a decimal answer for an irrational exact gold is
    wrong even within tolerance (`3.14159` is not `\\pi`), unless the item gives a tolerance.
    """
    floats = _has_float(a) or _has_float(b)
    if not floats and a.is_Rational and b.is_Rational:
        return a == b, "sympy_exact"
    va, vb = sympy.N(a, 30), sympy.N(b, 30)
    if not (va.is_number and vb.is_number) or not (va.is_finite and vb.is_finite):
        return None
    if hints.tolerance is not None and not hints.integer_answer:
        return bool(abs(complex(va) - complex(vb)) <= hints.tolerance), "sympy_numeric_tol_item"
    if floats and not hints.integer_answer:
        if not _has_float(a) and _has_float(b) and _irrational(a):
            return False, "decimal_for_irrational"
        return _close(_c(va), _c(vb), tol.rel_tol, tol.abs_tol), "sympy_numeric_tol"
    scale = max(abs(_c(va)), abs(_c(vb)), 1)
    digits = min(30 + int(sympy.log(scale, 10).evalf(5)), MAX_EXACT_DIGITS)
    va, vb = sympy.N(a, digits), sympy.N(b, digits)
    return _close(_c(va), _c(vb), sympy.Float(10) ** (10 - digits), 0.0), "sympy_numeric_exact"


def _c(v: Any) -> Any:
    return v if v.is_real else complex(v)


def _real_value(expr: Any, point: dict[Any, float]) -> Any:
    """The value at `point` when it is a finite real number, else None (outside the real domain)."""
    try:
        value = sympy.N(expr.subs(point), 20)
    except Exception:
        return None
    if not value.is_number or value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return None
    re_part, im_part = (float(x) for x in value.as_real_imag())
    return re_part if abs(im_part) <= 1e-12 * max(1.0, abs(re_part)) else None


def _probe(a: Any, b: Any, symbols: list[Any]) -> tuple[bool, int]:
    """(no point shows a difference, number of points where both sides are real and finite).

    Points where either side leaves the real domain are skipped, so `\\sqrt{1/n}` equals
    `\\frac{1}{\\sqrt{n}}` while `|x|` still differs from `x` (both real at negative x).
    """
    valid = 0
    for k in range(len(_PROBES)):
        point = {s: _PROBES[(k + j) % len(_PROBES)] + 0.1 * j for j, s in enumerate(symbols)}
        va, vb = _real_value(a, point), _real_value(b, point)
        if va is None or vb is None:
            continue
        valid += 1
        if abs(va - vb) > 1e-9 * max(1.0, abs(va), abs(vb)):
            return False, valid
    return True, valid


def exprs_equal(a: Any, b: Any, hints: Hints, tol: Tolerances) -> tuple[bool, str]:
    """Equality of two parsed leaves."""
    if isinstance(a, sympy.MatrixBase) or isinstance(b, sympy.MatrixBase):
        if not (isinstance(a, sympy.MatrixBase) and isinstance(b, sympy.MatrixBase)) or a.shape != b.shape:
            return False, "sympy_matrix_shape"
        pairs = [exprs_equal(x, y, hints, tol) for x, y in zip(a, b, strict=True)]
        return all(ok for ok, _ in pairs), "sympy_matrix"
    if isinstance(a, sympy.core.relational.Relational) or isinstance(b, sympy.core.relational.Relational):
        return _relations_equal(a, b, hints, tol)
    if not (isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr)):
        return (a == b), "sympy_structural"
    if a == b:
        return True, "sympy_structural"
    free = sorted(a.free_symbols | b.free_symbols, key=str)
    if not free:
        decided = numbers_close(a, b, hints, tol)
        if decided is not None:
            return decided
    d = a - b
    if sympy.expand(d) == 0:
        return True, "sympy_expand"
    if free:
        same, valid = _probe(a, b, free)
        if not same:
            return False, "sympy_probe_differs"
        if valid >= 4:
            return True, "sympy_probe"
    return sympy.simplify(d) == 0, "sympy_simplify"


def _relations_equal(a: Any, b: Any, hints: Hints, tol: Tolerances) -> tuple[bool, str]:
    """`x <= 3` equals `3 >= x`; equations equal when lhs-rhs agree up to a nonzero constant factor."""
    rel = sympy.core.relational
    if not (isinstance(a, rel.Relational) and isinstance(b, rel.Relational)):
        return False, "sympy_relation_vs_value"
    if isinstance(a, rel.Eq) and isinstance(b, rel.Eq):
        return _proportional(a.lhs - a.rhs, b.lhs - b.rhs)
    a, b = a.canonical, b.canonical
    if type(a) is not type(b):
        return False, "sympy_relation_kind"
    return _proportional(a.lhs - a.rhs, b.lhs - b.rhs, positive=True)


def _proportional(e1: Any, e2: Any, positive: bool = False) -> tuple[bool, str]:
    if sympy.expand(e1 - e2) == 0:
        return True, "sympy_equation"
    if e2 == 0:
        return False, "sympy_equation"
    ratio = sympy.simplify(e1 / e2)
    ok = bool(ratio.is_number and ratio != 0 and ratio.is_finite and (not positive or ratio.is_positive))
    return ok, "sympy_equation_scaled"


def symbolic_leaf_eq(hints: Hints, tol: Tolerances) -> Any:
    """The worker's leaf comparator: the parent's fast checks first, then sympy."""
    fast = fast_leaf_eq(hints, tol)

    def leaf(g: str, p: str, mode: LeafMode) -> tuple[bool, str]:
        try:
            return fast(g, p, mode)  # type: ignore[no-any-return]
        except NeedSympy:
            pass
        g_num, _ = split_units(g)  # `g` itself when it has no unit
        try:
            ga = to_sympy(g_num)
        except Unparsed:
            return False, "gold_unparsed"
        p_body, p_pct = strip_percent(p)
        candidates = [(p, False)]
        if p_pct:  # `\sqrt{2}\%` is read as a label only for a gold that could count percent
            candidates = [(p_body, False), (f"({p_body})/100", True)][0 if percent_like(g_num) else 1 :]
        parsed = False  # some candidate parsed as written (units kept)
        for cand, scaled in candidates:
            for text in dict.fromkeys((cand, strip_units(cand))):
                try:
                    pa = to_sympy(text)
                except Unparsed:
                    continue
                parsed = parsed or text == cand
                ok, rule = exprs_equal(ga, pa, hints, tol)
                if ok:
                    return True, rule + ("_percent" if scaled else "")
        return False, "sympy_not_equal" if parsed else "answer_unparsed"

    return leaf


def check_symbolic(prep: Prepared, hints: Hints, tol: Tolerances) -> tuple[bool, str]:
    """Full comparison of one pair the parent has prepared, in a worker (the job function of the pool)."""
    return compare_answers(prep, hints, symbolic_leaf_eq(hints, tol))


def warm_up() -> None:
    """Pay the parser's first-use cost before a worker reports ready."""
    check_symbolic(prepare("\\frac{\\sqrt{2}}{2}", "x^2+1", Hints(), 100), Hints(), Tolerances())
