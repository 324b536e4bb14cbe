"""Agreement of our math grader with the labels of math-verify's own test suite (its sdist's tests/).

math-verify's wheel ships no tests; its source distribution does. Every `(gold, pred, expected)` row
of its parametrized tests (test_all, test_numina_cases, test_open_thoughts, test_yujianll,
test_boxed) is collected, an answer is taken from each side (box or answer phrase; else the last
`$...$` / `\\(...\\)` / `\\[...\\]` span; else the whole string) and graded by `MathChecker`.
The labels are math-verify's conventions (a decimal comma `1000,99` is 1000.99 there, never here),
so this measures agreement with that grader's intent, not with a human. Prints the agreement, the
count of each kind of disagreement and every disagreement.

Run:
    pip download math-verify==0.9.0 --no-binary :all: --no-deps -d /tmp/mv && tar xzf /tmp/mv/*.tar.gz -C /tmp/mv
    .venv/bin/python tests/perf/math_verify_labels.py /tmp/mv/math_verify-0.9.0
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

MODULES = ("test_all", "test_numina_cases", "test_open_thoughts", "test_yujianll", "test_boxed")
_SPAN_RE = re.compile(r"\$\$([^$]+)\$\$|\\\[(.+?)\\\]|\\\((.+?)\\\)|(?<![\\$])\$([^$]+)\$", re.S)


def collect(sdist: Path) -> list[tuple[str, str, bool]]:
    """(gold, pred, expected) of every parametrized row whose first names are gold and pred."""
    import pytest

    rows: list[tuple[str, str, bool]] = []
    original = pytest.mark.parametrize

    def record(names: Any, values: Any, *args: Any, **kwargs: Any) -> Any:
        keys = [n.strip() for n in (names.split(",") if isinstance(names, str) else names)]
        if keys[:2] == ["gold", "pred"]:
            for value in values:
                row = dict(zip(keys, getattr(value, "values", value), strict=False))
                expected = row.get("expected", row.get("result"))
                if expected in (0, 1, True, False):
                    rows.append((str(row["gold"]), str(row["pred"]), bool(expected)))
        return original(names, values, *args, **kwargs)

    sys.path.insert(0, str(sdist))
    pytest.mark.parametrize = record  # type: ignore[method-assign]
    try:
        for name in MODULES:
            importlib.import_module(f"tests.{name}")
    finally:
        pytest.mark.parametrize = original  # type: ignore[method-assign]
    return rows


def answer(text: str) -> str:
    from harness.extract.math import extract_math

    found = extract_math(text).answer
    if found:
        return found
    spans = list(_SPAN_RE.finditer(text))
    if spans:
        return next(g for g in spans[-1].groups() if g is not None).strip()
    return text.strip()


def main() -> int:
    from harness.config import MathGradeConfig
    from harness.grade.math_equiv import EquivItem, MathChecker

    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    rows = collect(Path(sys.argv[1]))
    items = [EquivItem(answer(gold), answer(pred)) for gold, pred, _ in rows]
    with MathChecker(MathGradeConfig(workers=2, timeout_s=10.0)) as checker:
        results = checker.check_many(items)
    agree = sum(r.equal == expected for r, (_, _, expected) in zip(results, rows, strict=True))
    ours_only = sum(r.equal and not e for r, (_, _, e) in zip(results, rows, strict=True))
    theirs_only = sum(e and not r.equal for r, (_, _, e) in zip(results, rows, strict=True))
    print(f"pairs {len(rows)}; agreement {agree}/{len(rows)} ({100 * agree / len(rows):.2f}%)")
    print(f"ours correct, label incorrect: {ours_only}; ours incorrect, label correct: {theirs_only}")
    for r, item, (_, _, expected) in zip(results, items, rows, strict=True):
        if r.equal != expected:
            print(f"  label={expected} ours={r.equal} rule={r.rule} gold={item.gold!r} pred={item.answer!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
