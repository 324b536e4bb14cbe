"""Answer comparison without sympy: grading hints, tolerances, exact literals and the shared entry point.

`compare_answers` runs twice at most: first in the parent with `fast_leaf` (strings, exact
rationals, percents, text and choice letters), and only if that raises `NeedSympy` again in a
pool worker with the symbolic leaf comparator.

Numeric policy (documented, and the reason `50` never equals `0.5`):
- integers and fractions are exact: they must be equal as rationals (`1/2004!` is never `1/2006!`);
- when either side is a written non-integer decimal, |a-b| <= rel_tol * max(|a|,|b|) (or
  |a-b| <= abs_tol when one side is exactly zero) *and* the decimal is a correct rounding of the
  other side at its written precision (|a-b| <= half a unit in its last digit): `16386.17` is not
  `16386.16`, while `3.333333` does equal `10/3` and GSM-Hard's float gold `3.3333333333333335`
  (decimals longer than 12 digits are float artifacts and claim no precision);
- a decimal answer for an exact *irrational* gold (`3.14159` for `\\pi`, `1.41421356` for `\\sqrt{2}`) is
  wrong even within rel_tol: the question asked for the exact value (rule `decimal_for_irrational`);
- exact values that are not plain rationals are compared by evaluation at enough digits to separate
  neighbouring integers (`2^{100}` vs that plus one is wrong), never through floats;
- a benchmark tolerance (OlympiadBench `error`) replaces both with |a-b| <= tolerance;
- a percent sign on one side only: `10\\%` equals `10` and `0.1`; without a sign nothing is rescaled. The
  sign may be read as a label (`10\\%` for a gold `10`) only when the gold could be a count of percent
  (an integer, a decimal or a mixed number): `\\frac{1}{3}\\%` is 1/300, never the gold `\\frac13`;
- `integer_answer` (AIME): exact only, no tolerance (`025` equals `25`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from harness.grade.math_normalize import (
    BASE_N_RE,
    CHOICE_RE,
    CLOCK_RE,
    WORD_RE,
    Literal,
    base_value,
    compact,
    normalize,
    parse_base,
    parse_literal,
    plain_digits,
    split_units,
    strip_unit_text,
    unit_key,
)
from harness.grade.math_structure import (
    Collection,
    LeafMode,
    NeedSympy,
    compare,
    parse_structure,
    too_hard,
)

MAX_NESTING = 60


@dataclass(frozen=True)
class Hints:
    """Per-item grading hints, read from `Sample.meta` (see docs/CONTRACTS.md)."""

    tolerance: float | None = None
    multi_answer: bool = False
    unit: str = ""
    answer_type: str = ""
    integer_answer: bool = False
    ordered: bool = False
    """The gold's bare list is a sequence (CollegeMATH "first four terms"): its answers must come in order."""

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any] | None) -> Hints:
        meta = meta or {}
        tol = meta.get("tolerance")
        return cls(
            tolerance=float(tol) if tol not in (None, "") else None,
            multi_answer=bool(meta.get("multi_answer", False)),
            unit=str(meta.get("unit") or ""),
            answer_type=str(meta.get("answer_type") or ""),
            integer_answer=bool(meta.get("integer_answer", False)),
            ordered=bool(meta.get("ordered", False)),
        )


@dataclass(frozen=True)
class Tolerances:
    """Numeric tolerances from MathGradeConfig."""

    rel_tol: float = 1e-6
    abs_tol: float = 1e-9


def numbers_equal(
    g: Fraction, p: Fraction, inexact: bool, hints: Hints, tol: Tolerances, digits: int | None = None
) -> tuple[bool, str]:
    """The numeric policy of this module's docstring, on exact rationals (`digits`: written precision)."""
    if g == p:
        return True, "numeric_exact"
    if hints.integer_answer:
        return False, "numeric_exact"
    if hints.tolerance is not None:
        return abs(g - p) <= Fraction(hints.tolerance), "numeric_tol_item"
    if not inexact:
        return False, "numeric_exact"
    diff, scale = abs(g - p), max(abs(g), abs(p))
    if digits is not None and diff > Fraction(1, 2 * 10**digits):
        return False, "numeric_precision"
    if 0 in (g, p):
        return diff <= Fraction(tol.abs_tol), "numeric_tol_abs"
    return diff <= Fraction(tol.rel_tol) * scale, "numeric_tol_rel"


# A count of percent: an integer or a decimal (separators allowed), or a mixed number `33\frac{1}{3}`.
_PERCENT_COUNT_RE = re.compile(r"^[-+]?(?:[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+|[0-9]+\\frac\{[0-9]+\}\{[0-9]+\})%?$")


def percent_like(gold: str) -> bool:
    """Whether a gold could be a number of percent, so that an answer's `%` may be only a label.

    Integers, decimals and mixed numbers (`33\\frac{1}{3}`) can; a plain fraction (`\\frac13`, `1/3`)
    or any other expression (`\\sqrt{2}`) cannot.
    """
    return bool(_PERCENT_COUNT_RE.match(compact(gold)))


def literals_equal(
    g: Literal, p: Literal, hints: Hints, tol: Tolerances, label_ok: bool = True
) -> tuple[bool, str]:
    """Compare two literals, applying the one-sided percent rule (`label_ok`: see `percent_like`)."""
    inexact = g.decimal or p.decimal
    # A decimal with more than 12 fractional digits claims no precision (float artifacts, GSM-Hard golds).
    digits = min((x.digits for x in (g, p) if x.decimal and x.digits <= 12), default=None)
    candidates = [p.value]
    if p.percent and not g.percent:
        candidates = [p.value, p.value / 100] if label_ok else [p.value / 100]
    elif g.percent and not p.percent:
        candidates.append(p.value * 100)
    rule = "numeric_exact"
    for value in candidates:
        scaled = value != p.value
        ok, rule = numbers_equal(g.value, value, inexact, hints, tol, None if scaled else digits)
        if ok:
            return True, rule + ("_percent" if scaled else "")
    return False, rule


def fast_leaf_eq(hints: Hints, tol: Tolerances) -> Any:
    """The parent's leaf comparator: decides strings, literals, text and choices; else NeedSympy."""

    def leaf(g: str, p: str, mode: LeafMode) -> tuple[bool, str]:
        if compact(g) == compact(p):
            return True, "string"
        if mode == "equation":
            raise NeedSympy
        if "_" in g or "_" in p:  # `221_3`: a numeral in base 3, or `1011_{10}`
            based, g, p = _compare_bases(g, p)
            if based is not None:
                return based
        g_clock, p_clock = CLOCK_RE.match(compact(g)), CLOCK_RE.match(compact(p))
        if g_clock or p_clock:  # `12:00` is a time or a ratio, never a number: every part must agree
            same = bool(g_clock and p_clock and _ints(g) == _ints(p))
            return same, "clock"
        (g_num, g_unit), (p_num, p_unit) = split_units(g), split_units(p)
        g_key, p_key = unit_key(g_unit), unit_key(p_unit)
        if g_unit and p_unit and g_key is not None and p_key is not None and g_key != p_key:
            return False, "unit_mismatch"
        g_lit = parse_literal(g, thousands=not hints.multi_answer) or parse_literal(g_num, thousands=False)
        if g_lit is not None:
            p_lit = parse_literal(p) or parse_literal(p_num)
            if p_lit is not None:
                return literals_equal(g_lit, p_lit, hints, tol, percent_like(g))
            if hints.integer_answer and not re.search(r"\\|[a-zA-Z]", p):
                return False, "not_a_number"
        g_choice, p_choice = CHOICE_RE.match(compact(g)), CHOICE_RE.match(compact(p))
        if g_choice and p_choice:
            return g_choice.group(1) == p_choice.group(1), "choice"
        if _is_text(g):
            return _is_text(p) and compact(g).lower() == compact(p).lower(), "text"
        raise NeedSympy

    return leaf


def _compare_bases(g: str, p: str) -> tuple[tuple[bool, str] | None, str, str]:
    """Numerals with a base subscript: (verdict or None, gold, answer) with base-10 numerals made plain.

    `221_3` is a numeral in base 3 (sympy would drop the subscript); `1011_{10}` is the number 1011.
    An answer without a subscript is read as digits in the gold's base (the base the question asked
    for): `4123` answers `4123_5`, `538` (its decimal value) does not. An answer in another base than
    the gold's, `4123_{10}` included, is wrong.
    """
    g_num, p_num = parse_base(g), parse_base(p)
    if g_num is not None and g_num.base == 10:
        g, g_num = str(g_num.value), None
    if p_num is not None and p_num.base == 10:
        if g_num is not None:
            return (False, "base_n"), g, p
        p, p_num = str(p_num.value), None
    if g_num is None and p_num is None:
        g_raw, p_raw = BASE_N_RE.match(compact(g)), BASE_N_RE.match(compact(p))
        if g_raw or p_raw:  # subscripted names (`a_1`): equal only as written
            return (bool(g_raw and p_raw and g_raw.groups() == p_raw.groups()), "base_n"), g, p
        return None, g, p
    if g_num is not None and p_num is not None:
        return (g_num.base == p_num.base and g_num.value == p_num.value, "base_n"), g, p
    if g_num is not None:
        digits = plain_digits(p)
        value = base_value(digits, g_num.base) if digits is not None else None
        return (value is not None and value == g_num.value, "base_n_digits"), g, p
    return (False, "base_n"), g, p


_SHORT_WORDS = frozenset({"yes", "no", "odd", "all", "none", "true", "false", "both"})


def _ints(s: str) -> list[int]:
    return [int(x) for x in compact(s).split(":")]


def _is_text(s: str) -> bool:
    """A word answer ("even", "no solution", "Yes"), as opposed to `ab` or `p - q` (products, differences)."""
    words = s.split()
    if not words or not all(WORD_RE.match(w) for w in words):
        return False
    if len(words) == 1:
        return len(s.strip()) >= 4 or s.strip().lower() in _SHORT_WORDS
    return any(len(w) >= 3 for w in words)


@dataclass(frozen=True)
class Prepared:
    """Normalised gold and answer, or a verdict already reached while normalising."""

    gold: str
    pred: str
    verdict: tuple[bool, str] | None = None


def prepare(gold: str, pred: str, hints: Hints, max_chars: int) -> Prepared:
    """Normalise both sides and apply the size, nesting and power-tower bounds before any parsing.

    A side longer than `4 * max_chars` is not normalised at all (that bounds the work): it is never
    cut to a prefix, which could equal the other side (`1...1` for `1...1+1`), and only an exact
    match of the raw strings is credited.
    """
    raw_limit = max_chars * 4
    if len(pred) > raw_limit or len(gold) > raw_limit:
        if gold.strip() == pred.strip():
            return Prepared(gold[:max_chars], pred[:max_chars], (True, "string"))
        rule = "answer_too_large" if len(pred) > raw_limit else "gold_too_large_string_only"
        return Prepared(gold[:max_chars], pred[:max_chars], (False, rule))
    g, p = normalize(gold), normalize(pred)
    if hints.unit:
        g, p = strip_unit_text(g, hints.unit), strip_unit_text(p, hints.unit)
    if compact(g) == compact(p):
        return Prepared(g, p, (True, "string"))
    if not p:
        return Prepared(g, p, (False, "empty_answer"))
    if len(p) > max_chars or _nesting(p) > MAX_NESTING:
        return Prepared(g, p, (False, "answer_too_large"))
    if len(g) > max_chars or _nesting(g) > MAX_NESTING:
        return Prepared(g, p, (False, "gold_too_large_string_only"))
    return Prepared(g, p)


def _nesting(s: str) -> int:
    depth = best = 0
    for ch in s:
        if ch in "([{":
            depth += 1
            best = max(best, depth)
        elif ch in ")]}":
            depth -= 1
    return best


def compare_answers(prep: Prepared, hints: Hints, leaf: Any) -> tuple[bool, str]:
    """Structure-aware comparison of prepared answers with the given leaf comparator."""
    if prep.verdict is not None:
        return prep.verdict
    g_tree = parse_structure(prep.gold, thousands_ok=not hints.multi_answer)
    p_tree = parse_structure(prep.pred, thousands_ok=not hints.multi_answer)
    if hints.ordered and isinstance(g_tree, Collection) and g_tree.kind == "list":
        g_tree = Collection("tuple", g_tree.items)  # a sequence; a `\{...\}` set gold stays unordered
    return compare(g_tree, p_tree, leaf)


def symbolic_allowed(prep: Prepared) -> bool:
    """False for inputs that must never reach sympy (numeric power towers)."""
    return not (too_hard(prep.gold) or too_hard(prep.pred))
