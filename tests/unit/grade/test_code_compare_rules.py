"""evalplus-style output comparison: tagged transport, tolerance, oracles, no forged equality."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.grade.code_compare import Opaque, decode, outputs_match

DRIVER = Path(__file__).resolve().parents[3] / "harness" / "grade" / "_code_driver.py"


def _roundtrip(expr: str):
    """Encode `expr` with the real driver's encoder in a subprocess, decode here."""
    code = f"import runpy; d = runpy.run_path({str(DRIVER)!r}); import json; print(json.dumps(d['_enc']({expr})))"
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=True)
    return decode(out.stdout)


def test_roundtrip_keeps_types():
    got = _roundtrip("[(1, 2.5), {'a': {3, 4}}, frozenset([1]), 1+2j, b'x', None, True, 10**30, 'é']")
    assert got == [(1, 2.5), {"a": {3, 4}}, frozenset([1]), 1 + 2j, b"x", None, True, 10**30, "é"]
    assert type(got[0]) is tuple and type(got[6]) is bool


def test_objects_with_forged_eq_are_opaque():
    got = _roundtrip("type('Eq', (), {'__eq__': lambda s, o: True, '__hash__': lambda s: 0})()")
    assert isinstance(got, Opaque)
    assert not outputs_match(got, 5, [1], 0.0, "humaneval", "f")


@pytest.mark.parametrize(
    ("out", "exp", "atol", "entry", "oracle", "want"),
    [
        (1.0000001, 1.0, 0.0, "f", "humaneval", True),  # float outputs get atol 1e-6
        (1.001, 1.0, 0.0, "f", "humaneval", False),
        ([1.0, 2.0000001], [1.0, 2.0], 0.0, "f", "humaneval", True),
        ((1.0,), [1.0], 1e-6, "f", "humaneval", False),  # tolerance needs the same type
        (3, 3.0, 0.0, "f", "humaneval", True),
        ((4, 5), (5, 4), 0.0, "similar_elements", "mbpp", True),  # set-equality task
        ("match", True, 0.0, "text_match_three", "mbpp", True),  # not-None task
        (None, True, 0.0, "text_match_three", "mbpp", False),
        (0, 7, 0.0, "sum_div", "mbpp", True),
        (0.3, 0.5, 1e-4, "find_zero", "humaneval", False),
    ],
)
def test_rules(out, exp, atol, entry, oracle, want):
    inp = [[-1, 2]] if entry == "find_zero" else [1]
    assert outputs_match(out, exp, inp, atol, oracle, entry) is want


def test_find_zero_uses_the_polynomial():
    assert outputs_match(0.5, 123.0, [[-1, 2]], 1e-4, "humaneval", "find_zero")


def test_decode_rejects_nothing_silently():
    assert decode(json.dumps({"o": "generator"})).type_name == "generator"


def test_builtin_subclasses_travel_as_their_content():
    got = _roundtrip("__import__('collections').Counter('aab')")
    assert got == {"a": 2, "b": 1} and type(got) is dict
    forged = _roundtrip("type('L', (list,), {'__iter__': lambda s: iter([5]), '__eq__': lambda s, o: True})([1, 2])")
    assert forged == [1, 2]
