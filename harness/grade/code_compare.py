"""Output comparison for HumanEval+ / MBPP+ inputs, following evalplus's rules.

Outputs travel out of the sandbox as tagged JSON (see `_code_driver._enc`) and are decoded here,
outside the program's reach, so a value whose `__eq__` always answers True cannot pass: unknown
types decode to an opaque marker equal only to itself. Then, as evalplus does: exact equality; a
few task-specific oracles; and for float outputs `numpy.allclose(rtol=1e-7, atol)` with atol
forced to 1e-6 where the task gives none. Outputs whose encoding exceeds 64 KiB arrive as a
sha256 digest and compare exactly (no tolerance).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MBPP_SET_EQ = frozenset(
    {"similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly", "larg_nnum",
     "intersection_array", "find_dissimilar", "Diff"}
)
"""MBPP+ tasks whose list output is compared as a set (evalplus MBPP_OUTPUT_SET_EQ_TASKS)."""
MBPP_NOT_NONE = frozenset({"check_str", "text_match_three", "text_starta_endb"})
"""MBPP+ tasks whose reference output only says whether a result is not None."""


@dataclass(frozen=True)
class Digest:
    """A huge output, carried as the sha256 of its encoding; equal only to the same digest."""

    sha256: str


class Opaque:
    """A value of a type the transport does not carry; equal to nothing else."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<opaque {self.type_name}>"


def _hook(obj: dict[str, Any]) -> Any:
    (tag, v), = obj.items()
    if tag == "t":
        return tuple(v)
    if tag == "s":
        return set(v)
    if tag == "f":
        return frozenset(v)
    if tag == "d":
        return {k: x for k, x in v}
    if tag == "c":
        return complex(v[0], v[1])
    if tag == "b":
        return bytes.fromhex(v)
    if tag == "x":
        return int(v, 16)
    if tag == "h":
        return Digest(str(v))
    return Opaque(str(v))


def decode(text: str) -> Any:
    """Inverse of the driver's tagged encoding."""
    return json.loads(text, object_hook=_hook)


def parse_result_line(line: str) -> tuple[int, bool, Any]:
    """(input index, returned normally, value or error text) from one driver result line.

    Raises ValueError for a line the driver did not write in this form.
    """
    try:
        i, ok, payload = decode(line)
        return int(i), bool(ok), payload
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"malformed result line: {line[:80]!r}") from exc


def _poly(xs: Sequence[float], x: float) -> float:
    return sum(c * math.pow(x, i) for i, c in enumerate(xs))


def _surface_area(base_edge: float, height: float) -> float:
    slant = math.sqrt((base_edge / 2) ** 2 + height**2)
    return round(base_edge**2 + 4 * (base_edge * slant) / 2)


def _digit_distance(a: int, b: int) -> int:
    x, y = str(a), str(b)
    width = max(len(x), len(y))
    return sum(abs(int(p) - int(q)) for p, q in zip(x.zfill(width), y.zfill(width), strict=True))


def is_floats(x: Any) -> bool:
    """A float, or a non-empty list/tuple of floats (evalplus's test for tolerance comparison)."""
    if isinstance(x, float):
        return True
    return isinstance(x, list | tuple) and bool(x) and all(isinstance(i, float) for i in x)


def _oracle_match(out: Any, exp: Any, inp: Sequence[Any], atol: float, entry: str, exact: bool) -> bool:
    if entry == "are_equivalent":  # Mbpp/164: evalplus accepts any output
        return True
    if entry == "sum_div":
        return exact or out == 0
    if entry == "surface_Area":
        return exact or abs(out - _surface_area(*inp)) <= atol
    if entry == "digit_distance_nums":
        return exact or out == _digit_distance(*inp)
    if entry in MBPP_SET_EQ:
        return bool(set(out) == set(exp))
    if entry in MBPP_NOT_NONE:
        return bool(out == exp) if isinstance(out, bool) else bool(exp == (out is not None))
    return exact


def outputs_match(out: Any, exp: Any, inp: Sequence[Any], atol: float, oracle: str, entry: str) -> bool:
    """Whether a program's output on `inp` counts as the reference output `exp` (evalplus rules)."""
    try:
        if oracle == "humaneval" and entry == "find_zero":
            return bool(abs(_poly(inp[0], out)) <= atol)
        exact = bool(out == exp)
        if oracle == "mbpp":
            exact = _oracle_match(out, exp, inp, atol, entry, exact)
        if atol == 0 and is_floats(exp):
            atol = 1e-6
        if exact or atol == 0:
            return exact
        if type(out) is not type(exp):
            return False
        if isinstance(exp, list | tuple) and len(out) != len(exp):
            return False
        import numpy as np

        return bool(np.allclose(out, exp, rtol=1e-07, atol=atol))
    except Exception:  # a malformed output (wrong type, unhashable, ...) is simply not a match
        return False
