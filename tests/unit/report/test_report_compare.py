"""Regression verdicts between two runs: known differences get the right verdicts and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runfactory import cli, write_run

from harness.report.compare import CompareConfig, ComparisonError, compare_runs
from harness.report.stats import StatsConfig, mcnemar_exact
from harness.store.reader import load_run


def _pair(tmp_path: Path, base: list, new: list, bench: str = "gsm8k",
          base_kw: dict | None = None, new_kw: dict | None = None) -> tuple[Path, Path]:
    a = write_run(tmp_path, "base", {bench: base}, **(base_kw or {}))
    b = write_run(tmp_path, "new", {bench: new}, **(new_kw or {}))
    return a, b


def test_clearly_better_and_its_reverse(tmp_path: Path) -> None:
    base = [i < 40 for i in range(100)]
    new = [i < 70 for i in range(100)]
    a, b = _pair(tmp_path, base, new)
    code, out, _ = cli(["compare", str(a), str(b), "--format", "json", "--fail-on-regression"])
    res = json.loads(out)["benchmarks"][0]
    assert code == 0
    assert res["verdict"] == "better"
    assert res["result"]["delta"] == pytest.approx(0.30)
    assert res["result"]["test"] == "mcnemar-exact"
    assert res["result"]["p_value"] < 1e-6  # 30 discordant pairs, all one way: 2 * 0.5**30
    assert res["newly_solved"] == [str(i) for i in range(40, 70)] and res["newly_broken"] == []
    assert 0.2 < res["result"]["ci"][0] < 0.3 < res["result"]["ci"][1] < 0.4
    code, out, _ = cli(["compare", str(b), str(a), "--fail-on-regression"])
    assert code == 1
    assert "worse REGRESSION" in out
    assert cli(["compare", str(b), str(a)])[0] == 0  # without the flag a regression is reported, not failed


def test_identical_runs_show_no_change(tmp_path: Path) -> None:
    flags = [i % 3 == 0 for i in range(60)]
    a, b = _pair(tmp_path, flags, flags)
    comp = compare_runs(load_run(a), load_run(b), CompareConfig())
    (res,) = comp.benchmarks
    assert res.verdict == "no significant change"
    assert res.result.p_value == 1.0 and res.result.delta == 0.0 and res.result.ci == (0.0, 0.0)
    assert not comp.has_regression


def test_one_item_change_on_30_items_is_not_significant(tmp_path: Path) -> None:
    base = [i < 15 for i in range(30)]
    new = list(base)
    new[5] = False
    a, b = _pair(tmp_path, base, new, bench="aime24")
    code, out, _ = cli(["compare", str(a), str(b), "--fail-on-regression", "--format", "json"])
    res = json.loads(out)["benchmarks"][0]
    assert code == 0
    assert res["verdict"] == "no significant change"
    assert res["result"]["p_value"] == 1.0  # one discordant pair: binomial(1, 0.5) two-sided
    assert res["newly_broken"] == ["5"]
    assert res["result"]["delta"] == pytest.approx(-1 / 30)


def test_significant_drop_below_min_delta_is_not_a_regression(tmp_path: Path) -> None:
    base = [True] * 2000
    new = [i >= 40 for i in range(2000)]  # 40 broken of 2000: -2 points, p ~ 1e-12
    a, b = _pair(tmp_path, base, new)
    assert cli(["compare", str(a), str(b), "--fail-on-regression", "--min-delta", "3"])[0] == 0
    code, out, _ = cli(["compare", str(a), str(b), "--fail-on-regression", "--min-delta", "1"])
    assert code == 1 and "REGRESSION" in out


def test_mcnemar_matches_hand_computed_binomial() -> None:
    # 8 gained, 1 lost: p = 2 * (C(9,8) + C(9,9)) / 2**9 = 20/512
    base = [0.0] * 8 + [1.0] + [1.0] * 5
    new = [1.0] * 8 + [0.0] + [1.0] * 5
    assert mcnemar_exact(base, new) == pytest.approx(20 / 512)


def test_multi_sample_runs_use_the_paired_permutation_test(tmp_path: Path) -> None:
    base = [[True, False, False, False] for _ in range(40)]
    new = [[True, True, True, False] for _ in range(40)]
    a, b = _pair(tmp_path, base, new, bench="math")
    comp = compare_runs(load_run(a), load_run(b), CompareConfig(stats=StatsConfig(seed=7)))
    (res,) = comp.benchmarks
    assert res.result.test == "paired-permutation"
    assert res.verdict == "better" and res.result.delta == pytest.approx(0.5)
    assert res.samples_base == 4 and res.result.seed == 7
    assert len(res.newly_solved) == 40  # majority of samples now correct on every item


def test_bootstrap_is_seeded(tmp_path: Path) -> None:
    base = [i % 2 == 0 for i in range(50)]
    new = [i % 3 == 0 for i in range(50)]
    a, b = _pair(tmp_path, base, new)
    outs = [json.loads(cli(["compare", str(a), str(b), "--format", "json", "--seed", "3"])[1]) for _ in range(2)]
    assert outs[0] == outs[1]
    assert outs[0]["config"]["stats"]["seed"] == 3 and outs[0]["benchmarks"][0]["result"]["seed"] == 3
    assert outs[0]["config"]["stats"]["n_boot"] == 10_000


@pytest.mark.parametrize(
    ("key", "base_kw", "new_kw"),
    [
        ("version", {"versions": {"gsm8k": "1"}}, {"versions": {"gsm8k": "2"}}),
        ("data_fingerprint", {"fingerprints": {"gsm8k": "aaa"}}, {"fingerprints": {"gsm8k": "bbb"}}),
        ("prompt_hash", {"prompt_hashes": {"gsm8k": "p1"}}, {"prompt_hashes": {"gsm8k": "p2"}}),
    ],
)
def test_refuses_runs_that_measure_different_things(tmp_path: Path, key: str, base_kw: dict, new_kw: dict) -> None:
    flags = [True, False] * 10
    a, b = _pair(tmp_path, flags, flags, base_kw=base_kw, new_kw=new_kw)
    code, out, err = cli(["compare", str(a), str(b)])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and key in err and "--force" in err
    code, out, _ = cli(["compare", str(a), str(b), "--force"])
    assert code == 0 and "FORCED" in out and key in out


def test_refuses_when_item_prompt_hashes_differ(tmp_path: Path) -> None:
    a, b = _pair(tmp_path, [True] * 5, [True] * 5)
    path = b / "records" / "gsm8k.jsonl"
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    lines[2]["prompt_hash"] = "other"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    with pytest.raises(ComparisonError, match="prompt_hash differs on 1 items"):
        compare_runs(load_run(a), load_run(b), CompareConfig())


def test_refuses_runs_graded_by_different_grader_versions(tmp_path: Path) -> None:
    a, b = _pair(tmp_path, [True] * 5, [True] * 5)
    path = b / "records" / "gsm8k.jsonl"
    path.write_text(path.read_text().replace('"grader_version": "math-1"', '"grader_version": "math-2"'))
    with pytest.raises(ComparisonError, match="grader_version math-1 vs math-2"):
        compare_runs(load_run(a), load_run(b), CompareConfig())
    assert compare_runs(load_run(a), load_run(b), CompareConfig(force=True)).mismatches


def test_only_shared_items_and_benchmarks_are_compared(tmp_path: Path) -> None:
    a = write_run(tmp_path, "a", {"gsm8k": [True] * 10, "math": [True] * 4})
    b = write_run(tmp_path, "b", {"gsm8k": [True] * 6})
    code, out, _ = cli(["compare", str(a), str(b), "--format", "md"])
    assert code == 0
    assert "| gsm8k | 6 |" in out
    assert "skipped math: only in base" in out and "4 items only in base" in out


def test_exit_codes_through_the_real_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from harness.cli import main

    a, b = _pair(tmp_path, [True] * 40, [i >= 20 for i in range(40)], new_kw={"versions": {"gsm8k": "9"}})
    assert main(["compare", str(a), str(b), "--fail-on-regression"]) == 2
    assert capsys.readouterr().err.startswith("harness: error: refusing to compare")
    assert main(["compare", str(a), str(b), "--fail-on-regression", "--force"]) == 1
    assert main(["compare", str(a), str(b), "--force"]) == 0
