"""Scale-up pieces without models: nested, append-stable subsets; corrupted answers; the gate on runs
whose scores differ by known amounts (real `harness compare` statistics); one-line bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from synth.cli import main
from synth.errors import SynthError
from synth.scaleup.data import corrupt, ordered, resolve_sizes

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scaleup_recipe import rows, write_recipe

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
from runfactory import write_run


def test_subsets_are_nested_and_stay_put_when_the_data_grows(tmp_path: Path) -> None:
    first = ordered(rows(50), seed=3, out=tmp_path)
    assert sorted(r["completion"][0]["content"] for r in first) == sorted(r["completion"][0]["content"]
                                                                             for r in rows(50))
    assert first != rows(50), "a seeded order, not file order"
    grown = ordered(rows(50) + rows(30, start=50) + rows(5), seed=3, out=tmp_path)  # appended, with duplicates
    assert len(grown) == 80 and grown[:50] == first, "rows already ordered keep their places"
    assert ordered(rows(50), seed=3, out=tmp_path / "fresh") == first, "the order depends on content and seed only"
    assert ordered(rows(50), seed=4, out=tmp_path / "other") != first


def test_sizes_resolve_from_counts_or_fractions() -> None:
    assert resolve_sizes([0.25, 0.5, 1.0], 80) == [20, 40, 80]
    assert resolve_sizes([10, 40], 80) == [10, 40]
    with pytest.raises(SynthError, match="100 rows asked, the data has 80"):
        resolve_sizes([10, 100], 80)


def test_corrupt_shifts_every_boxed_answer() -> None:
    bad = corrupt(rows(40), seed=0)
    for good, wrong in zip(rows(40), bad, strict=True):
        g, w = good["completion"][0]["content"], wrong["completion"][0]["content"]
        assert g.split("\\boxed")[0] == w.split("\\boxed")[0] and g != w and good["prompt"] == wrong["prompt"]


def _gate(tmp_path: Path, prev: list[bool], new: list[bool]) -> list[Any]:
    from harness.store.reader import load_run
    from synth.scaleup.report import compare_points, gate

    runs = [load_run(write_run(tmp_path, name, {"arith": outcome}))
            for name, outcome in (("base", [False] * len(prev)), ("p1", prev), ("p2", new))]
    cfg: Any = type("C", (), {"compare": type("S", (), {"alpha": 0.05, "min_delta": 1.0, "gate": ("arith",),
                                                         "seed": 0, "n_boot": 2000})})
    return gate(cfg, compare_points(cfg, runs))


def test_gate_fires_on_a_real_regression_and_names_it(tmp_path: Path) -> None:
    prev = [i % 10 < 8 for i in range(200)]   # 80%
    new = [i % 10 < 5 for i in range(200)]    # 50%: 60 items newly broken
    (failure,) = _gate(tmp_path, prev, new)
    assert failure.benchmark == "arith" and round(100 * failure.delta) == -30 and failure.p_value < 1e-6
    assert failure.ci[1] < 0 and len(failure.newly_broken) == 60
    line = failure.line(200, 100)
    assert line.startswith("REGRESSION arith: size 200 vs 100: -30.0 points") and "60 items newly broken" in line


def test_gate_stays_quiet_on_noise(tmp_path: Path) -> None:
    prev = [i % 10 < 5 for i in range(200)]
    new = [(i + 1) % 10 < 5 if i < 20 else i % 10 < 5 for i in range(200)]  # a few items flip both ways
    assert _gate(tmp_path, prev, new) == []


@pytest.mark.parametrize(("over", "expect"), [
    ({"sizes": [20, 10]}, "must be positive and increasing"),
    ({"sizes": [10, 400]}, "400 rows asked, the data has 40"),
    ({"eval__benchmarks": ["gsm9k"]}, "unknown benchmark 'gsm9k'"),
    ({"base__model": "/nowhere/ckpt"}, "scale_up.base: no checkpoint at '/nowhere/ckpt'"),
    ({"data__sources": [{"path": "BAD"}]}, "row 1: needs prompt and completion fields (found: question)"),
])
def test_bad_scaleup_input_is_one_line(over: dict[str, Any], expect: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    base = tmp_path / "base"
    base.mkdir()
    (base / "config.json").write_text("{}")
    if over.get("data__sources") == [{"path": "BAD"}]:
        bad = tmp_path / "bad.jsonl"
        bad.write_text(json.dumps({"question": "x"}) + "\n")
        over = {"data__sources": [{"path": str(bad)}]}
    code = main(["scale-up", str(write_recipe(tmp_path, base, **over))])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and expect in err, err
    assert not list((tmp_path / "out").glob("points/*/sft"))
